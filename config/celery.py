import os

from celery import Celery

from jobs import worker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("did_inventory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker's connections get a statement timeout and a client check (jobs.worker).
worker.install()

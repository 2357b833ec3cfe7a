import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("did_inventory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _worker_database_settings() -> None:
    # The worker's connections get a statement timeout and a client check (jobs.worker).
    from jobs import worker

    worker.install()


_worker_database_settings()

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        # The Celery tasks, registered in every process (the web's too): ``services.queue``
        # finds ``run_job`` by name, as it may not import the tasks module above it.
        from . import tasks  # noqa: F401

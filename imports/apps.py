from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "DID imports"

    def ready(self):
        from . import jobs  # the app registry is ready: its models may be imported now

        jobs.register()  # a large file's dry run and apply run as background jobs

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "DID imports"

    def ready(self):
        # The app registry is ready: its models may be imported now. ``tasks`` registers the
        # import task, which ``services.start`` queues by name, in the web process too.
        from . import slots, tasks  # noqa: F401

        slots.register()  # imports count against the per-user job limit; stale ones fail

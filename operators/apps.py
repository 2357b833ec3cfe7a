from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "operators"

    def ready(self):
        from . import audit_kinds  # the app registry is ready: its models may be imported

        audit_kinds.register()  # how the Audit Log names and links this app's objects

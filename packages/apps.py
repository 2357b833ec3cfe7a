from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "packages"

    def ready(self):
        from . import audit_kinds  # the app registry is ready: its models may be imported

        audit_kinds.register()  # how the Audit Log names and links this app's objects

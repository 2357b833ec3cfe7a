from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from . import audit_kinds, schema  # noqa: F401 - schema registers the token scheme

        audit_kinds.register()  # how the Audit Log names API tokens

from django.apps import AppConfig
from django.db.models import CharField
from django.db.models.functions import Length


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "DID inventory"

    def ready(self):
        CharField.register_lookup(Length)

        from . import audit_kinds, jobs  # the app registry is ready: its models may be imported now

        jobs.register()  # New DIDs, Mass Edit and the exports run as background jobs
        audit_kinds.register()  # how the Audit Log names DIDs, and reverts their changes

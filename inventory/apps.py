from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "DID inventory"

    def ready(self):
        from django.db.models import CharField
        from django.db.models.functions import Length

        CharField.register_lookup(Length)

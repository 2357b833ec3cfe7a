"""How the Audit Log names and links clients and accounts (``audit.registry``)."""

from django.urls import reverse

from audit import registry

from .models import Account, Client


def register() -> None:
    registry.register(
        registry.Kind(
            "client",
            "Client",
            names=registry.model_names(Client),
            lookup=registry.model_lookup(Client),
            url=lambda pk: reverse("clients:client_detail", args=[pk]),
            fields={
                "name": registry.Field("Name"),
                "reseller_id": registry.Field("Reseller", ref="reseller"),
            },
        )
    )
    registry.register(
        registry.Kind(
            "account",
            "Account",
            # "Client name | account_name", as the product shows an account everywhere.
            names=registry.model_names(Account, related=("client",)),
            fields={
                "name": registry.Field("Name"),
                "client_id": registry.Field("Client", ref="client"),
            },
        )
    )

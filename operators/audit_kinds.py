"""How the Audit Log names and links operators (``audit.registry``)."""

from django.urls import reverse

from audit import registry

from .models import Operator


def register() -> None:
    registry.register(
        registry.Kind(
            "operator",
            "Operator",
            names=registry.model_names(Operator),
            lookup=registry.model_lookup(Operator),
            # An operator has no page of its own: its link is its DIDs.
            url=lambda pk: reverse("inventory:did_list") + f"?operator={pk}",
            fields={
                "name": registry.Field("Name"),
                "reseller_id": registry.Field("Reseller", ref="reseller"),
            },
        )
    )

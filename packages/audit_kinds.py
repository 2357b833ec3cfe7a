"""How the Audit Log names and links packages (``audit.registry``)."""

from django.urls import reverse

from audit import registry

from .models import Package


def register() -> None:
    registry.register(
        registry.Kind(
            "package",
            "Package",
            names=registry.model_names(Package),
            lookup=registry.model_lookup(Package),
            url=lambda pk: reverse("packages:package_edit", args=[pk]),
            fields={
                "name": registry.Field("Name"),
                "did_allowance": registry.Field("DID allowance"),
                "allowed_tags": registry.Field("Allowed tags"),
                "hold_days": registry.Field("Hold days"),
                "reseller_id": registry.Field("Reseller", ref="reseller"),
            },
        )
    )

"""How the Audit Log names and links resellers and users (``audit.registry``)."""

from django.urls import reverse

from audit import registry

from .models import Reseller, User


def register() -> None:
    registry.register(
        registry.Kind(
            "reseller",
            "Reseller",
            names=registry.model_names(Reseller),
            url=lambda pk: reverse("accounts:reseller_detail", args=[pk]),
            fields={"name": registry.Field("Name")},
        )
    )
    registry.register(
        registry.Kind(
            "user",
            "User",
            names=registry.model_names(User, name=lambda u: u.username),
            fields={
                "username": registry.Field("Username"),
                "role": registry.Field("Role", choices=dict(User.Role.choices)),
                "reseller_id": registry.Field("Reseller", ref="reseller"),
            },
        )
    )

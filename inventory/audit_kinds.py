"""How the Audit Log names, finds and links DIDs, and undoes their changes
(``audit.registry``)."""

from django.urls import reverse

from audit import registry

from . import revert
from .choices import AfterHold, Status
from .models import DID


def _lookup(number: str) -> list[int]:
    return list(DID.objects.filter(number=number).values_list("pk", flat=True)[:1])


def register() -> None:
    registry.register(
        registry.Kind(
            "did",
            "DID",
            names=registry.model_names(DID, name=lambda d: d.number),
            url=lambda pk: reverse("inventory:did_detail", args=[pk]),
            lookup=_lookup,
            fields={
                "number": registry.Field("DID"),
                "status": registry.Field("Status", choices=dict(Status.choices)),
                "after_hold_status": registry.Field("After Hold", choices=dict(AfterHold.choices)),
                "operator_id": registry.Field("Operator", ref="operator"),
                "client_id": registry.Field("Client", ref="client"),
                "account_id": registry.Field("Account", ref="account"),
                "subscription_id": registry.Field("Subscription", ref="subscription"),
                "hold_until": registry.Field("Hold until", moment=True),
                "hold_days": registry.Field("Hold days"),
                "tag": registry.Field("Tag"),
                "notes": registry.Field("Notes"),
                "reseller_id": registry.Field("Reseller", ref="reseller"),
            },
        )
    )
    registry.register_reverter("did", revert.revert_dids)

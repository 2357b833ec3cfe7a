"""How the Audit Log names subscriptions (``audit.registry``): "Client — Package", and, for
"Assigned to ... under package Pack", the package of each subscription."""

from audit import registry

from .choices import Status
from .models import Subscription

RELATED_MAX = 1000


def _of_packages(ids: list[int]) -> dict[str, list[int]]:
    """A package's history holds the DIDs assigned under its subscriptions."""
    subs = Subscription.objects.filter(package_id__in=ids).order_by("-pk")
    return {"subscription_id": list(subs.values_list("pk", flat=True)[:RELATED_MAX])}


def register() -> None:
    registry.register_related("package", _of_packages)
    registry.register(
        registry.Kind(
            "subscription",
            "Subscription",
            names=registry.model_names(
                Subscription,
                related=("client", "package"),
                name=lambda s: f"{s.client.name} — {s.package.name}",
            ),
            fields={
                "status": registry.Field("Status", choices=dict(Status.choices)),
                "client_id": registry.Field("Client", ref="client"),
                "package_id": registry.Field("Package", ref="package"),
                "start_date": registry.Field("Start date", moment=True),
                "end_date": registry.Field("End date", moment=True),
            },
        )
    )
    registry.register(
        registry.Kind(
            "subscription_package",
            "Package of subscription",
            names=registry.model_names(
                Subscription, related=("package",), name=lambda s: s.package.name
            ),
        )
    )

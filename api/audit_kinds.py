"""How the Audit Log names API tokens (``audit.registry``)."""

from audit import registry

from .models import ApiToken


def register() -> None:
    registry.register(
        registry.Kind(
            "apitoken",
            "API token",
            names=registry.model_names(ApiToken),
            fields={"name": registry.Field("Name"), "scope": registry.Field("Scope")},
        )
    )

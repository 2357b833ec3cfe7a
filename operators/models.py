from django.db import models

from core.fields import name_field


class Operator(models.Model):
    """The provider (DID provider) a DID was bought from. Belongs to one reseller."""

    name = name_field()
    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.PROTECT, related_name="operators"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "name"], name="operator_name_unique_per_reseller"
            ),
            # Target of the composite foreign key from DIDs: a DID's reseller is always its
            # operator's reseller (see inventory migration 0002).
            models.UniqueConstraint(fields=["id", "reseller"], name="operator_id_reseller_unique"),
        ]

    def __str__(self) -> str:
        return self.name

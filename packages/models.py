from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class Package(models.Model):
    """What a client buys: how many DIDs, which DID tags (empty = any), and hold days."""

    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.PROTECT, related_name="packages"
    )
    name = models.CharField(max_length=150)
    did_allowance = models.PositiveIntegerField(default=1)
    allowed_tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    hold_days = models.PositiveIntegerField(default=30)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "name"], name="package_name_unique_per_reseller"
            ),
            models.CheckConstraint(
                name="package_allowance_not_negative", condition=Q(did_allowance__gte=0)
            ),
            models.CheckConstraint(
                name="package_hold_days_not_negative", condition=Q(hold_days__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def allows_tag(self, tag: str) -> bool:
        return not self.allowed_tags or tag in self.allowed_tags

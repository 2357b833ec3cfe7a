from django.db import models
from django.db.models import F, Q


class Subscription(models.Model):
    """A package assigned to a client ("client package")."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="subscriptions"
    )
    package = models.ForeignKey(
        "packages.Package", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="subscription_status_valid",
                condition=Q(status__in=["active", "cancelled", "expired"]),
            ),
            models.CheckConstraint(
                name="subscription_end_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_date"], name="subscription_status_end"),
        ]

    def __str__(self) -> str:
        return f"{self.client} — {self.package} ({self.get_status_display()})"

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from config.limits import DATE_MAX, DATE_MIN, date_message

from .choices import Status


class Subscription(models.Model):
    """A package assigned to a client ("client package")."""

    Status = Status

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="subscriptions"
    )
    package = models.ForeignKey(
        "packages.Package", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(
        validators=[
            MinValueValidator(DATE_MIN, date_message("Start date")),
            MaxValueValidator(DATE_MAX, date_message("Start date")),
        ]
    )
    end_date = models.DateField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(DATE_MIN, date_message("End date")),
            MaxValueValidator(DATE_MAX, date_message("End date")),
        ],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="subscription_status_valid",
                condition=Q(status__in=Status.values),
            ),
            models.CheckConstraint(
                name="subscription_end_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
            models.CheckConstraint(
                name="subscription_dates_in_range",
                condition=Q(start_date__gte=DATE_MIN, start_date__lte=DATE_MAX)
                & (Q(end_date__isnull=True) | Q(end_date__gte=DATE_MIN, end_date__lte=DATE_MAX)),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_date"], name="subscription_status_end"),
        ]

    def __str__(self) -> str:
        return f"{self.client} — {self.package} ({self.get_status_display()})"

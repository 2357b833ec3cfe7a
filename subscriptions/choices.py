"""The choices of the subscriptions app: a subscription's status."""

from django.db import models


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"

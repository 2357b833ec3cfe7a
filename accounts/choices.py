"""The choices of the accounts app: a user's role."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Platform admin"
    RESELLER = "reseller", "Reseller user"

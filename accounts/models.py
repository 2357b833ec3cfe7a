from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from core.fields import name_field

from .choices import Role


class Reseller(models.Model):
    """A tenant. Everything a reseller owns hangs off this row."""

    name = name_field(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Either a platform admin (no reseller) or a user of exactly one reseller."""

    Role = Role

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.RESELLER)
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_reseller",
                condition=(Q(role="admin", reseller__isnull=True))
                | Q(role="reseller", reseller__isnull=False),
            ),
        ]

    @property
    def is_platform_admin(self) -> bool:
        return self.role == self.Role.ADMIN

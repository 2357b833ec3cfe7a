"""Reads of the accounts app: users per reseller, the platform admins."""

from __future__ import annotations

from django.db.models import QuerySet

from core.selectors import count_by

from .models import User


def users_per_reseller(reseller_ids) -> dict[int, int]:
    return count_by(User.objects.all(), "reseller_id", reseller_ids)


def platform_admins() -> QuerySet[User]:
    return User.objects.filter(role=User.Role.ADMIN).order_by("username")

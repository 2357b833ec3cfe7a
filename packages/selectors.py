"""Reads of packages: the packages a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.tenancy import scoped

from .models import Package


def packages_for(user) -> QuerySet[Package]:
    return scoped(Package.objects.select_related("reseller"), user)

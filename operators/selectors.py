"""Reads of operators: the operators a user may see, operators per reseller."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.tenancy import scoped
from core.selectors import count_by

from .models import Operator


def operators_for(user) -> QuerySet[Operator]:
    return scoped(Operator.objects.select_related("reseller"), user)


def operators_per_reseller(reseller_ids) -> dict[int, int]:
    return count_by(Operator.objects.all(), "reseller_id", reseller_ids)

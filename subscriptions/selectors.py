"""Reads of subscriptions ("client packages"): what a user may see, and subscriptions per
package and active ones per client."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.tenancy import scoped
from core.selectors import count_by

from .models import Subscription


def subscriptions_for(user) -> QuerySet[Subscription]:
    return scoped(Subscription.objects.all(), user, "client__reseller")


def subscriptions_per_package(user, package_ids) -> dict[int, int]:
    return count_by(subscriptions_for(user), "package_id", package_ids)


def active_subscriptions_per_client(user, client_ids) -> dict[int, int]:
    active = subscriptions_for(user).filter(status=Subscription.Status.ACTIVE)
    return count_by(active, "client_id", client_ids)

"""Subscriptions ("Client Packages"): creating one. Cancelling, expiring and reactivating
move DIDs, so they live in ``inventory.lifecycle`` (cancel_subscription, ...)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from audit.services import Actor, record_created
from config.limits import check_date

from .models import Subscription


class SubscriptionError(Exception):
    """A refused subscription action. A message that starts with a form field's label
    ("Package: ...") belongs under that field."""


def snapshot(sub: Subscription) -> dict:
    return {
        "client_id": sub.client_id,
        "package_id": sub.package_id,
        "status": sub.status,
        "start_date": sub.start_date,
        "end_date": sub.end_date,
    }


def subscription_create(
    *, client, package, start_date: dt.date, end_date: dt.date | None = None, actor: Actor
) -> Subscription:
    """A new active subscription of ``client`` to ``package`` (both of one reseller)."""
    if package.reseller_id != client.reseller_id:
        raise SubscriptionError(
            f"Package: {package.name} belongs to another reseller than client {client.name}."
        )
    if start_date is None:
        raise SubscriptionError("Start date: enter the date the subscription starts.")
    for label, value in (("Start date", start_date), ("End date", end_date)):
        if message := check_date(label, value):
            raise SubscriptionError(message)
    if end_date is not None and end_date < start_date:
        raise SubscriptionError(
            f"End date: {end_date} is before the start date {start_date}; leave it empty "
            "for a subscription without end."
        )
    with transaction.atomic():
        sub = Subscription.objects.create(
            client=client,
            package=package,
            status=Subscription.Status.ACTIVE,
            start_date=start_date,
            end_date=end_date,
        )
        record_created(
            actor,
            sub,
            reseller_id=client.reseller_id,
            after=snapshot(sub),
        )
    return sub

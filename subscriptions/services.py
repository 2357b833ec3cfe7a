"""Subscriptions ("Client Packages"): creating one. Cancelling, expiring and reactivating
move DIDs, so they live in ``inventory.lifecycle`` (cancel_subscription, ...)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from audit.services import Actor, record, record_created
from config.limits import check_date
from packages.services import archived_refusal

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
    """A new active subscription of ``client`` to ``package`` (both of one reseller; the
    package not archived)."""
    if refusal := archived_refusal(package):
        raise SubscriptionError(refusal)
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


def subscription_set_end_date(sub: Subscription, *, end_date: dt.date | None, actor: Actor) -> bool:
    """Change ``sub``'s end date (None: no end), in any status: a later date is what an
    expired subscription needs before Reactivate. An active subscription whose new end date
    has passed expires at the next expiry run. Returns False when the date is the same."""
    if message := check_date("End date", end_date):
        raise SubscriptionError(message)
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().select_related("client").get(pk=sub.pk)
        if end_date is not None and end_date < locked.start_date:
            raise SubscriptionError(
                f"End date: {end_date} is before the start date {locked.start_date}; leave it "
                "empty for a subscription without end."
            )
        if locked.end_date == end_date:
            return False
        before = snapshot(locked)
        locked.end_date = end_date
        locked.save(update_fields=["end_date"])
        record(
            actor,
            action="update",
            object_type="subscription",
            object_id=locked.pk,
            object_repr=str(locked),
            reseller_id=locked.client.reseller_id,
            before={"end_date": before["end_date"]},
            after={"end_date": end_date},
        )
    sub.end_date = end_date
    return True

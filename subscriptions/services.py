"""Subscriptions ("Client Packages"): creating one. Cancelling, expiring and reactivating
move DIDs, so they live in ``inventory.lifecycle`` (cancel_subscription, ...)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, record_created
from config.limits import check_date

from .models import Subscription

log = logging.getLogger(__name__)


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


def expire_due_subscriptions(
    *, today: dt.date | None = None, actor: Actor | None = None, now=None
) -> int:
    """The periodic task: every active subscription whose end date has passed expires, and
    its DIDs go On Hold. Returns how many expired.

    Each subscription expires in its own transaction (a savepoint inside a caller's): one
    that fails is logged and skipped, and the others still expire; it is due again on the
    next run."""
    from inventory import lifecycle

    today = today or timezone.localdate()
    actor = actor or Actor.system("subscription expiry")
    ids = list(
        Subscription.objects.filter(status=Subscription.Status.ACTIVE, end_date__lt=today)
        .order_by("id")
        .values_list("id", flat=True)
    )
    expired = 0
    for sid in ids:
        try:
            with transaction.atomic():
                lifecycle.expire_subscription(sid, actor=actor, now=now)
        except lifecycle.SubscriptionNotActive:
            continue  # changed meanwhile by someone else
        except Exception:
            log.exception(
                "Subscription expiry: subscription %s failed and was skipped; it stays "
                "active and is tried again on the next run.",
                sid,
            )
            continue
        expired += 1
    return expired

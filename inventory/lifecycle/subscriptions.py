"""Subscription moves that move DIDs: cancel and expire put the subscription's Active and
Blocked DIDs On Hold; reactivate brings those still On Hold back to Active."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, record
from config import text
from subscriptions.models import Subscription

from ..choices import Status
from ..models import DID
from .engine import AUDIT_FIELDS_OF, counted, move
from .errors import AllowanceExceeded, MoveResult, SubscriptionNotActive
from .moves import hold
from .table import HOLDABLE, Trigger

log = logging.getLogger(__name__)

# The periodic expiry's Celery task: the name its audit entries show as their user.
SUBSCRIPTION_EXPIRY_TASK = "subscriptions.tasks.expire_subscriptions"


def _subscription_snapshot(sub) -> dict:
    return {"status": sub.status, "end_date": sub.end_date}


def _end_subscription(subscription, new_status, trigger, *, actor: Actor, now=None) -> MoveResult:
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .select_related("client", "package")
            .get(pk=getattr(subscription, "pk", subscription))
        )
        if sub.status != Subscription.Status.ACTIVE:
            raise SubscriptionNotActive(
                f"Subscription {sub.pk} ({sub.client.name}, {sub.package.name}) is "
                f"{sub.get_status_display()}, not active."
            )
        before = _subscription_snapshot(sub)
        sub.status = new_status
        sub.save(update_fields=["status"])
        record(
            actor,
            action=trigger.value,
            object_type="subscription",
            object_id=sub.pk,
            object_repr=str(sub),
            reseller_id=sub.client.reseller_id,
            before=before,
            after=_subscription_snapshot(sub),
        )
        dids = DID.objects.filter(subscription=sub, status__in=HOLDABLE)
        return hold(dids, actor=actor, strict=False, now=now, trigger=trigger)


def cancel_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    """Active -> Cancelled; its Active and Blocked DIDs go On Hold."""
    return _end_subscription(
        subscription,
        Subscription.Status.CANCELLED,
        Trigger.SUBSCRIPTION_CANCEL,
        actor=actor,
        now=now,
    )


def expire_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    """Active -> Expired; its Active and Blocked DIDs go On Hold."""
    return _end_subscription(
        subscription, Subscription.Status.EXPIRED, Trigger.SUBSCRIPTION_EXPIRE, actor=actor, now=now
    )


def expire_subscriptions(
    *, today: dt.date | None = None, actor: Actor | None = None, now=None
) -> int:
    """The periodic task: every active subscription whose end date has passed expires, and
    its DIDs go On Hold. Returns how many expired.

    Each subscription expires in its own transaction (a savepoint inside a caller's): one
    that fails is logged and skipped, and the others still expire; it is due again on the
    next run."""
    today = today or timezone.localdate()
    actor = actor or Actor.system(SUBSCRIPTION_EXPIRY_TASK)
    ids = list(
        Subscription.objects.filter(status=Subscription.Status.ACTIVE, end_date__lt=today)
        .order_by("id")
        .values_list("id", flat=True)
    )
    expired = 0
    for sid in ids:
        try:
            with transaction.atomic():
                expire_subscription(sid, actor=actor, now=now)
        except SubscriptionNotActive:
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


def reactivate_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    """Cancelled / Expired -> Active; its DIDs still On Hold become Active again."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .select_related("client", "package")
            .get(pk=getattr(subscription, "pk", subscription))
        )
        if sub.status == Subscription.Status.ACTIVE:
            raise SubscriptionNotActive(f"Subscription {sub.pk} is already active.")
        if sub.end_date is not None and sub.end_date < timezone.localdate(now):
            raise SubscriptionNotActive(
                f"Subscription {sub.pk} ended on {sub.end_date}; set a later end date first."
            )
        linked = counted(sub)
        if linked > sub.package.did_allowance:
            raise AllowanceExceeded(
                f"Subscription {sub.pk}: package {sub.package.name} allows "
                f"{text.count(sub.package.did_allowance, 'DID')} but {linked:,} "
                f"{text.is_are(linked)} linked."
            )
        before = _subscription_snapshot(sub)
        sub.status = Subscription.Status.ACTIVE
        sub.save(update_fields=["status"])
        record(
            actor,
            action=Trigger.SUBSCRIPTION_REACTIVATE.value,
            object_type="subscription",
            object_id=sub.pk,
            object_repr=str(sub),
            reseller_id=sub.client.reseller_id,
            before=before,
            after=_subscription_snapshot(sub),
        )
        dids = DID.objects.filter(subscription=sub, status=Status.ON_HOLD, hold_until__gt=now)
        return move(
            trigger=Trigger.SUBSCRIPTION_REACTIVATE,
            selection=dids,
            actor=actor,
            target=Status.ACTIVE,
            set_sql={"hold_until": "NULL"},
            audit_fields=AUDIT_FIELDS_OF[Trigger.SUBSCRIPTION_REACTIVATE],
            extra_where="AND t.hold_until > %s",
            extra_params=[now],
            strict=False,
            precheck=False,
        )

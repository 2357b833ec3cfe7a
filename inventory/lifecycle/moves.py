"""The lifecycle's services: every status move of a DID a user, an import or a periodic task
can ask for. Each is the engine (``engine.move``) with the table's legal sources; a refused
move raises a ``LifecycleError`` subclass naming the DID and the reason, and nothing changes.
Bulk callers may pass ``strict=False`` to apply the legal part and get the refusals back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from audit.services import Actor
from clients.models import Account
from config import text
from config.limits import HOLD_DAYS_MAX
from subscriptions.models import Subscription

from ..choices import Status
from ..models import DID
from .engine import Selection, counted, did_table, move, one_did, run_move, selection_sql
from .errors import (
    AccountMismatch,
    AllowanceExceeded,
    IllegalTransition,
    MoveResult,
    Refusal,
    ResellerMismatch,
    SubscriptionNotActive,
    TagNotAllowed,
    raise_for,
)
from .table import COUNTED_AGAINST_ALLOWANCE, MANUAL_TRIGGER, UNASSIGNED, Trigger, sources, values


def set_status(
    selection: Selection, status: str, *, actor: Actor, strict: bool = True
) -> MoveResult:
    """Reserved / In Stock / Archive among each other, for DIDs that are not assigned."""
    target = Status(status)
    if target not in UNASSIGNED:
        raise IllegalTransition(
            f"Set status can only choose Reserved, In Stock or Archive, not {target.label}."
        )
    legal = sources(Trigger.SET_STATUS, target)
    return run_move(Trigger.SET_STATUS, selection, actor, target, strict=strict, legal=legal)


def block(selection: Selection, *, actor: Actor, strict: bool = True) -> MoveResult:
    return run_move(Trigger.BLOCK, selection, actor, Status.BLOCKED, strict=strict)


def subscription_refusals(sel_sql: str, sel_params: list) -> list[Refusal]:
    """On hold DIDs whose subscription is not active, or over its package's allowance."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*), (array_agg(d.number ORDER BY d.id))[1:3]
            FROM {did_table()} d JOIN subscriptions_subscription s ON s.id = d.subscription_id
            WHERE d.id IN ({sel_sql}) AND d.status = %s AND s.status <> %s
            """,
            [*sel_params, Status.ON_HOLD.value, Subscription.Status.ACTIVE.value],
        )
        count, examples = cur.fetchone()
    refusals: list[Refusal] = []
    if count:
        refusals.append(
            Refusal(
                reason="On Hold DIDs cannot become Active: their subscription is not active",
                count=count,
                examples=list(examples or []),
                reason_single="its subscription is not active, so it cannot become Active.",
            )
        )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT s.id, p.name, p.did_allowance,
                   (SELECT count(*) FROM {did_table()} x
                    WHERE x.subscription_id = s.id AND x.status = ANY(%s)) AS linked
            FROM subscriptions_subscription s JOIN packages_package p ON p.id = s.package_id
            WHERE s.id IN (SELECT d.subscription_id FROM {did_table()} d
                           WHERE d.id IN ({sel_sql}) AND d.status = %s)
            FOR UPDATE OF s
            """,
            [values(COUNTED_AGAINST_ALLOWANCE), *sel_params, Status.ON_HOLD.value],
        )
        for _sid, package, allowance, linked in cur.fetchall():
            if linked > allowance:
                refusals.append(
                    Refusal(
                        reason=(
                            f"On Hold DIDs cannot become Active: package {package} allows "
                            f"{text.count(allowance, 'DID')} and {linked:,} "
                            f"{text.is_are(linked)} linked"
                        ),
                        count=1,
                        reason_single=(
                            f"package {package} allows {text.count(allowance, 'DID')} and "
                            f"{linked:,} {text.is_are(linked)} linked, so it cannot become Active."
                        ),
                    )
                )
    return refusals


def activate(selection: Selection, *, actor: Actor, strict: bool = True) -> MoveResult:
    """Blocked -> Active (unblock); On Hold -> Active while its subscription is active."""
    single = isinstance(selection, DID | int)
    with transaction.atomic():
        sel_sql, sel_params = selection_sql(selection)
        refusals = subscription_refusals(sel_sql, sel_params)
        if refusals and strict:
            raise_for(
                refusals, SubscriptionNotActive, one_did(selection).number if single else None
            )
        result = run_move(
            Trigger.ACTIVATE,
            selection,
            actor,
            Status.ACTIVE,
            strict=strict,
            set_sql={"hold_until": "NULL"},
            extra_from="JOIN subscriptions_subscription s ON s.id = o.subscription_id",
            extra_where="AND (o.status = %s OR s.status = %s)",
            extra_params=[Status.BLOCKED.value, Subscription.Status.ACTIVE.value],
        )
        result.refusals = refusals + result.refusals
        return result


# Capped at the largest legal hold (config.limits), so that even a row written before the
# CHECK constraints existed cannot make the timestamp overflow and stop a sweep.
# The periodic hold sweep's Celery task: the name its audit entries show as their user.
HOLD_EXPIRY_TASK = "inventory.tasks.expire_holds"

_HOLD_UNTIL = (
    "%s::timestamptz + make_interval(days => "
    f"LEAST(GREATEST(COALESCE(o.hold_days, p.hold_days), 0), {HOLD_DAYS_MAX}))"
)
_HOLD_FROM = (
    "JOIN subscriptions_subscription s ON s.id = o.subscription_id "
    "JOIN packages_package p ON p.id = s.package_id"
)


def hold(
    selection: Selection,
    *,
    actor: Actor,
    strict: bool = True,
    now: dt.datetime | None = None,
    trigger: Trigger = Trigger.HOLD,
) -> MoveResult:
    """Active / Blocked -> On Hold; hold until now + the DID's hold days, else the package's."""
    now = now or timezone.now()
    return run_move(
        trigger,
        selection,
        actor,
        Status.ON_HOLD,
        strict=strict,
        set_sql={"hold_until": _HOLD_UNTIL},
        set_params=[now],
        extra_from=_HOLD_FROM,
    )


_UNLINK = {
    "client_id": "NULL",
    "account_id": "NULL",
    "subscription_id": "NULL",
    "hold_until": "NULL",
}


def release_now(selection: Selection, *, actor: Actor, strict: bool = True) -> MoveResult:
    """On Hold -> its after-hold status now; unlinks client, account and subscription."""
    return run_move(Trigger.RELEASE, selection, actor, None, strict=strict, set_sql=dict(_UNLINK))


def holds_due(now: dt.datetime):
    """The On Hold DIDs whose hold has ended by ``now``: what ``expire_holds`` releases."""
    return DID.objects.filter(status=Status.ON_HOLD, hold_until__lte=now)


def expire_holds(
    *,
    now: dt.datetime | None = None,
    actor: Actor | None = None,
    ids: Sequence[int] | None = None,
) -> MoveResult:
    """The periodic task: every On Hold DID whose hold has ended goes to its after-hold status.
    With ``ids``, only those of them (``inventory.tasks`` sweeps in batches)."""
    now = now or timezone.now()
    actor = actor or Actor.system(HOLD_EXPIRY_TASK)
    due = holds_due(now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    return move(
        trigger=Trigger.EXPIRE_HOLD,
        selection=due,
        actor=actor,
        target=None,
        set_sql=dict(_UNLINK),
        extra_where="AND t.hold_until <= %s",
        extra_params=[now],
        strict=False,
        precheck=False,
    )


def assign(
    selection: Selection,
    *,
    account,
    subscription=None,
    actor: Actor,
) -> MoveResult:
    """In Stock -> Active on ``account``. All or nothing.

    The client must hold an active subscription (``subscription``, or the client's one active
    subscription with room) whose package allows as many more DIDs and allows each DID's tag;
    everything must belong to one reseller. The subscription row is locked first, so two
    transactions racing for its last slot run one after the other.
    """
    single = isinstance(selection, DID | int)
    number = one_did(selection).number if single else None
    if not isinstance(account, Account):
        account = Account.objects.select_related("client").get(pk=account)
    client = account.client

    with transaction.atomic():
        sel_sql, sel_params = selection_sql(selection)
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM ({sel_sql}) x", sel_params)
            wanted = cur.fetchone()[0]

        if subscription is None:
            candidates = list(
                Subscription.objects.select_for_update()
                .filter(client=client, status=Subscription.Status.ACTIVE)
                .select_related("package")
                .order_by("id")
            )
            if not candidates:
                raise SubscriptionNotActive(
                    f"Client {client.name} has no active subscription, so "
                    + (
                        f"DID {number} cannot be assigned." if number else "no DID can be assigned."
                    ),
                    number=number,
                )
            subscription = candidates[0]
            for cand in candidates:
                if cand.package.did_allowance - counted(cand) >= wanted:
                    subscription = cand
                    break
        else:
            subscription = (
                Subscription.objects.select_for_update()
                .select_related("package", "client")
                .get(pk=getattr(subscription, "pk", subscription))
            )
        package = subscription.package
        label = f"DID {number}" if number else text.count(wanted, "DID")

        if subscription.client_id != client.pk:
            raise AccountMismatch(
                f"{label}: account {account.name} does not belong to the subscription's client.",
                number=number,
            )
        if subscription.status != Subscription.Status.ACTIVE:
            raise SubscriptionNotActive(
                f"{label}: the subscription to {package.name} is "
                f"{subscription.get_status_display()}, not active.",
                number=number,
            )
        if package.reseller_id != client.reseller_id:
            raise ResellerMismatch(f"{label}: package and client belong to different resellers.")

        # Reseller and tag rules, checked on the selection as a whole.
        with connection.cursor() as cur:
            cur.execute(
                f"""
                SELECT
                  count(*) FILTER (WHERE d.reseller_id <> %s),
                  (array_agg(d.number ORDER BY d.id) FILTER (WHERE d.reseller_id <> %s))[1:3],
                  count(*) FILTER (WHERE cardinality(%s::text[]) > 0
                                     AND NOT d.tag = ANY(%s::text[])),
                  (array_agg(d.number ORDER BY d.id)
                     FILTER (WHERE cardinality(%s::text[]) > 0
                             AND NOT d.tag = ANY(%s::text[])))[1:3]
                FROM {did_table()} d WHERE d.id IN ({sel_sql})
                """,
                [client.reseller_id, client.reseller_id] + [package.allowed_tags] * 4 + sel_params,
            )
            other_reseller, other_examples, bad_tag, tag_examples = cur.fetchone()
        if other_reseller:
            raise ResellerMismatch(
                (
                    f"DID {number} belongs to another reseller than client {client.name}."
                    if number
                    else f"{text.count(other_reseller, 'DID')} "
                    f"{'belongs' if other_reseller == 1 else 'belong'} to another reseller than "
                    f"client {client.name} (e.g. {', '.join(other_examples)}); "
                    "nothing was assigned."
                ),
                number=number,
            )
        if bad_tag:
            allowed = ", ".join(package.allowed_tags)
            raise TagNotAllowed(
                (
                    f"DID {number}: package {package.name} allows only the tags {allowed}."
                    if number
                    else f"{text.count(bad_tag, 'DID')} "
                    f"{'has a tag' if bad_tag == 1 else 'have tags'} that package {package.name} "
                    f"does not allow (allowed: {allowed}; e.g. {', '.join(tag_examples)}); "
                    "nothing was assigned."
                ),
                number=number,
            )

        linked = counted(subscription)
        room = package.did_allowance - linked
        if wanted > room:
            raise AllowanceExceeded(
                f"{label}: package {package.name} allows "
                f"{text.count(package.did_allowance, 'DID')} and {linked:,} "
                f"{text.is_are(linked)} already linked to this subscription"
                + (f"; {wanted:,} more do not fit." if wanted > 1 else "; no room for one more."),
                number=number,
            )

        return run_move(
            Trigger.ASSIGN,
            selection,
            actor,
            Status.ACTIVE,
            set_sql={"client_id": "%s", "account_id": "%s", "subscription_id": "%s"},
            set_params=[client.pk, account.pk, subscription.pk],
            message=f"{client.name} | {account.name}",
        )


def change_status(
    selection: Selection, status: str, *, actor: Actor, strict: bool = True
) -> MoveResult:
    """A user's "Set Status to": the manual trigger that leads to ``status``."""
    target = Status(status)
    trigger = MANUAL_TRIGGER[target]
    if trigger == Trigger.SET_STATUS:
        return set_status(selection, target, actor=actor, strict=strict)
    if trigger == Trigger.BLOCK:
        return block(selection, actor=actor, strict=strict)
    if trigger == Trigger.ACTIVATE:
        return activate(selection, actor=actor, strict=strict)
    return hold(selection, actor=actor, strict=strict)

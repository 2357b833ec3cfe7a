"""The DID lifecycle: the one place that decides which status moves exist.

``TRANSITIONS`` is the table of PRODUCT.md as data. Every path that changes a DID's status
(forms, mass edit, import, API, periodic tasks) calls a service of this module. Each service
has one set-based engine underneath (``_move``): a guarded ``UPDATE ... FROM`` whose
``WHERE`` only admits the legal source statuses of the table, feeding an
``INSERT ... SELECT`` into the audit log in the same statement. The single-DID services are
the same engine on a one-row selection, so "one rule, two speeds" holds by construction.

A refused move raises a ``LifecycleError`` subclass naming the DID and the reason; the
transaction is rolled back and nothing changes. Bulk callers may pass ``strict=False`` to
apply the legal part and get the refusals back instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import AUDIT_INSERT_COLUMNS, AUDIT_TABLE, Actor, record
from config import text
from config.limits import HOLD_DAYS_MAX

from .choices import ASSIGNED, UNASSIGNED, AfterHold, Status
from .models import DID

log = logging.getLogger(__name__)


class Trigger(StrEnum):
    SET_STATUS = "set_status"
    ASSIGN = "assign"
    BLOCK = "block"
    ACTIVATE = "activate"
    HOLD = "hold"
    SUBSCRIPTION_CANCEL = "subscription_cancel"
    SUBSCRIPTION_EXPIRE = "subscription_expire"
    SUBSCRIPTION_REACTIVATE = "subscription_reactivate"
    EXPIRE_HOLD = "expire_hold"
    RELEASE = "release"


S = Status
T = Trigger

# (from, to, trigger): the only moves that exist.
TRANSITIONS: frozenset[tuple[Status, Status, Trigger]] = frozenset(
    {(a, b, T.SET_STATUS) for a in UNASSIGNED for b in UNASSIGNED if a != b}
    | {(S.IN_STOCK, S.ACTIVE, T.ASSIGN)}
    | {(S.ACTIVE, S.BLOCKED, T.BLOCK)}
    | {(S.BLOCKED, S.ACTIVE, T.ACTIVATE), (S.ON_HOLD, S.ACTIVE, T.ACTIVATE)}
    | {
        (a, S.ON_HOLD, t)
        for a in (S.ACTIVE, S.BLOCKED)
        for t in (T.HOLD, T.SUBSCRIPTION_CANCEL, T.SUBSCRIPTION_EXPIRE)
    }
    | {(S.ON_HOLD, S.ACTIVE, T.SUBSCRIPTION_REACTIVATE)}
    # On hold -> the DID's own after-hold status (checked per DID: to == after_hold_status).
    | {(S.ON_HOLD, b, t) for b in AfterHold.values for t in (T.EXPIRE_HOLD, T.RELEASE)}
)

# What a user's "Set Status to" means for each target status.
MANUAL_TRIGGER: dict[Status, Trigger] = {
    S.RESERVED: T.SET_STATUS,
    S.IN_STOCK: T.SET_STATUS,
    S.ARCHIVE: T.SET_STATUS,
    S.BLOCKED: T.BLOCK,
    S.ACTIVE: T.ACTIVATE,
    S.ON_HOLD: T.HOLD,
}


def is_legal(source: str, target: str, trigger: str) -> bool:
    return (Status(source), Status(target), Trigger(trigger)) in TRANSITIONS


def sources(trigger: Trigger, target: Status | None = None) -> frozenset[Status]:
    """The statuses a DID may be in for ``trigger`` (to ``target``, if given)."""
    return frozenset(
        a for a, b, t in TRANSITIONS if t == trigger and (target is None or b == target)
    )


def targets(source: str) -> frozenset[Status]:
    """Every status reachable from ``source`` by some trigger."""
    return frozenset(b for a, b, _t in TRANSITIONS if a == source)


def can(source: str, trigger: str) -> bool:
    """Whether the table has a ``trigger`` move out of ``source``: what pages offer a DID."""
    return any(a == source and t == trigger for a, _b, t in TRANSITIONS)


def manual_targets(source: str) -> list[Status]:
    """Statuses a user may pick in "Set Status to" for a DID in ``source``."""
    return [
        target
        for target, trigger in MANUAL_TRIGGER.items()
        if (Status(source), target, trigger) in TRANSITIONS
    ]


# --------------------------------------------------------------------------- errors


class LifecycleError(Exception):
    """A refused lifecycle move. ``str()`` is a message a user can act on."""

    def __init__(self, message: str, *, number: str | None = None, refusals=None):
        super().__init__(message)
        self.number = number
        self.refusals = refusals or []


class IllegalTransition(LifecycleError):
    pass


class SubscriptionNotActive(LifecycleError):
    pass


class AllowanceExceeded(LifecycleError):
    pass


class TagNotAllowed(LifecycleError):
    pass


class ResellerMismatch(LifecycleError):
    pass


class AccountMismatch(LifecycleError):
    pass


class DIDAssigned(LifecycleError):
    pass


# --------------------------------------------------------------------------- results


@dataclass
class Refusal:
    """``count`` DIDs were refused for ``reason``; ``examples`` names a few of them."""

    reason: str
    count: int
    examples: list[str] = field(default_factory=list)

    @property
    def phrase(self) -> str:
        """The count and the reason, in the right number: "1 Active DID cannot ...: it is
        assigned", "1,200 Active DIDs cannot ...: they are assigned"."""
        return f"{self.count:,} {_singular(self.reason) if self.count == 1 else self.reason}"

    def __str__(self) -> str:
        names = ", ".join(self.examples)
        more = f" (e.g. {names})" if names and self.count > 1 else (f" ({names})" if names else "")
        return f"{self.phrase}{more}"


# A refusal's reason is written for many DIDs ("Active DIDs cannot be deleted: they are
# assigned"); these make it read right for one.
_ONE = (
    (re.compile(r"\bthey are\b"), "it is"),
    (re.compile(r"\bthem\b"), "it"),
    (re.compile(r"\btheir\b"), "its"),
)


def _singular(reason: str) -> str:
    reason = reason.replace(" DIDs ", " DID ", 1)  # the subject only ("only In Stock DIDs can")
    for pattern, one in _ONE:
        reason = pattern.sub(one, reason)
    return reason


@dataclass
class MoveResult:
    trigger: Trigger
    moved: int = 0
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    change_set: object = None

    @property
    def refused(self) -> int:
        return sum(r.count for r in self.refusals)

    def __add__(self, other: MoveResult) -> MoveResult:
        return MoveResult(
            trigger=self.trigger,
            moved=self.moved + other.moved,
            unchanged=self.unchanged + other.unchanged,
            refusals=self.refusals + other.refusals,
            change_set=self.change_set,
        )


# --------------------------------------------------------------------------- selections

Selection = QuerySet | Sequence[int] | int | DID


def _selection_sql(selection: Selection) -> tuple[str, list]:
    """SQL returning the ids of the selected DIDs, with its params."""
    if isinstance(selection, DID):
        return "SELECT %s::bigint", [selection.pk]
    if isinstance(selection, int):
        return "SELECT %s::bigint", [selection]
    if isinstance(selection, QuerySet):
        try:
            sql, params = selection.order_by().values("id").query.sql_with_params()
        except EmptyResultSet:  # a filter Django knows matches nothing (e.g. ``id IN ()``)
            return "SELECT NULL::bigint WHERE false", []
        return sql, list(params)
    return "SELECT unnest(%s::bigint[])", [list(selection)]


# --------------------------------------------------------------------------- row locks

BUSY_MESSAGE = "The DIDs are being changed by someone else right now; try again."
DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


class DIDsBusy(LifecycleError):
    """A set-based move met a deadlock twice in a row: other work is changing the same DIDs.
    Nothing of the move was applied; trying again later will do."""


def lock_in_order(sel_sql: str, sel_params: list) -> None:
    """Lock the selected DIDs' rows in id order, in one statement, before a set-based write.

    An UPDATE locks rows in whatever order its plan meets them, so two writes over the same
    DIDs (the hold sweep and a Mass Edit, say) can each hold rows the other waits for: a
    deadlock. Locking first in one global order (ascending id) makes the later write wait
    for the earlier one instead. The locks last until the transaction ends.
    """
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*) FROM (
                SELECT id FROM {_did_table()} WHERE id IN ({sel_sql}) ORDER BY id FOR UPDATE
            ) AS locked
            """,
            sel_params,
        )


def is_deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` (Django's ``OperationalError``, or psycopg's own) is PostgreSQL's
    "deadlock detected"."""
    while exc is not None:
        if getattr(exc, "sqlstate", None) == DEADLOCK:
            return True
        exc = exc.__cause__
    return False


def retry_deadlock(write):
    """Run ``write`` (a function that does its work in its own ``transaction.atomic()``
    block, so a failure rolls it back whole) again once if PostgreSQL picked it as a
    deadlock's victim; a second deadlock raises ``DIDsBusy``. Inside a caller's transaction
    the block is a savepoint: rolling it back keeps the caller's work and lets the other
    transaction go on."""

    @functools.wraps(write)
    def run(*args, **kwargs):
        try:
            return write(*args, **kwargs)
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            log.warning("%s: deadlock; trying once more", write.__qualname__)
        try:
            return write(*args, **kwargs)
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            log.warning("%s: deadlock again; refused as busy", write.__qualname__)
            raise DIDsBusy(BUSY_MESSAGE) from exc

    return run


def _did_table() -> str:
    return DID._meta.db_table


AUDIT_FIELDS = (
    "status",
    "client_id",
    "account_id",
    "subscription_id",
    "hold_until",
)


# What each trigger can change, so each audit row carries exactly that before and after.
AUDIT_FIELDS_OF = {
    Trigger.SET_STATUS: ("status",),
    Trigger.BLOCK: ("status",),
    Trigger.ACTIVATE: ("status", "hold_until"),
    Trigger.HOLD: ("status", "hold_until"),
    Trigger.SUBSCRIPTION_CANCEL: ("status", "hold_until"),
    Trigger.SUBSCRIPTION_EXPIRE: ("status", "hold_until"),
    Trigger.SUBSCRIPTION_REACTIVATE: ("status", "hold_until"),
    Trigger.ASSIGN: ("status", "client_id", "account_id", "subscription_id"),
}


def _json_sql(alias: str, fields: Iterable[str]) -> str:
    parts = ", ".join(f"'{f}', {alias}.{f}" for f in fields)
    return f"jsonb_build_object({parts})"


def _status_label(value: str) -> str:
    return Status(value).label


def _count_by_status(sel_sql: str, sel_params: list, where: str = "TRUE", params=()) -> list:
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT d.status, count(*), (array_agg(d.number ORDER BY d.id))[1:3]
            FROM {_did_table()} d
            WHERE d.id IN ({sel_sql}) AND ({where})
            GROUP BY d.status ORDER BY d.status
            """,
            [*sel_params, *params],
        )
        return cur.fetchall()


def _raise_for(refusals: list[Refusal], error_cls=IllegalTransition, single_number=None):
    if not refusals:
        return
    if single_number is not None and len(refusals) == 1 and refusals[0].count == 1:
        msg = f"DID {single_number}: {refusals[0].reason_single}"
    else:
        msg = "Refused, nothing changed: " + "; ".join(str(r) for r in refusals) + "."
    raise error_cls(msg, number=single_number, refusals=refusals)


@dataclass
class _Refusal(Refusal):
    reason_single: str = ""


def _status_refusals(
    sel_sql: str, sel_params: list, legal: frozenset[Status], target_label: str, trigger: Trigger
) -> tuple[list[Refusal], int]:
    """Refusals for DIDs whose status is not a legal source, how many are there already, and
    how many may move: one pass over the selection."""
    refusals: list[Refusal] = []
    unchanged = 0
    movable = 0
    for status, count, examples in _count_by_status(sel_sql, sel_params):
        if status in legal:
            movable += count
            continue
        if trigger == Trigger.SET_STATUS and _status_label(status) == target_label:
            unchanged += count
            continue
        why = _why_not(Status(status), trigger, target_label)
        refusals.append(
            _Refusal(
                reason=f"{_status_label(status)} DIDs {why}",
                count=count,
                examples=list(examples),
                reason_single=f"it is {_status_label(status)} and {why}.",
            )
        )
    return refusals, unchanged, movable


def _why_not(status: Status, trigger: Trigger, target_label: str) -> str:
    if trigger == Trigger.SET_STATUS and status in ASSIGNED:
        return f"cannot become {target_label}: they are assigned (release them first)"
    if trigger == Trigger.ASSIGN:
        return "cannot be assigned: only In Stock DIDs can"
    if trigger in (Trigger.EXPIRE_HOLD, Trigger.RELEASE):
        return "cannot be released: only On Hold DIDs can"
    if trigger == Trigger.ACTIVATE and status in UNASSIGNED:
        return "cannot become Active this way: assign them to an account"
    return f"cannot become {target_label}"


# --------------------------------------------------------------------------- the engine


@retry_deadlock
def _move(
    *,
    trigger: Trigger,
    selection: Selection,
    actor: Actor,
    target: Status | None,
    set_sql: dict[str, str] | None = None,
    set_params: list | None = None,
    extra_from: str = "",
    extra_where: str = "",
    extra_params: list | None = None,
    audit_fields: Sequence[str] = AUDIT_FIELDS,
    legal: frozenset[Status] | None = None,
    strict: bool = True,
    precheck: bool = True,
    expected: int | None = None,
    single_number: str | None = None,
    message: str = "",
) -> MoveResult:
    """Move the selected DIDs by ``trigger``. ``target`` None means "its after-hold status".

    One guarded UPDATE joined to the DIDs' previous versions, whose RETURNING feeds the audit
    INSERT: the audit row carries exactly the before and after of the row it describes.
    """
    if legal is None:
        legal = sources(trigger, target) if target is not None else sources(trigger)
    legal = frozenset(legal)
    target_label = target.label if target is not None else "their after-hold status"
    sel_sql, sel_params = _selection_sql(selection)
    result = MoveResult(trigger=trigger, change_set=actor.change_set)

    with transaction.atomic():
        roomy_hash()
        # Locked first, in id order (see ``lock_in_order``); the check below then counts rows
        # that nobody else can change before the UPDATE.
        lock_in_order(sel_sql, sel_params)
        if precheck:
            refusals, unchanged, movable = _status_refusals(
                sel_sql, sel_params, legal, target_label, trigger
            )
            result.unchanged = unchanged
            if strict and expected is None:
                expected = movable
            if refusals:
                if strict:
                    _raise_for(refusals, single_number=single_number)
                result.refusals.extend(refusals)
        sets = {"status": "%s" if target is not None else "o.after_hold_status", **(set_sql or {})}
        params: list = [target.value] if target is not None else []
        assignments = ", ".join(f"{col} = {expr}" for col, expr in sets.items())
        params += list(set_params or [])
        table = _did_table()
        sql = f"""
            WITH moved AS (
                UPDATE {table} AS t SET {assignments}, updated_at = clock_timestamp()
                FROM {table} AS o {extra_from}
                WHERE t.id = o.id
                  AND o.id IN ({sel_sql})
                  AND t.status = o.status
                  AND t.status = ANY(%s)
                  {extra_where}
                RETURNING t.id, t.number, t.reseller_id,
                          {_json_sql("o", audit_fields)} AS before,
                          {_json_sql("t", audit_fields)} AS after
            )
            INSERT INTO {AUDIT_TABLE} ({AUDIT_INSERT_COLUMNS})
            SELECT %s, now(), %s, %s, %s, 'did', id, number, reseller_id, before, after, %s
            FROM moved
        """
        params += [*sel_params, [s.value for s in legal], *(extra_params or [])]
        params += [actor.change_set, actor.user_id, actor.username, trigger.value, message]
        with connection.cursor() as cur:
            cur.execute(sql, params)
            result.moved = cur.rowcount
        if expected is not None and strict and result.moved != expected:
            # Someone changed these DIDs between our check and our update.
            raise IllegalTransition(
                f"Refused, nothing changed: {expected - result.moved} of the DIDs changed "
                "while this action ran; reload and try again.",
                number=single_number,
            )
    return result


def roomy_hash() -> None:
    """Memory for this transaction's set-based statements: a self-join hash that spills to disk
    in batches updates rows in hash order, touching the table at random; RETURNING rows that
    feed the audit INSERT spill to temporary files."""
    with connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")


def _single(did: DID | int) -> DID:
    if isinstance(did, DID):
        return did
    return DID.objects.get(pk=did)


def _run(trigger, selection, actor, target, strict=True, **kw) -> MoveResult:
    """Run ``_move`` for a single DID (precise error) or a selection (counted refusals)."""
    single = isinstance(selection, DID | int)
    number = _single(selection).number if single else None
    legal = kw.pop("legal", None)
    if legal is None:
        legal = sources(trigger, target) if target is not None else sources(trigger)
    kw.setdefault("audit_fields", AUDIT_FIELDS_OF.get(trigger, AUDIT_FIELDS))
    return _move(
        trigger=trigger,
        selection=selection,
        actor=actor,
        target=target,
        legal=legal,
        strict=strict,
        single_number=number,
        **kw,
    )


# --------------------------------------------------------------------------- services


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
    return _run(Trigger.SET_STATUS, selection, actor, target, strict=strict, legal=legal)


def block(selection: Selection, *, actor: Actor, strict: bool = True) -> MoveResult:
    return _run(Trigger.BLOCK, selection, actor, Status.BLOCKED, strict=strict)


def _active_subscription_refusals(sel_sql: str, sel_params: list) -> list[Refusal]:
    """On hold DIDs whose subscription is not active, or over its package's allowance."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*), (array_agg(d.number ORDER BY d.id))[1:3]
            FROM {_did_table()} d JOIN subscriptions_subscription s ON s.id = d.subscription_id
            WHERE d.id IN ({sel_sql}) AND d.status = 'on_hold' AND s.status <> 'active'
            """,
            sel_params,
        )
        count, examples = cur.fetchone()
    refusals: list[Refusal] = []
    if count:
        refusals.append(
            _Refusal(
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
                   (SELECT count(*) FROM {_did_table()} x WHERE x.subscription_id = s.id) AS linked
            FROM subscriptions_subscription s JOIN packages_package p ON p.id = s.package_id
            WHERE s.id IN (SELECT d.subscription_id FROM {_did_table()} d
                           WHERE d.id IN ({sel_sql}) AND d.status = 'on_hold')
            FOR UPDATE OF s
            """,
            sel_params,
        )
        for _sid, package, allowance, linked in cur.fetchall():
            if linked > allowance:
                refusals.append(
                    _Refusal(
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
        sel_sql, sel_params = _selection_sql(selection)
        refusals = _active_subscription_refusals(sel_sql, sel_params)
        if refusals and strict:
            _raise_for(
                refusals, SubscriptionNotActive, _single(selection).number if single else None
            )
        result = _run(
            Trigger.ACTIVATE,
            selection,
            actor,
            Status.ACTIVE,
            strict=strict,
            set_sql={"hold_until": "NULL"},
            extra_from="JOIN subscriptions_subscription s ON s.id = o.subscription_id",
            extra_where="AND (o.status = 'blocked' OR s.status = 'active')",
        )
        result.refusals = refusals + result.refusals
        return result


# Capped at the largest legal hold (config.limits), so that even a row written before the
# CHECK constraints existed cannot make the timestamp overflow and stop a sweep.
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
    return _run(
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
    return _run(Trigger.RELEASE, selection, actor, None, strict=strict, set_sql=dict(_UNLINK))


def expire_holds(
    *,
    now: dt.datetime | None = None,
    actor: Actor | None = None,
    ids: Sequence[int] | None = None,
) -> MoveResult:
    """The periodic task: every On Hold DID whose hold has ended goes to its after-hold status.
    With ``ids``, only those of them (``inventory.tasks`` sweeps in batches)."""
    now = now or timezone.now()
    actor = actor or Actor.system("hold expiry")
    due = DID.objects.filter(status=Status.ON_HOLD, hold_until__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    return _move(
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
    from clients.models import Account
    from subscriptions.models import Subscription

    single = isinstance(selection, DID | int)
    number = _single(selection).number if single else None
    if not isinstance(account, Account):
        account = Account.objects.select_related("client").get(pk=account)
    client = account.client

    with transaction.atomic():
        sel_sql, sel_params = _selection_sql(selection)
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
                if cand.package.did_allowance - cand.dids.count() >= wanted:
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
                FROM {_did_table()} d WHERE d.id IN ({sel_sql})
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

        linked = subscription.dids.count()
        room = package.did_allowance - linked
        if wanted > room:
            raise AllowanceExceeded(
                f"{label}: package {package.name} allows "
                f"{text.count(package.did_allowance, 'DID')} and {linked:,} "
                f"{text.is_are(linked)} already linked to this subscription"
                + (f"; {wanted:,} more do not fit." if wanted > 1 else "; no room for one more."),
                number=number,
            )

        return _run(
            Trigger.ASSIGN,
            selection,
            actor,
            Status.ACTIVE,
            set_sql={"client_id": "%s", "account_id": "%s", "subscription_id": "%s"},
            set_params=[client.pk, account.pk, subscription.pk],
            message=f"{client.name} | {account.name}",
        )


# --------------------------------------------------------------------------- subscriptions


def _subscription_snapshot(sub) -> dict:
    return {"status": sub.status, "end_date": sub.end_date}


def _end_subscription(subscription, new_status, trigger, *, actor: Actor, now=None) -> MoveResult:
    from subscriptions.models import Subscription

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
        dids = DID.objects.filter(subscription=sub, status__in=[Status.ACTIVE, Status.BLOCKED])
        return hold(dids, actor=actor, strict=False, now=now, trigger=trigger)


def cancel_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    """Active -> Cancelled; its Active and Blocked DIDs go On Hold."""
    from subscriptions.models import Subscription

    return _end_subscription(
        subscription,
        Subscription.Status.CANCELLED,
        Trigger.SUBSCRIPTION_CANCEL,
        actor=actor,
        now=now,
    )


def expire_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    from subscriptions.models import Subscription

    return _end_subscription(
        subscription, Subscription.Status.EXPIRED, Trigger.SUBSCRIPTION_EXPIRE, actor=actor, now=now
    )


def expire_subscriptions(
    *, today: dt.date | None = None, actor: Actor | None = None, now=None
) -> int:
    """The periodic task: active subscriptions whose end date has passed expire, each on its
    own, so one that fails cannot keep the others active (see ``subscriptions.services``)."""
    from subscriptions.services import expire_due_subscriptions

    return expire_due_subscriptions(today=today, actor=actor, now=now)


def reactivate_subscription(subscription, *, actor: Actor, now=None) -> MoveResult:
    """Cancelled / Expired -> Active; its DIDs still On Hold become Active again."""
    from subscriptions.models import Subscription

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
        linked = sub.dids.count()
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
        return _move(
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


# --------------------------------------------------------------------------- dispatch


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


def preview_change_status(selection: Selection, status: str) -> MoveResult:
    """What ``change_status`` would do, without doing it: counts and refusals."""
    target = Status(status)
    trigger = MANUAL_TRIGGER[target]
    legal = sources(trigger, target)
    sel_sql, sel_params = _selection_sql(selection)
    refusals, unchanged, movable = _status_refusals(
        sel_sql, sel_params, legal, target.label, trigger
    )
    result = MoveResult(trigger=trigger, unchanged=unchanged, refusals=refusals)
    blocked_by_subscription: list[Refusal] = []
    if trigger == Trigger.ACTIVATE:
        blocked_by_subscription = _active_subscription_refusals(sel_sql, sel_params)
        result.refusals = blocked_by_subscription + result.refusals
    result.moved = movable - sum(r.count for r in blocked_by_subscription)
    return result


# --------------------------------------------------------------------------- entry and exit

# A DID enters the inventory in one of these, and only these may be deleted.
INITIAL_STATUSES = UNASSIGNED
DELETABLE_STATUSES = UNASSIGNED

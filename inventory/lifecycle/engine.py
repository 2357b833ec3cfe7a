"""The set-based engine under every lifecycle move (``move``).

A guarded ``UPDATE ... FROM`` whose ``WHERE`` only admits the legal source statuses of the
table, feeding an ``INSERT ... SELECT`` into the audit log in the same statement. The
single-DID services are the same engine on a one-row selection, so "one rule, two speeds"
holds by construction. Rows are locked in id order first, and a deadlock is tried once more.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet

from audit import services as audit
from audit.services import Actor

from ..choices import Status
from ..models import DID
from .errors import (
    BUSY_MESSAGE,
    DIDsBusy,
    IllegalTransition,
    MoveResult,
    Refusal,
    raise_for,
)
from .table import ASSIGNED, COUNTED_AGAINST_ALLOWANCE, UNASSIGNED, Trigger, sources, values

log = logging.getLogger("inventory.lifecycle")

# --------------------------------------------------------------------------- selections

Selection = QuerySet | Sequence[int] | int | DID


def selection_sql(selection: Selection) -> tuple[str, list]:
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


def did_table() -> str:
    return DID._meta.db_table


def counted(subscription) -> int:
    """The DIDs that count against ``subscription``'s package allowance."""
    return subscription.dids.filter(status__in=COUNTED_AGAINST_ALLOWANCE).count()


def one_did(did: DID | int) -> DID:
    """The DID itself, for a selection of one."""
    if isinstance(did, DID):
        return did
    return DID.objects.get(pk=did)


# --------------------------------------------------------------------------- row locks

DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


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
                SELECT id FROM {did_table()} WHERE id IN ({sel_sql}) ORDER BY id FOR UPDATE
            ) AS locked
            """,
            sel_params,
        )


def locked_rows_sql(sel_sql: str) -> str:
    """The selected DIDs as a subquery that locks them in id order (``lock_in_order``) as a
    write reads them: ``UPDATE ... FROM {locked_rows_sql(sel)} AS o WHERE t.id = o.id`` locks
    and reads the rows' previous versions in one pass, instead of a locking pass first."""
    return f"(SELECT * FROM {did_table()} WHERE id IN ({sel_sql}) ORDER BY id FOR UPDATE)"


def locked_rows(selection: Selection) -> tuple[str, list]:
    """``locked_rows_sql`` for ``selection``, with its params. A queryset over the DID table
    alone (no joins, no slice) is read as it is, its rows locked as its own scan meets them,
    rather than matched against a second scan of the table."""
    if (
        isinstance(selection, QuerySet)
        and selection.model is DID
        and len(selection.query.alias_map) <= 1
        and not selection.query.is_sliced
        and not selection.query.distinct
    ):
        columns = [f.column for f in DID._meta.concrete_fields]
        try:
            sql, params = selection.order_by().values(*columns).query.sql_with_params()
        except EmptyResultSet:
            return f"(SELECT * FROM {did_table()} WHERE false)", []
        return f"({sql} ORDER BY id FOR UPDATE)", list(params)
    sel_sql, sel_params = selection_sql(selection)
    return locked_rows_sql(sel_sql), sel_params


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


def roomy_hash() -> None:
    """Memory for this transaction's set-based statements: a self-join hash that spills to disk
    in batches updates rows in hash order, touching the table at random; RETURNING rows that
    feed the audit INSERT spill to temporary files."""
    with connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")


# --------------------------------------------------------------------------- audit fields

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


# --------------------------------------------------------------------------- refusals


def count_by_status(
    sel_sql: str,
    sel_params: list,
    *,
    examples: bool = True,
    lock: bool = False,
    no_examples_for: frozenset[Status] = frozenset(),
) -> list:
    """(status, count, first numbers) of the selection, one row per status. Without
    ``examples`` the numbers are left out (None), which is cheaper on a large selection; the
    statuses of ``no_examples_for`` (the ones that move) get none either. With ``lock`` the
    rows are locked first, in id order (``lock_in_order``, in the same pass), and counted as
    they are once locked."""
    first = "(array_agg(d.number ORDER BY d.id))[1:3]" if examples else "NULL::text[]"
    first_params: list = []
    if examples and no_examples_for:
        first = "(array_agg(d.number ORDER BY d.id) FILTER (WHERE NOT d.status = ANY(%s)))[1:3]"
        first_params = [values(no_examples_for)]
    rows = f"SELECT id, status, number FROM {did_table()} WHERE id IN ({sel_sql})"
    if lock:
        rows += " ORDER BY id FOR UPDATE"
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT d.status, count(*), {first}
            FROM ({rows}) AS d
            GROUP BY d.status ORDER BY d.status
            """,
            [*first_params, *sel_params],
        )
        return cur.fetchall()


def status_refusals(
    sel_sql: str,
    sel_params: list,
    legal: frozenset[Status],
    target_label: str,
    trigger: Trigger,
    *,
    lock: bool = False,
    present: list | None = None,
) -> tuple[list[Refusal], int, int]:
    """Refusals for DIDs whose status is not a legal source, how many are there already, and
    how many may move: one pass over the selection (which ``lock`` locks in id order). The
    legal source statuses found are appended to ``present``, if given."""
    refusals: list[Refusal] = []
    unchanged = 0
    movable = 0
    rows = count_by_status(sel_sql, sel_params, lock=lock, no_examples_for=legal)
    for status, count, examples in rows:
        if present is not None and status in legal:
            present.append(Status(status))
        if status in legal:
            movable += count
            continue
        label = Status(status).label
        if trigger == Trigger.SET_STATUS and label == target_label:
            unchanged += count
            continue
        why = _why_not(Status(status), trigger, target_label)
        refusals.append(
            Refusal(
                reason=f"{label} DIDs {why}",
                count=count,
                examples=list(examples),
                reason_single=f"it is {label} and {why}.",
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
def move(
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
    sel_sql, sel_params = selection_sql(selection)
    result = MoveResult(trigger=trigger, change_set=actor.change_set)

    with transaction.atomic():
        roomy_hash()
        # Locked in id order (see ``lock_in_order``): with the check, by its count (which then
        # counts rows that nobody else can change before the UPDATE); without, by the UPDATE
        # as it reads them (``locked_rows_sql``).
        present: list[Status] = []
        if precheck:
            refusals, unchanged, movable = status_refusals(
                sel_sql, sel_params, legal, target_label, trigger, lock=True, present=present
            )
            result.unchanged = unchanged
            if strict and expected is None:
                expected = movable
            if refusals:
                if strict:
                    raise_for(refusals, single_number=single_number)
                result.refusals.extend(refusals)
        sets = {"status": "%s" if target is not None else "o.after_hold_status", **(set_sql or {})}
        params: list = [target.value] if target is not None else []
        assignments = ", ".join(f"{col} = {expr}" for col, expr in sets.items())
        params += list(set_params or [])
        table = did_table()
        # The status always changes (the legal sources never include the target); the other
        # fields are logged only where they change.
        before, after = audit.changed_sql("o", "t", audit_fields, always=("status",))
        cs = audit.open_change_set(
            actor,
            trigger.value,
            message=message,
            **(_main_object(selection, single_number) if single_number else {}),
        )
        tail, tail_params = audit.entries_sql(
            cs,
            "moved",
            object_type="did",
            kind=audit.Kind.UPDATE,
            count_key=audit.status_count_key("did"),
        )
        old_sql = " ".join([extra_from, extra_where, *sets.values()])
        one_source = (
            len(present) == 1 and tuple(audit_fields) == ("status",) and "o." not in old_sql
        )
        if one_source:
            # Every moving DID has the same status before (the check found one legal source
            # status among the locked rows) and only the status is logged: the previous
            # versions need not be read at all.
            source = ""
            where_selected = f"AND t.id IN ({sel_sql}) AND t.status = %s"
            before = "%s::jsonb"
            after = "jsonb_build_object('status', t.status)"
        elif precheck:
            source = f"FROM {table} AS o {extra_from}"
            where_selected = f"AND t.id = o.id AND t.status = o.status AND o.id IN ({sel_sql})"
        else:
            locked, sel_params = locked_rows(selection)
            source = f"FROM {locked} AS o {extra_from}"
            where_selected = "AND t.id = o.id AND t.status = o.status"
        sql = f"""
            WITH moved AS (
                UPDATE {table} AS t SET {assignments}, updated_at = clock_timestamp()
                {source}
                WHERE true
                  {where_selected}
                  AND t.status = ANY(%s)
                  {extra_where}
                RETURNING t.id, t.reseller_id, {before} AS before, {after} AS after
            ) {tail}
        """
        params += sel_params
        if one_source:
            params.append(present[0].value)
        params += [[s.value for s in legal], *(extra_params or [])]
        if one_source:
            params.append(json.dumps({"status": present[0].value}))
        params += tail_params
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


def _main_object(selection: Selection, number: str) -> dict:
    """A one-DID move's main object, for the change set's list row."""
    pk = selection.pk if isinstance(selection, DID) else int(selection)
    return {"object_type": "did", "object_id": pk, "object_repr": number}


def run_move(trigger, selection, actor, target, strict=True, **kw) -> MoveResult:
    """Run ``move`` for a single DID (precise error) or a selection (counted refusals)."""
    single = isinstance(selection, DID | int)
    number = one_did(selection).number if single else None
    legal = kw.pop("legal", None)
    if legal is None:
        legal = sources(trigger, target) if target is not None else sources(trigger)
    kw.setdefault("audit_fields", AUDIT_FIELDS_OF.get(trigger, AUDIT_FIELDS))
    return move(
        trigger=trigger,
        selection=selection,
        actor=actor,
        target=target,
        legal=legal,
        strict=strict,
        single_number=number,
        **kw,
    )

"""Writes on DIDs that are not status moves: create, edit fields, delete.

Status moves live in ``inventory.lifecycle``. Everything here is set-based and writes its
audit records in the same statement as the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from audit import services as audit
from audit.services import Actor
from config import text
from config.limits import (
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    NOTES_MAX,
    TAG_MAX,
    check_length,
    check_range,
)

from . import lifecycle
from .choices import AfterHold, Status
from .lifecycle import Selection, selection_sql
from .models import DID
from .numbers import Spec, source_sql

TABLE = DID._meta.db_table


class DIDsExist(Exception):
    """Some numbers of a New DIDs request are not available.

    Numbers are unique across the platform, so a number held by another reseller is refused
    too, with the same words as the user's own: the message gives only counts of what the
    user typed, never a number, never whose it is (PRODUCT.md, "Limits")."""

    def __init__(self, count: int, total: int):
        self.count = count
        self.total = total
        super().__init__(unavailable_message(count, total))


def unavailable_message(count: int, total: int) -> str:
    """ "812 of these 1,000 numbers are not available. Skip them, or cancel and change the
    list." """
    if total == 1:
        return "This number is not available. Cancel and change it."
    if count >= total:
        return f"None of these {total:,} numbers are available. Cancel and change the list."
    return (
        f"{count:,} of these {text.count(total, 'number')} {text.is_are(count)} not available. "
        f"Skip {'it' if count == 1 else 'them'}, or cancel and change the list."
    )


def created_message(result: CreateResult) -> str:
    """ "Created 5 DIDs. 100 not available, skipped." """
    msg = f"Created {text.count(result.created, 'DID')}."
    if result.skipped:
        msg += f" {result.skipped:,} not available, skipped."
    return msg


@dataclass
class CreateResult:
    created: int
    skipped: int
    change_set: object = None


def find_existing(spec: Spec) -> tuple[int, int]:
    """How many numbers of ``spec`` exist already (under any reseller: numbers are unique
    across the platform), and how many distinct numbers ``spec`` holds. Counts only: which
    numbers exist is no business of a user who may not see them all."""
    if not spec.numbers and len(spec.ranges) == 1:
        r = spec.ranges[0]
        first, last = r.format(r.first), r.format(r.last)
        if len(first) == len(last):
            # Same-length digit strings sort like their numbers: one range scan of the
            # unique index ("C" collation) instead of a join against every number.
            with connection.cursor() as cur:
                cur.execute(
                    f"""
                    SELECT count(*) FROM {TABLE}
                    WHERE number >= %s AND number <= %s AND length(number) = %s
                    """,
                    [first, last, len(first)],
                )
                (count,) = cur.fetchone()
            return count, r.count
    src, params = source_sql(spec)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(d.id), count(*)
            FROM ({src}) s LEFT JOIN {TABLE} d ON d.number = s.number
            """,
            params,
        )
        count, total = cur.fetchone()
    return count, total


def create_dids(
    spec: Spec,
    *,
    operator,
    status: str = Status.IN_STOCK,
    after_hold: str = AfterHold.IN_STOCK,
    tag: str = "",
    notes: str = "",
    hold_days: int | None = None,
    skip_existing: bool = False,
    actor: Actor,
    progress=None,
    chunk: int = 25_000,
) -> CreateResult:
    """Create every DID of ``spec`` by INSERT ... SELECT, with one audit row each, in one
    transaction. With ``progress``, large specs go in chunks and report after each one."""
    _check_values(tag=tag, notes=notes, hold_days=hold_days)
    status = Status(status)
    if status not in lifecycle.INITIAL:
        raise lifecycle.IllegalTransition(
            f"New DIDs start Reserved, In Stock or Archive, not {status.label}."
        )
    after_hold = AfterHold(after_hold)
    parts = list(spec.chunks(chunk)) if progress and spec.total > chunk else [spec]
    created = 0
    with transaction.atomic():
        lifecycle.roomy_hash()  # the RETURNING rows feeding the audit stay in memory
        if not skip_existing:
            count, total = find_existing(spec)
            if count:
                raise DIDsExist(count, total)
        done = 0
        for part in parts:
            created += _insert(part, operator, status, after_hold, tag, notes, hold_days, actor)
            done += part.total
            if progress:
                progress(done)
        if created == 1 and spec.total == 1:
            _name_single_did(spec, actor)
    return CreateResult(
        created=created, skipped=_distinct_total(spec) - created, change_set=actor.change_set
    )


def _name_single_did(spec: Spec, actor: Actor) -> None:
    """One new DID is a single-object action: the change set names it (its main object)."""
    number = spec.numbers[0] if spec.numbers else spec.ranges[0].format(spec.ranges[0].first)
    pk = DID.objects.filter(number=number).values_list("pk", flat=True).first()
    audit.open_change_set(actor, "create", object_type="did", object_id=pk, object_repr=number)


def _distinct_total(spec: Spec) -> int:
    """How many different numbers ``spec`` holds (a number typed twice, or ranges that
    overlap, count once): what "N not available, skipped" is counted against."""
    if not spec.numbers and len(spec.ranges) == 1:
        return spec.ranges[0].count
    if not spec.ranges:
        return len(set(spec.numbers))
    src, params = source_sql(spec)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({src}) s", params)
        return cur.fetchone()[0]


def _insert(spec, operator, status, after_hold, tag, notes, hold_days, actor) -> int:
    src, src_params = source_sql(spec)
    cs = audit.open_change_set(actor, "create")
    tail, tail_params = audit.entries_sql(
        cs, "ins", object_type="did", kind=audit.Kind.CREATE, before="NULL", after="after"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH ins AS (
                INSERT INTO {TABLE} (number, status, operator_id, reseller_id,
                    after_hold_status, tag, notes, hold_days, created_at, updated_at)
                SELECT s.number, %s, %s, %s, %s, %s, %s, %s, now(), now()
                FROM ({src}) s
                ON CONFLICT (number) DO NOTHING
                RETURNING id, reseller_id,
                          jsonb_build_object('status', status, 'operator_id', operator_id) AS after
            ) {tail}
            """,
            [
                status.value,
                operator.pk,
                operator.reseller_id,
                after_hold.value,
                tag,
                notes,
                hold_days,
                *src_params,
                *tail_params,
            ],
        )
        return cur.rowcount


def begin_mass_edit(actor: Actor, *, deleting: bool) -> None:
    """A Mass Edit is one user action: its change set is opened as "mass_edit" (or
    "mass_delete") before its status moves and field edits add their entries to it."""
    audit.open_change_set(actor, "mass_delete" if deleting else "mass_edit")


EDITABLE_FIELDS = ("after_hold_status", "tag", "notes", "hold_days", "operator_id")


class DIDValueError(lifecycle.LifecycleError):
    """A value past its bound (config.limits), e.g. "Notes: at most 1,000 characters." """


def _check_values(*, tag: str = "", notes: str = "", hold_days: int | None = None) -> None:
    """Refuse a tag, notes or hold days past the bounds, naming the field; the database's
    CHECK constraints hold the same bounds."""
    problem = (
        check_length("Tag", tag, TAG_MAX)
        or check_length("Notes", notes, NOTES_MAX)
        or (
            check_range("Hold days", hold_days, HOLD_DAYS_MIN, HOLD_DAYS_MAX)
            if hold_days is not None
            else None
        )
    )
    if problem:
        raise DIDValueError(problem)


def _edits(changes: dict) -> tuple[list[str], list, str, list]:
    """The columns of an edit, their values, and the SQL that admits a row (alias ``o``)
    only where a value really changes and, for an operator, only within its reseller."""
    cols = list(changes)
    values = [changes[c] for c in cols]
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM %s" for c in cols)
    where = f"({differs})"
    params = list(values)
    if "operator_id" in changes:
        # A DID's operator may change only within its reseller.
        where += " AND o.reseller_id = (SELECT reseller_id FROM operators_operator WHERE id = %s)"
        params.append(changes["operator_id"])
    return cols, values, where, params


def _checked(changes: dict) -> dict:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    _check_values(**{k: v for k, v in changes.items() if k in ("tag", "notes", "hold_days")})
    changes = dict(changes)
    if "after_hold_status" in changes:
        changes["after_hold_status"] = AfterHold(changes["after_hold_status"]).value
    return changes


@dataclass
class EditPreview:
    """What ``update_dids`` would do to a selection: how many DIDs change, and (an operator
    change) how many already have that operator and how many belong to another reseller
    than the operator's, which nothing changes on."""

    edited: int = 0
    same_operator: int = 0
    other_reseller: int = 0


def preview_edits(selection: Selection, changes: dict) -> EditPreview:
    """``update_dids``'s counts, without the change: one pass over the selection."""
    changes = _checked(changes)
    if not changes:
        return EditPreview()
    _cols, _values, where, params = _edits(changes)
    sel_sql, sel_params = selection_sql(selection)
    operator = changes.get("operator_id")
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*) FILTER (WHERE {where}),
                   count(*) FILTER (WHERE o.operator_id = %s),
                   count(*) FILTER (WHERE o.reseller_id IS DISTINCT FROM
                       (SELECT reseller_id FROM operators_operator WHERE id = %s))
            FROM {TABLE} AS o WHERE o.id IN ({sel_sql})
            """,
            [*params, operator, operator, *sel_params],
        )
        edited, same, other = cur.fetchone()
    if operator is None:
        return EditPreview(edited=edited)
    return EditPreview(edited=edited, same_operator=same, other_reseller=other)


@lifecycle.retry_deadlock
def update_dids(selection: Selection, changes: dict, *, actor: Actor) -> int:
    """Set plain fields (after hold, tag, notes, hold days, operator) on the selected DIDs.

    Only rows whose value really changes are touched and logged; a new operator only on the
    DIDs of its own reseller (``preview_edits`` counts the others). Returns how many changed.
    """
    changes = _checked(changes)
    if not changes:
        return 0
    cols, values, where, where_params = _edits(changes)
    assignments = ", ".join(f"{c} = %s" for c in cols)
    # One field: it is the one that differs; several: only those that differ are logged.
    before, after = audit.changed_sql("o", "t", cols, always=cols if len(cols) == 1 else ())
    with transaction.atomic(), connection.cursor() as cur:
        lifecycle.roomy_hash()
        locked, sel_params = lifecycle.locked_rows(selection)
        cs = audit.open_change_set(actor, "edit", **_main_object(selection))
        tail, tail_params = audit.entries_sql(
            cs, "changed", object_type="did", kind=audit.Kind.UPDATE
        )
        cur.execute(
            f"""
            WITH changed AS (
                UPDATE {TABLE} AS t SET {assignments}, updated_at = clock_timestamp()
                FROM {locked} AS o
                WHERE t.id = o.id AND {where}
                RETURNING t.id, t.reseller_id, {before} AS before, {after} AS after
            ) {tail}
            """,
            [*values, *sel_params, *where_params, *tail_params],
        )
        return cur.rowcount


def _main_object(selection: Selection) -> dict:
    """A one-DID write's main object (the change set's list row shows it); none for many."""
    if isinstance(selection, DID):
        return {"object_type": "did", "object_id": selection.pk, "object_repr": selection.number}
    return {}


# How each plain field's earlier value is read back from an audit entry's JSON.
_RESTORE_SQL = {
    "after_hold_status": "r.before->>'after_hold_status'",
    "tag": "COALESCE(r.before->>'tag', '')",
    "notes": "COALESCE(r.before->>'notes', '')",
    "hold_days": "(r.before->>'hold_days')::integer",
    "operator_id": "(r.before->>'operator_id')::bigint",
}


@lifecycle.retry_deadlock
def restore_fields(selection: Selection, rows_sql: str, rows_params=(), *, actor: Actor) -> int:
    """Put back the earlier plain fields (``EDITABLE_FIELDS``) of the selected DIDs, each its
    own: ``rows_sql`` returns ``(id, before)`` rows, ``before`` a JSON object of the fields to
    restore (a revert's entries). Only rows whose value really changes are touched and
    logged. Returns how many changed."""
    sel_sql, sel_params = selection_sql(selection)
    assignments = ", ".join(
        f"{col} = CASE WHEN r.before ? '{col}' THEN {expr} ELSE t.{col} END"
        for col, expr in _RESTORE_SQL.items()
    )
    differs = " OR ".join(
        f"(r.before ? '{col}' AND o.{col} IS DISTINCT FROM {expr})"
        for col, expr in _RESTORE_SQL.items()
    )

    def snapshot(alias):
        pairs = ", ".join(f"'{c}', {alias}.{c}" for c in EDITABLE_FIELDS)
        return (
            f"(SELECT jsonb_object_agg(f.key, f.value) FROM jsonb_each(jsonb_build_object({pairs}))"
            " f WHERE r.before ? f.key)"
        )

    with transaction.atomic(), connection.cursor() as cur:
        lifecycle.roomy_hash()
        lifecycle.lock_in_order(sel_sql, sel_params)  # one order for every writer: no deadlock
        cs = audit.open_change_set(actor, "revert")
        tail, tail_params = audit.entries_sql(
            cs, "changed", object_type="did", kind=audit.Kind.UPDATE
        )
        cur.execute(
            f"""
            WITH changed AS (
                UPDATE {TABLE} AS t SET {assignments}, updated_at = clock_timestamp()
                FROM ({rows_sql}) AS r(id, before), {TABLE} AS o
                WHERE t.id = r.id AND o.id = r.id AND o.id IN ({sel_sql}) AND ({differs})
                RETURNING t.id, t.reseller_id,
                          {snapshot("o")} AS before, {snapshot("t")} AS after
            ) {tail}
            """,
            [*rows_params, *sel_params, *tail_params],
        )
        return cur.rowcount


STALE_DID_MESSAGE = "This DID changed since you opened it; reload the page to see the change."


class StaleDID(lifecycle.LifecycleError):
    """The DID moved on (another user, a Mass Edit, an import, a periodic task) since the form
    that edits it was opened: saving it would undo that change."""


def edit_did(
    did: DID,
    *,
    seen_updated_at,
    status: str | None = None,
    changes: dict,
    actor: Actor,
) -> bool:
    """One DID page save: its status move (``status``, None = keep) and its changed plain
    fields (``changes``, as ``update_dids`` takes them), in one transaction.

    Refused with ``StaleDID`` when the row's ``updated_at`` is no longer ``seen_updated_at``,
    the version the form showed: every write to a DID sets ``updated_at`` (set-based writes
    to ``clock_timestamp()``, not ``now()``, which is the same for every statement of one
    transaction), so any change since the page was opened shows as a different value. The
    check locks the row, so nothing can slip in between it and the writes. Returns whether
    anything changed.
    """
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT 1 FROM {TABLE} WHERE id = %s AND updated_at = %s FOR UPDATE",
                [did.pk, seen_updated_at],
            )
            if cur.fetchone() is None:
                raise StaleDID(STALE_DID_MESSAGE, number=did.number)
        # One change set, the page's save, whether it moves the status, edits fields or both.
        audit.open_change_set(actor, "edit", **_main_object(did))
        moved = 0
        if status is not None and status != did.status:
            moved = lifecycle.change_status(did, status, actor=actor).moved
        changed = update_dids([did.pk], dict(changes), actor=actor) if changes else 0
    return bool(moved or changed)


@lifecycle.retry_deadlock
def delete_dids(selection: Selection, *, actor: Actor, strict: bool = True) -> lifecycle.MoveResult:
    """Delete the selected DIDs. Assigned DIDs (Active, Blocked, On Hold) cannot be deleted."""
    single = isinstance(selection, DID | int)
    sel_sql, sel_params = selection_sql(selection)
    deletable = lifecycle.values(lifecycle.DELETABLE)
    result = lifecycle.MoveResult(trigger=lifecycle.DELETE, change_set=actor.change_set)
    with transaction.atomic():
        lifecycle.lock_in_order(sel_sql, sel_params)  # one order for every writer: no deadlock
        with connection.cursor() as cur:
            cur.execute(
                f"""
                SELECT status, count(*), (array_agg(number ORDER BY id))[1:3]
                FROM {TABLE} WHERE id IN ({sel_sql}) AND NOT status = ANY(%s)
                GROUP BY status ORDER BY status
                """,
                [*sel_params, deletable],
            )
            for status, count, examples in cur.fetchall():
                result.refusals.append(lifecycle.delete_refusal(status, count, examples))
        if result.refusals and strict:
            if single:
                r = result.refusals[0]
                raise lifecycle.DIDAssigned(
                    f"DID {r.examples[0]} is {r.reason.split(' DIDs')[0]} and assigned to a "
                    "client; it cannot be deleted. Release it first.",
                    number=r.examples[0],
                    refusals=result.refusals,
                )
            raise lifecycle.DIDAssigned(
                "Refused, nothing deleted: " + "; ".join(str(r) for r in result.refusals) + ".",
                refusals=result.refusals,
            )
        cs = audit.open_change_set(actor, "delete", **_main_object(selection))
        tail, tail_params = audit.entries_sql(
            cs, "gone", object_type="did", kind=audit.Kind.DELETE, after="NULL"
        )
        with connection.cursor() as cur:
            cur.execute(
                f"""
                WITH gone AS (
                    DELETE FROM {TABLE} WHERE id IN ({sel_sql}) AND status = ANY(%s)
                    RETURNING id, reseller_id,
                        jsonb_build_object('number', number, 'status', status,
                                           'operator_id', operator_id, 'tag', tag,
                                           'notes', notes) AS before
                ) {tail}
                """,
                [*sel_params, deletable, *tail_params],
            )
            result.moved = cur.rowcount
    return result

"""Writes on DIDs that are not status moves: create, edit fields, delete.

Status moves live in ``inventory.lifecycle``. Everything here is set-based and writes its
audit records in the same statement as the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.http import QueryDict

from audit import services as audit
from audit.services import Actor, record, record_created
from config import text
from config.limits import (
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    NOTES_MAX,
    SAVED_SEARCH_NAME_MAX,
    SAVED_SEARCH_QUERY_MAX,
    SAVED_SEARCHES_PER_USER,
    TAG_MAX,
    check_length,
    check_range,
)

from . import lifecycle
from .choices import AfterHold, Status
from .filtersets import DIDFilterSet
from .lifecycle import Selection, selection_sql
from .models import DID, ColumnChoice, SavedSearch
from .numbers import Spec, source_sql
from .scoping import dids_for
from .selectors import UserRequest, search_errors, search_query

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


# --------------------------------------------------------------------------- saved searches


class SavedSearchError(Exception):
    """A saved search refused: "Name: ..." or "Search: ...", for the form to show."""


def _clean_search_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise SavedSearchError("Name: enter a name for the search.")
    if problem := check_length("Name", name, SAVED_SEARCH_NAME_MAX):
        raise SavedSearchError(problem)
    return name


def _clean_search_query(user, query: str | None) -> str:
    """``query`` reduced to what a saved search keeps (``search_query``), refused unless the
    DID Inventory's own search (``DIDFilterSet``, as ``user`` sees it) takes it."""
    raw = query or ""
    if len(raw) > SAVED_SEARCH_QUERY_MAX:
        raise SavedSearchError(f"Search: at most {SAVED_SEARCH_QUERY_MAX:,} characters.")
    kept = search_query(QueryDict(raw))
    if not kept:
        raise SavedSearchError("Search: run an Advanced Search first; there is nothing to save.")
    if len(kept) > SAVED_SEARCH_QUERY_MAX:
        raise SavedSearchError(f"Search: at most {SAVED_SEARCH_QUERY_MAX:,} characters.")
    search = DIDFilterSet(QueryDict(kept), queryset=dids_for(user), request=UserRequest(user))
    if not search.is_valid():
        raise SavedSearchError(f"Search: not saved; {search_errors(search)}")
    return kept


def _taken(name: str) -> SavedSearchError:
    return SavedSearchError(f"Name: you already have a saved search named “{name}”.")


def saved_search_create(*, user, name: str, query: str, shared: bool, actor: Actor) -> SavedSearch:
    """Save the DID Inventory search ``query`` under ``name`` for ``user`` (``shared``: for
    every user of their reseller too). At most ``SAVED_SEARCHES_PER_USER`` per user; the
    user's row is locked while counting, so two requests cannot both take the last one."""
    name = _clean_search_name(name)
    query = _clean_search_query(user, query)
    try:
        with transaction.atomic():
            list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
            if SavedSearch.objects.filter(user=user).count() >= SAVED_SEARCHES_PER_USER:
                raise SavedSearchError(
                    f"Name: you have {SAVED_SEARCHES_PER_USER:,} saved searches, the most one "
                    "user may keep; delete one first."
                )
            search = SavedSearch.objects.create(
                user=user,
                reseller_id=getattr(user, "reseller_id", None),
                name=name,
                query=query,
                shared=bool(shared),
            )
            record_created(
                actor,
                search,
                reseller_id=search.reseller_id,
                after={"name": name, "query": query, "shared": search.shared},
            )
    except IntegrityError as exc:
        raise _taken(name) from exc
    return search


def saved_search_rename(search: SavedSearch, *, name: str, actor: Actor) -> SavedSearch:
    """Rename one of the user's saved searches (the caller fetched it from
    ``own_saved_searches``)."""
    name = _clean_search_name(name)
    before = search.name
    if name == before:
        return search
    try:
        with transaction.atomic():
            search.name = name
            search.save(update_fields=["name"])
            record(
                actor,
                action="edit",
                object_type="savedsearch",
                object_id=search.pk,
                object_repr=name,
                reseller_id=search.reseller_id,
                before={"name": before},
                after={"name": name},
            )
    except IntegrityError as exc:
        search.name = before
        raise _taken(name) from exc
    return search


def saved_search_delete(search: SavedSearch, *, actor: Actor) -> None:
    with transaction.atomic():
        record(
            actor,
            action="delete",
            object_type="savedsearch",
            object_id=search.pk,
            object_repr=search.name,
            reseller_id=search.reseller_id,
            before={"name": search.name, "query": search.query, "shared": search.shared},
        )
        search.delete()


# --------------------------------------------------------------------------- columns


class ColumnsError(Exception):
    """A column choice refused: "Columns: ..."."""


def columns_choose(*, user, columns, allowed, actor: Actor) -> list[str] | None:
    """Keep the DID Inventory columns ``user`` sees: ``columns`` (keys of ``allowed``, the
    table's columns, kept in the table's order), or None to go back to the default. Returns
    what is kept."""
    allowed = list(allowed)
    if columns is not None:
        unknown = [c for c in columns if c not in allowed]
        if unknown:
            raise ColumnsError(f"Columns: “{str(unknown[0])[:40]}” is not a column of this list.")
        columns = [c for c in allowed if c in set(columns)]
        if not columns:
            raise ColumnsError("Columns: choose at least one column.")
    with transaction.atomic():
        row = ColumnChoice.objects.select_for_update().filter(user=user).first()
        before = row.columns if row is not None else None
        if before == columns:
            return columns
        if columns is None:
            row.delete()
        else:
            ColumnChoice.objects.update_or_create(user=user, defaults={"columns": columns})
        record(
            actor,
            action="edit",
            object_type="columnchoice",
            object_id=user.pk,
            object_repr=f"DID Inventory columns of {user.get_username()}",
            reseller_id=getattr(user, "reseller_id", None),
            before={"columns": before},
            after={"columns": columns},
        )
    return columns

"""Reads of the audit log. ``audit`` imports no domain app: the caller says whether the user
sees every reseller's records (a platform admin) or only their reseller's.

Change sets (one per user action) and their entries (one per changed object):

* ``change_sets_for(reseller_id, every_reseller=...)``: the change sets a user may see
  (a reseller's user: those whose every entry is their reseller's), newest first;
* ``change_set(uuid, reseller_id, every_reseller=...)``: one of them, or None;
* ``entries_of(change_set, reseller_id, every_reseller=...)``: its entries in the order
  they were written (keyset on ``id``; the table's primary key is (change_set_id, id)),
  a reseller's user seeing only their reseller's;
* ``history(object_type, object_id, reseller_id, every_reseller=...)``: one object's
  entries, newest first, each with its change set (``select_related``);
* ``count_rows(counts)``: a change set's counts as rows (object type, kind, from, to, n).

``records_for`` / ``listed`` / ``change_set_summary`` read the ``AuditRecord`` view (an
entry with its change set's fields), as the per-object list and the REST API did before.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet

from . import display
from .models import AuditRecord, ChangeSet, Entry


def change_sets_for(reseller_id: int | None, *, every_reseller: bool) -> QuerySet[ChangeSet]:
    qs = ChangeSet.objects.filter(total__gt=0)  # an action that changed nothing is no record
    return qs if every_reseller else qs.filter(reseller_id=reseller_id)


def change_set(uuid, reseller_id: int | None, *, every_reseller: bool) -> ChangeSet | None:
    return change_sets_for(reseller_id, every_reseller=every_reseller).filter(uuid=uuid).first()


def entries_of(cs: ChangeSet, reseller_id: int | None, *, every_reseller: bool) -> QuerySet[Entry]:
    qs = Entry.objects.filter(change_set_id=cs.pk).order_by("id")
    return qs if every_reseller else qs.filter(reseller_id=reseller_id)


def history(
    object_type: str, object_id: int, reseller_id: int | None, *, every_reseller: bool
) -> QuerySet[Entry]:
    qs = (
        Entry.objects.filter(object_id=object_id, object_type=object_type)
        .select_related("change_set")
        .order_by("-id")
    )
    return qs if every_reseller else qs.filter(reseller_id=reseller_id)


@dataclass(frozen=True)
class CountRow:
    object_type: str
    kind: str  # "create", "update", "delete" or "status"
    source: str = ""  # a status change's from and to
    target: str = ""
    count: int = 0


def count_rows(counts: dict) -> list[CountRow]:
    """``{"did.in_stock>archive": 5, "client.create": 1}`` as rows, biggest first."""
    rows = []
    for key, n in (counts or {}).items():
        object_type, _, kind = key.partition(".")
        source, sep, target = kind.partition(">")
        if sep:
            rows.append(CountRow(object_type, "status", source, target, int(n)))
        else:
            rows.append(CountRow(object_type, kind, count=int(n)))
    return sorted(rows, key=lambda r: (-r.count, r.object_type, r.kind, r.source, r.target))


# --------------------------------------------------------------------------- one row per entry


def records_for(reseller_id: int | None, *, every_reseller: bool) -> QuerySet[AuditRecord]:
    qs = AuditRecord.objects.all()
    return qs if every_reseller else qs.filter(reseller_id=reseller_id)


def listed(qs: QuerySet[AuditRecord]) -> QuerySet[AuditRecord]:
    """The Audit Log's rows: newest first, before and after read cut to size
    (``audit.display``), since a record may hold megabytes."""
    return (
        qs.defer("before", "after", "message")
        .annotate(before_shown=display.bounded("before"), after_shown=display.bounded("after"))
        .order_by("-id")
    )


def change_set_summary(qs: QuerySet[AuditRecord], change_set) -> dict | None:
    """What one change set of ``qs`` (the records the user may see) holds: its user, its
    first and last record's time, and how many records of each action; None if it has none."""
    rows = list(
        qs.filter(change_set=change_set)
        .values("action")
        .annotate(
            n=Count("id"), first=Min("created_at"), last=Max("created_at"), who=Min("username")
        )
        .order_by("action")
    )
    if not rows:
        return None
    return {
        "change_set": change_set,
        "username": min(r["who"] for r in rows),
        "started_at": min(r["first"] for r in rows),
        "finished_at": max(r["last"] for r in rows),
        "records": sum(r["n"] for r in rows),
        "actions": {r["action"]: r["n"] for r in rows},
    }

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

from . import display, registry, wording
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


# --------------------------------------------------------------------------- in words


def _shown(side) -> tuple[dict | None, int]:
    """A record's before or after as ``display.bounded`` read it, back as a dict, and how many
    fields it left out."""
    if not isinstance(side, dict):
        return None, 0
    fields = dict(side.get("fields") or [])
    return fields, max(0, int(side.get("total") or 0) - len(fields))


def worded(rows, *, action_of=None) -> list:
    """Give each record of one page what a person reads: ``sentence`` ("Assigned to Rose
    Orig | rose_orig under package Pack"), ``changes`` (each field's before → after),
    ``action_label``, and its object's ``object_name`` and ``object_url`` (none when the
    object is gone). Every id the page shows is resolved at once: one query per kind."""
    names = wording.Names()
    sides = []
    for r in rows:
        if hasattr(r, "before_shown"):
            (before, more_before), (after, more_after) = (
                _shown(r.before_shown),
                _shown(r.after_shown),
            )
        else:
            (before, more_before), (after, more_after) = (r.before, 0), (r.after, 0)
        more = max(more_before, more_after)
        r.more_fields = f"and {more:,} more field{'' if more == 1 else 's'}" if more else ""
        sides.append((before, after))
        names.collect(r.object_type, r.object_id, before, after)
    names.resolve()
    for r, (before, after) in zip(rows, sides, strict=True):
        action = action_of(r) if action_of else r.action
        r.action_label = wording.action_label(action)
        r.kind_label = registry.kind(r.object_type).label
        r.sentence = wording.describe(action, r.object_type, before, after, names)
        r.changes = wording.changes(r.object_type, before, after, names)
        known = names.known.get(r.object_type, {})
        # A deleted object keeps its name in its last entry ("a deleted DID keeps its number").
        kept = (before or {}).get("number") if isinstance(before, dict) else None
        r.object_name = known.get(r.object_id) or kept or r.object_repr or f"#{r.object_id}"
        r.object_url = names.url(r.object_type, r.object_id)
    return rows


HISTORY_MAX = 500


def timeline(qs: QuerySet[AuditRecord], object_type: str, object_id: int) -> tuple[list, bool]:
    """One object's timeline, oldest first, in words (``worded``): its last ``HISTORY_MAX``
    records, and whether there are older ones (the Audit Log, searched by the object, pages
    through them all)."""
    newest = list(
        listed(qs.filter(object_type=object_type, object_id=object_id))[: HISTORY_MAX + 1]
    )
    older = len(newest) > HISTORY_MAX
    return worded(newest[:HISTORY_MAX][::-1]), older


# --------------------------------------------------------------------------- change sets


def change_set_exists(uuid) -> bool:
    """Whether a change set wrote anything (one that was refused whole has no page)."""
    return uuid is not None and ChangeSet.objects.filter(uuid=uuid, total__gt=0).exists()


def in_change_set(qs: QuerySet[AuditRecord], cs: ChangeSet) -> QuerySet[AuditRecord]:
    """The records of ``qs`` (those a user may see) that belong to change set ``cs``."""
    return qs.filter(change_set_pk=cs.pk)


WORDS = {"create": "Created", "update": "Edited", "delete": "Deleted"}


def transitions(cs: ChangeSet) -> list[dict]:
    """How the objects of one change set changed, from its counts (no entry is read):
    created, deleted, each status from → to, edited; largest first, in words."""
    out = []
    names = wording.Names()
    for row in count_rows(cs.counts):
        if row.kind == "status":
            label = "{} → {}".format(
                wording.value_text(row.object_type, "status", row.source, names),
                wording.value_text(row.object_type, "status", row.target, names),
            )
        else:
            label = WORDS.get(row.kind, row.kind.capitalize())
        out.append(
            {
                "kind": row.object_type,
                "kind_label": registry.kind(row.object_type).label,
                "label": label,
                "count": row.count,
            }
        )
    return out


def entries_by_type(
    cs: ChangeSet, reseller_id: int | None, *, every_reseller: bool
) -> dict[str, QuerySet[Entry]]:
    """The entries of change set ``cs`` that the user may see, by object type (from its
    counts): what a revert undoes."""
    entries = entries_of(cs, reseller_id, every_reseller=every_reseller)
    types = sorted({row.object_type for row in count_rows(cs.counts)})
    return {t: entries.filter(object_type=t) for t in types}

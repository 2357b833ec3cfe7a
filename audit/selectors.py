"""Reads of the audit log. ``audit`` imports no domain app: the caller says whether the user
sees every reseller's records (a platform admin) or only their reseller's."""

from __future__ import annotations

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.fields.json import KT

from . import display, registry, wording
from .models import AuditRecord


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
        r.object_name = known.get(r.object_id) or r.object_repr or f"#{r.object_id}"
        r.object_url = names.url(r.object_type, r.object_id)
    return rows


HISTORY_MAX = 500


def history(qs: QuerySet[AuditRecord], object_type: str, object_id: int) -> tuple[list, bool]:
    """One object's timeline, oldest first, in words (``worded``): its last ``HISTORY_MAX``
    records, and whether there are older ones (the Audit Log, searched by the object, pages
    through them all)."""
    newest = list(
        listed(qs.filter(object_type=object_type, object_id=object_id))[: HISTORY_MAX + 1]
    )
    older = len(newest) > HISTORY_MAX
    return worded(newest[:HISTORY_MAX][::-1]), older


# --------------------------------------------------------------------------- change sets


def change_set_exists(change_set) -> bool:
    """Whether a change set wrote anything (one that was refused whole has no page)."""
    return change_set is not None and AuditRecord.objects.filter(change_set=change_set).exists()


def in_change_set(qs: QuerySet[AuditRecord], change_set) -> QuerySet[AuditRecord]:
    return qs.filter(change_set=change_set)


def transitions(qs: QuerySet[AuditRecord], change_set) -> list[dict]:
    """How the objects of one change set changed, counted: created, deleted, each status
    from → to, and edits; the rows a chart of the change set draws, largest first."""
    rows = (
        in_change_set(qs, change_set)
        .annotate(was=KT("before__status"), now=KT("after__status"))
        .values("object_type", "was", "now")
        .annotate(
            n=Count("id"),
            created=Count("id", filter=_empty("before")),
            deleted=Count("id", filter=_empty("after")),
        )
        .order_by("-n")
    )
    out = []
    for r in rows:
        kind = r["object_type"]
        for how, count in (("Created", r["created"]), ("Deleted", r["deleted"])):
            if count:
                out.append({"kind": kind, "label": how, "count": count})
        rest = r["n"] - r["created"] - r["deleted"]
        if not rest:
            continue
        if r["was"] is not None and r["now"] is not None and r["was"] != r["now"]:
            label = "{} → {}".format(
                wording.value_text(kind, "status", r["was"], wording.Names()),
                wording.value_text(kind, "status", r["now"], wording.Names()),
            )
        else:
            label = "Edited"
        out.append({"kind": kind, "label": label, "count": rest})
    merged: dict[tuple, dict] = {}
    for row in out:
        key = (row["kind"], row["label"])
        if key in merged:
            merged[key]["count"] += row["count"]
        else:
            merged[key] = dict(row)
    result = sorted(merged.values(), key=lambda r: -r["count"])
    for r in result:
        r["kind_label"] = registry.kind(r["kind"]).label
    return result


def _empty(side: str) -> Q:
    return Q(**{f"{side}__isnull": True}) | Q(**{side: {}})


def entries_by_type(qs: QuerySet[AuditRecord], change_set) -> dict[str, QuerySet]:
    """The entries of one change set the user may see, by object type: what a revert undoes."""
    entries = in_change_set(qs, change_set)
    types = entries.order_by().values_list("object_type", flat=True).distinct()
    return {t: entries.filter(object_type=t).order_by("id") for t in types}

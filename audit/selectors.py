"""Reads of the audit log. ``audit`` imports no domain app: the caller says whether the user
sees every reseller's records (a platform admin) or only their reseller's."""

from __future__ import annotations

from django.db.models import Count, Max, Min, QuerySet

from . import display
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

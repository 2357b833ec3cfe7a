"""Reads of the audit log. ``audit`` imports no domain app: the caller says whether the user
sees every reseller's records (a platform admin) or only their reseller's."""

from __future__ import annotations

from django.db.models import QuerySet

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

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.tenancy import is_admin

from .models import AuditRecord

FILTERS = ("object_type", "object_id", "change_set", "action", "username")


class _Page:
    """Newest-first pages without COUNT(*): the log grows by a row per change, into millions."""

    size = 50

    def __init__(self, qs, number):
        try:
            self.number = max(1, int(number or 1))
        except ValueError:
            self.number = 1
        start = (self.number - 1) * self.size
        rows = list(qs[start : start + self.size + 1])
        self.object_list = rows[: self.size]
        self.has_next = len(rows) > self.size
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1


@login_required
def audit_list(request):
    """The Audit Log: newest first, filtered by object, change set, action or user."""
    qs = AuditRecord.objects.all()
    if not is_admin(request.user):
        qs = qs.filter(reseller_id=request.user.reseller_id)
    applied = {}
    for key in FILTERS:
        value = request.GET.get(key, "").strip()
        if not value:
            continue
        if key == "object_id" and not value.isdigit():
            continue
        if key == "change_set":
            try:
                import uuid

                value = uuid.UUID(value)
            except ValueError:
                continue
        applied[key] = value
    qs = qs.filter(**applied).order_by("-id")
    page = _Page(qs, request.GET.get("page"))
    title = None
    if applied.get("object_type") == "did" and page.object_list:
        title = f"History of DID {page.object_list[0].object_repr}"
    base = urlencode({k: str(v) for k, v in applied.items()})
    return render(
        request,
        "audit/audit_list.html",
        {"page": page, "applied": applied, "title": title, "base_query": base},
    )

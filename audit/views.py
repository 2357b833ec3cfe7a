from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.tenancy import is_admin
from core.paging import parse_page

from . import selectors
from .filtersets import AuditFilterSet

PAGE_SIZE = 50
# The deepest page: an offset past this many records would scan them all, on every request.
PAGE_MAX = 10_000


class _Page:
    """Newest-first pages without COUNT(*): the log grows by a row per change, into millions."""

    size = PAGE_SIZE

    def __init__(self, qs, raw_number):
        self.number, self.notice = parse_page(raw_number, deepest=PAGE_MAX)
        if self.number == PAGE_MAX and self.notice:
            self.notice = (
                f"Page: the Audit Log pages back at most {PAGE_MAX:,} pages (the newest "
                f"{PAGE_MAX * self.size:,} records); showing page {PAGE_MAX:,}. Filter by "
                "object, change set, action or user to reach older records."
            )
        start = (self.number - 1) * self.size
        rows = list(qs[start : start + self.size + 1])
        self.object_list = rows[: self.size]
        self.has_next = len(rows) > self.size
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1
        if not rows and self.number > 1 and not self.notice:
            self.notice = f"Page: there is no page {self.number:,}; the log ends before it."


@login_required
def audit_list(request):
    """The Audit Log: newest first, filtered by object, change set, action or user."""
    qs = selectors.records_for(request.user.reseller_id, every_reseller=is_admin(request.user))
    search = AuditFilterSet(request.GET, queryset=qs)
    if not search.is_valid():
        return render(
            request,
            "audit/audit_list.html",
            {"page": None, "applied": {}, "errors": search.messages()},
            status=400,
        )
    applied = search.applied()
    qs = selectors.listed(search.qs)
    page = _Page(qs, request.GET.get("page"))
    title = None
    if applied.get("object_type") == "did" and page.object_list:
        title = f"History of DID {page.object_list[0].object_repr}"
    base = urlencode({k: str(v) for k, v in applied.items()})
    return render(
        request,
        "audit/audit_list.html",
        {
            "page": page,
            "applied": applied,
            "title": title,
            "base_query": base,
            "notice": page.notice,
        },
    )

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.tenancy import is_admin
from core.paging import BIGINT, parse_page

from . import selectors
from .models import AuditRecord

FILTERS = ("object_type", "object_id", "change_set", "action", "username")
PAGE_SIZE = 50
# The deepest page: an offset past this many records would scan them all, on every request.
PAGE_MAX = 10_000


def _text(label: str, limit: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=limit,
        error_messages={"max_length": f"{label}: at most {limit:,} characters."},
    )


class AuditFilterForm(forms.Form):
    """The Audit Log's filters, checked before any query: a value of the wrong type, past the
    column's length or holding a NUL character (which PostgreSQL cannot take in text) is an
    error that names its filter."""

    object_type = _text("Object type", AuditRecord._meta.get_field("object_type").max_length)
    object_id = forms.IntegerField(
        label="Object id",
        required=False,
        min_value=0,
        max_value=BIGINT[1],
        error_messages={
            "invalid": "Object id: enter an id (a whole number, 0 or more).",
            "min_value": "Object id: enter an id (a whole number, 0 or more).",
            "max_value": "Object id: no object has an id that large.",
        },
    )
    change_set = forms.UUIDField(
        label="Change set",
        required=False,
        error_messages={"invalid": "Change set: not a change set id."},
    )
    action = _text("Action", AuditRecord._meta.get_field("action").max_length)
    username = _text("User", AuditRecord._meta.get_field("username").max_length)

    def __init__(self, data):
        # Values stripped of surrounding spaces, as before; empty ones do not filter.
        super().__init__({k: data.get(k, "").strip() for k in FILTERS if data.get(k, "").strip()})

    def _post_clean(self):
        super()._post_clean()
        for name, errors in list(self._errors.items()):
            label = self.fields[name].label if name in self.fields else ""
            self._errors[name] = self.error_class(
                [e if not label or e.startswith(f"{label}:") else f"{label}: {e}" for e in errors]
            )

    def applied(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def messages(self) -> list[str]:
        return [e for errors in self.errors.values() for e in errors]


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
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "audit/audit_list.html",
            {"page": None, "applied": {}, "errors": form.messages()},
            status=400,
        )
    applied = form.applied()
    qs = selectors.listed(qs, applied)
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

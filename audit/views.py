from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.tenancy import is_admin

from .models import AuditRecord

FILTERS = ("object_type", "object_id", "change_set", "action", "username")


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
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    title = None
    if applied.get("object_type") == "did" and page.object_list:
        title = f"History of DID {page.object_list[0].object_repr}"
    return render(
        request, "audit/audit_list.html", {"page": page, "applied": applied, "title": title}
    )

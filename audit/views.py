"""The Audit Log: configuration on the shared list view (``core.views.ObjectListView``)."""

from accounts.tenancy import is_admin
from core import views as generic

from . import selectors
from .filtersets import AuditFilterSet
from .tables import AuditTable


class AuditListView(generic.ObjectListView):
    """Newest first, filtered by object, change set, action or user; a reseller's user sees
    their reseller's records only. A filter that is not valid is a 400 that names it."""

    filterset = AuditFilterSet
    table = AuditTable
    template_name = "audit/audit_list.html"
    title = "Audit Log"
    page_sizes = (50, 100, 500)
    list_when_invalid = False
    invalid_status = 400

    def get_queryset(self, request):
        user = request.user
        return selectors.records_for(user.reseller_id, every_reseller=is_admin(user))

    def page_queryset(self, qs):
        return selectors.listed(qs)

    def decorate(self, request, rows):
        self.first = rows[0] if rows else None

    def extra_context(self, request):
        shown = self.first
        if request.GET.get("object_type") == "did" and shown is not None:
            return {"title": f"History of DID {shown.object_repr}"}
        return {}

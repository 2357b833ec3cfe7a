"""The Audit Log, a change set's page and its Revert: configuration on the shared list view
(``core.views.ObjectListView``); the words come from ``audit.selectors.worded``."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.tenancy import is_admin
from core import views as generic
from core.charts import bars
from jobs import services as jobs
from jobs.choices import Kind

from . import revert, selectors, wording
from .filtersets import AuditFilterSet
from .services import Actor
from .tables import AuditTable, ChangeSetTable

CHART_COLOR = "#3b7be0"
REVERT_JOB = Kind.REVERT


def _change_set(user, value: str):
    """The change set a URL names (its public id) if ``user`` may see it; else a 404."""
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such change set.") from None
    cs = selectors.change_set(public_id, user.reseller_id, every_reseller=is_admin(user))
    if cs is None:
        raise Http404("No such change set.")
    return cs


def visible(user):
    """The records ``user`` may see: every reseller's for a platform admin, else their own
    reseller's."""
    return selectors.records_for(user.reseller_id, every_reseller=is_admin(user))


class AuditListView(generic.ObjectListView):
    """Newest first, searched by DID, operator, client, package, subscription, user, action,
    change set and dates; a reseller's user sees their reseller's records only. A search that
    is not valid is a 400 that names the field."""

    filterset = AuditFilterSet
    table = AuditTable
    template_name = "audit/audit_list.html"
    title = "Audit Log"
    page_sizes = (50, 100, 500)
    list_when_invalid = False
    invalid_status = 400

    def get_queryset(self, request):
        return visible(request.user)

    def page_queryset(self, qs):
        return selectors.listed(qs)

    def decorate(self, request, rows):
        selectors.worded(rows)


class ChangeSetView(generic.ObjectListView):
    """One change set: what, who, when; how many objects changed and how (a chart of the
    counts by from → to); its entries, paged; and its Revert button. A change set the user
    may not see (another reseller's) is a 404."""

    table = ChangeSetTable
    template_name = "audit/change_set.html"
    page_sizes = (50, 100, 500)

    def get(self, request, change_set):
        self.cs = _change_set(request.user, change_set)
        return super().get(request)

    def get_queryset(self, request):
        return selectors.in_change_set(visible(request.user), self.cs)

    def page_queryset(self, qs):
        return selectors.listed(qs)

    def decorate(self, request, rows):
        selectors.worded(rows)

    def extra_context(self, request):
        cs = self.cs
        counts = selectors.transitions(cs)
        chart = [
            (f"{c['kind_label']}: {c['label']}", c["count"], CHART_COLOR, None) for c in counts
        ]
        return {
            "title": "Change set",
            "cs": cs,
            "action_label": wording.action_label(cs.action),
            "transitions": counts,
            "chart": bars(chart, width=640, label_w=240) if len(chart) > 1 else None,
            "revertible": revert.revertible(c["kind"] for c in counts),
            "revert_url": reverse("audit:change_set_revert", args=[cs.uuid]),
        }


@login_required
@require_POST
def change_set_revert(request, change_set):
    """Revert a change set as a new one, then show the new one: what it restored, and
    what it did not, with the reason."""
    user = request.user
    cs = _change_set(user, change_set)
    back = reverse("audit:change_set", args=[cs.uuid])
    try:
        # A big change set is reverted by the worker, its page showing the progress.
        started = generic.in_background(
            request, REVERT_JOB, total=cs.total, params={"reverting": str(cs.uuid)}, back_url=back
        )
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if started:
        return started
    entries = selectors.entries_by_type(cs, user.reseller_id, every_reseller=is_admin(user))
    actor = Actor.for_user(user)
    result = revert.revert(entries, actor=actor, reverting=cs.uuid)
    level = messages.success if not result.refusals else messages.warning
    level(request, result.message)
    if result.restored or result.deleted:
        return redirect("audit:change_set", change_set=actor.change_set)
    return redirect("audit:change_set", change_set=cs.uuid)

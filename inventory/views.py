"""The DID Inventory tab. Thin views: a form validates, one service acts, its error becomes a
message. Every queryset starts from ``dids_for(user)``, so another reseller's DID is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from accounts.tenancy import is_admin, resellers_for, scoped
from audit import selectors as audit_selectors
from audit.services import Actor
from config.limits import AREA_CODE_MAX, SAVED_SEARCH_NAME_MAX
from core import views as generic
from jobs import services as jobs
from jobs.models import Job
from operators.models import Operator

from . import geography, lifecycle, outcomes
from .choices import AfterHold, Status
from .filtersets import DIDFilterSet
from .forms import AssignForm, DIDEditForm, MassEditForm, NewDIDsForm
from .scoping import dids_for
from .selectors import chosen_columns, page_plan, saved_searches_for, search_count, sort_head
from .services import (
    DIDsExist,
    StaleDID,
    begin_mass_edit,
    create_dids,
    created_message,
    delete_dids,
    edit_did,
    find_existing,
    preview_edits,
    update_dids,
)
from .tables import DIDTable


def _reverse_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


class DIDListView(generic.ObjectListView):
    """The DID Inventory. A search that is not valid lists nothing; the page query has no
    joins (a 7-table join costs PostgreSQL ~10 ms just to plan): names come by prefetch."""

    filterset = DIDFilterSet
    table = DIDTable
    template_name = "inventory/did_list.html"
    list_when_invalid = False

    def get_queryset(self, request):
        return dids_for(request.user)

    def page_queryset(self, qs):
        return qs.prefetch_related(
            "operator", "reseller", "client", "account", "subscription__package"
        )

    def default_sort(self, params):
        return DIDTable.default_for(params)

    def visible_columns(self, request):
        if not hasattr(self, "_columns"):
            self._columns = columns_for(request.user)
        return self._columns

    def count(self, request, search, qs):
        return search_count(search, qs)

    def page_plan(self, counted):
        return page_plan(counted)

    def sort_head(self, request, search, sort):
        return sort_head(search, sort)

    def extra_context(self, request):
        visible = self.visible_columns(request)
        return {
            "column_choices": [(c.key, c.label, c.key in visible) for c in DIDTable.columns],
            "saved_searches": saved_searches_menu(request.user),
            "saved_name_max": SAVED_SEARCH_NAME_MAX,
            "export_query": generic.query(request.GET, drop=("per_page", "show")),
            "fields": search_fields(request),
            "has_search": any(v for k, v in request.GET.items() if k in SEARCH_FIELDS),
            "base": reverse("inventory:did_list"),
            "mass_choices": {
                "statuses": Status.choices,
                "after_hold": AfterHold.choices,
                "operators": mass_operators(request.user),
            },
            "import_url": _reverse_or_none("imports:did_import"),
            "export_url": _reverse_or_none("inventory:did_export"),
        }


SEARCH_FIELDS = [f for f in DIDFilterSet.base_filters if f != "did_match"]
# Saved searches listed in the DID Inventory's menu; the rest are on their own page.
SAVED_IN_MENU = 30


def columns_for(user) -> list[str]:
    """The DID Inventory columns ``user`` sees: those they chose (kept per user), or the
    default: every column but the optional ones, and the Reseller column only for platform
    admins (a reseller's user sees only their own reseller)."""
    chosen = chosen_columns(user)
    if chosen is not None:
        keys = DIDTable.keys()
        chosen = [k for k in chosen if k in keys]  # a column since removed from the table
        if chosen:
            return chosen
    return DIDTable.default_columns(hidden=() if is_admin(user) else ("reseller",))


def saved_searches_menu(user):
    return saved_searches_for(user).annotate(owner_name=F("user__username"))[:SAVED_IN_MENU]


def mass_operators(user) -> list[tuple[int, str]]:
    """Mass Edit's Operator choices: the user's operators (an admin's named with their
    reseller, as a DID moves only to an operator of its own reseller)."""
    rows = scoped(Operator.objects.all(), user).order_by("name", "id")
    if is_admin(user):
        pairs = rows.values_list("pk", "name", "reseller__name")
        return [(pk, f"{name} ({reseller})") for pk, name, reseller in pairs]
    return list(rows.values_list("pk", "name"))


def search_fields(request):
    """Plain values for the Advanced Search form. The list template writes its inputs as plain
    HTML: Django's template-rendered widgets cost more than the whole query at a million DIDs."""
    data = request.GET
    chosen = set(data.getlist("status"))
    operators = scoped(Operator.objects.all(), request.user).order_by("name")
    op_value = data.get("operator", "")
    reseller_value = data.get("reseller", "")
    return {
        "statuses": [(v, label, v in chosen) for v, label in Status.choices],
        "operators": [
            (str(pk), name, str(pk) == op_value) for pk, name in operators.values_list("pk", "name")
        ],
        "resellers": [
            (str(pk), name, str(pk) == reseller_value)
            for pk, name in resellers_for(request.user).values_list("pk", "name")
        ]
        if is_admin(request.user)
        else [],
        "matches": [
            (v, label, v == (data.get("did_match") or "exact"))
            for v, label in DIDFilterSet.MATCH_CHOICES
        ],
        "after_hold": [
            (v, label, v == data.get("after_hold", "")) for v, label in AfterHold.choices
        ],
        "countries": [
            (code, f"{name} ({code})" if name != code else code, code == data.get("country"))
            for code, name in geography.countries()
        ],
        "area_code_max": AREA_CODE_MAX,
        **{
            k: data.get(k, "")
            for k in ("client", "account", "tag", "did", "hold_ends_before", "area_code")
        },
    }


# --------------------------------------------------------------------------- New DIDs


@login_required
def did_new(request):
    form = NewDIDsForm(request.POST or None, user=request.user)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = request.POST.get("existing")
        if choice == "cancel":
            messages.info(request, "Cancelled: no DIDs were created.")
            return redirect("inventory:did_list")
        back = reverse("inventory:did_list") + "?" + urlencode({"operator": data["operator"].pk})
        if choice != "skip" and form.spec.total > jobs.threshold():
            count, total = find_existing(form.spec)
            if count:
                return _did_new_page(request, form, DIDsExist(count, total))
        params = {
            **{k: data[k] for k in ("numbers", "status", "after_hold", "notes")},
            "operator_id": data["operator"].pk,
            "tag": data["tag"].strip(),
            "skip_existing": choice == "skip",
        }
        try:
            started = generic.in_background(
                request, Job.Kind.CREATE_DIDS, total=form.spec.total, params=params, back_url=back
            )
        except jobs.TooManyJobs as exc:  # the per-user limit of running jobs
            messages.error(request, str(exc))
            return _did_new_page(request, form, None)
        if started:
            return started
        try:
            fields = {k: v for k, v in params.items() if k not in ("numbers", "operator_id")}
            result = create_dids(
                form.spec, operator=data["operator"], **fields, actor=Actor.for_user(request.user)
            )
        except DIDsExist as exc:
            existing = exc
        else:
            generic.say(request, created_message(result), change_set=result.change_set)
            return redirect(back)
    return _did_new_page(request, form, existing)


SEARCH_LINKS_MAX = 10


def _did_new_page(request, form, existing):
    """The New DIDs form; with ``existing``, the "not available" refusal and links that search
    the user's own DID Inventory for what was typed (the search is tenant-scoped: it shows
    the user's numbers among them and nothing of anyone else's)."""
    links = []
    more = 0
    if existing is not None:
        spec = form.spec
        parts = [(str(r), "range") for r in spec.ranges] + [(n, "exact") for n in spec.numbers]
        base = reverse("inventory:did_list")
        links = [
            (label, base + "?" + urlencode({"did": label, "did_match": match}))
            for label, match in parts[:SEARCH_LINKS_MAX]
        ]
        more = len(parts) - len(links)
    return render(
        request,
        "inventory/did_new.html",
        {"form": form, "existing": existing, "search_links": links, "more_links": more},
    )


# --------------------------------------------------------------------------- one DID


DID_RELATED = ("operator", "reseller", "client", "account", "subscription__package")


def _did(request, pk):
    return get_object_or_404(dids_for(request.user).select_related(*DID_RELATED), pk=pk)


class DIDEditView(generic.ObjectEditView):
    """The DID's page: its edit form (a stale form is a 409 that says so), and its assign
    section when the lifecycle allows it."""

    form_class = DIDEditForm
    template_name = "inventory/did_detail.html"
    errors = (lifecycle.LifecycleError,)

    @staticmethod
    def success_url(did):
        return reverse("inventory:did_detail", args=[did.pk])

    def get_queryset(self, request):
        return dids_for(request.user).select_related(*DID_RELATED)

    def form_kwargs(self, request, obj):
        return {"instance": obj, "user": request.user}

    def extra_context(self, request, obj):
        can_assign = lifecycle.can(obj.status, "assign")
        return {"did": obj, "assign_form": AssignForm(did=obj) if can_assign else None}

    def refuse(self, request, form, obj, exc):
        messages.error(request, str(exc))
        obj.refresh_from_db()
        form = DIDEditForm(request.POST, instance=obj, user=request.user)
        return form, 409 if isinstance(exc, StaleDID) else 200

    def perform(self, form, *, actor, obj=None):
        changed = edit_did(
            obj,
            seen_updated_at=form.cleaned_data["updated_at"],
            status=form.new_status(),
            changes=form.changes(),
            actor=actor,
        )
        if changed:
            return obj, f"DID {obj.number} saved."
        return obj, f"DID {obj.number}: nothing to change."


@login_required
@require_POST
def did_assign(request, pk):
    did = _did(request, pk)
    form = AssignForm(request.POST, did=did)
    if not form.is_valid():
        messages.error(request, "Account: choose one of this reseller's accounts.")
    else:
        try:
            lifecycle.assign(
                did, account=form.cleaned_data["account"], actor=Actor.for_user(request.user)
            )
        except lifecycle.LifecycleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"DID {did.number} assigned to {form.cleaned_data['account']}."
            )
    return redirect("inventory:did_detail", pk=did.pk)


@login_required
@require_POST
def did_release(request, pk):
    did = _did(request, pk)
    try:
        lifecycle.release_now(did, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"DID {did.number} released.")
    return redirect("inventory:did_detail", pk=did.pk)


class DIDDeleteView(generic.ObjectDeleteView):
    template_name = "inventory/did_delete.html"
    context_object_name = "did"
    errors = (lifecycle.LifecycleError,)
    success_url = "inventory:did_list"

    def get_queryset(self, request):
        return dids_for(request.user).select_related(*DID_RELATED)

    def preview(self, obj):
        return lifecycle.preview_delete(obj)

    def perform(self, obj, *, actor):
        delete_dids(obj, actor=actor)
        return f"DID {obj.number} deleted."

    def refused_url(self, obj):
        return reverse("inventory:did_detail", args=[obj.pk])


@login_required
def did_history(request, pk):
    """The DID's timeline: created, each status change from → to, assignments with client,
    account and package, holds with their end, releases, and edits with each field's before
    → after; who and which change set, for each."""
    did = _did(request, pk)
    user = request.user
    records = audit_selectors.records_for(user.reseller_id, every_reseller=is_admin(user))
    events, older = audit_selectors.timeline(records, "did", did.pk)
    query = urlencode({"object_type": "did", "object_id": did.pk})
    return render(
        request,
        "inventory/did_history.html",
        {
            "did": did,
            "events": events,
            "older": older,
            "audit_url": reverse("audit:audit_list") + "?" + query,
        },
    )


# --------------------------------------------------------------------------- Mass Edit


class DIDBulkEditView(generic.BulkEditView):
    """Mass Edit: Update (Set Status to and field changes) or Delete the ticked DIDs or all
    matching the search; the confirmation counts what the lifecycle will move and refuse. The
    count it promised travels with the POST: if rows changed in between, the message says
    how many were applied, how many were not, and why (``inventory.outcomes``)."""

    filterset = DIDFilterSet
    form_class = MassEditForm
    template_name = "inventory/mass_edit_confirm.html"
    errors = (lifecycle.DIDsBusy,)  # deadlocked twice with other work: nothing changed
    job_kind = Job.Kind.MASS_EDIT
    label = "Mass Edit"
    nothing_selected = "select at least one DID, or all matching the search."

    def get_queryset(self, request):
        return dids_for(request.user)

    def back_url(self, request):
        q = request.POST.get("q")
        return reverse("inventory:did_list") + (f"?{q}" if q else "")

    def form_kwargs(self, request):
        return {"user": request.user}

    @staticmethod
    def deleting(form) -> bool:
        return form.data.get("action") == "delete"

    def form_valid(self, request, form):
        return form.is_valid() or self.deleting(form)

    def preview(self, selection, form):
        if self.deleting(form):
            return lifecycle.preview_delete(selection)
        status = form.cleaned_data.get("set_status")
        return lifecycle.preview_change_status(selection, status) if status else None

    def confirm_context(self, request, selection, form, preview):
        status = "" if self.deleting(form) else form.cleaned_data.get("set_status")
        changes = {} if self.deleting(form) else form.changes()
        operator = form.cleaned_data.get("operator") if changes.get("operator_id") else None
        edits = preview_edits(selection, changes) if changes else None
        # No dead end: a confirmation that would change nothing offers no active button.
        will_change = (preview.moved if preview else 0) + (edits.edited if edits else 0)
        return {
            "action": "delete" if self.deleting(form) else "update",
            "changes": {k: v for k, v in changes.items() if k != "operator_id"},
            "operator": operator,
            "edits": edits,
            "will_change": will_change,
            "status_label": Status(status).label if status else "",
        }

    def job_params(self, request, form, ids):
        update = not self.deleting(form)
        return {
            "action": "update" if update else "delete",
            "q": request.POST.get("q", "") if ids is None else "",
            "ids": ids,
            "set_status": form.cleaned_data.get("set_status", "") if update else "",
            "changes": form.changes() if update else {},
            "promised": outcomes.promised_count(request.POST.get("promised")),
        }

    def perform(self, selection, form, *, actor, request):
        promised = outcomes.promised_count(request.POST.get("promised"))
        with transaction.atomic():
            begin_mass_edit(actor, deleting=self.deleting(form))
            if self.deleting(form):
                deleted = delete_dids(selection, actor=actor, strict=False)
                outcome = outcomes.delete_outcome(deleted, promised)
            else:
                outcome = outcomes.update_outcome(
                    **mass_update(selection, form, actor=actor), promised=promised
                )
        return outcome.message, outcome.level


def mass_update(selection, form, *, actor) -> dict:
    """Set Status to, then the field changes, of a Mass Edit Update."""
    status = form.cleaned_data.get("set_status") or ""
    fields = form.changes()
    return {
        "set_status": status,
        "status_result": lifecycle.change_status(selection, status, actor=actor, strict=False)
        if status
        else None,
        "edited": update_dids(selection, fields, actor=actor) if fields else None,
    }

"""Clients: list, New Client, the client page (accounts and Client Packages), New Account,
New subscription, and the DIDs tab (the client's DIDs with Block / Activate / Hold / Release
now, and Assign DIDs). Thin views: a form validates, one service acts, its error becomes a
message. Every queryset starts from ``accounts.tenancy.scoped``: another reseller's client,
account, subscription or DID is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.tenancy import is_admin
from audit.services import Actor
from config import text
from core import views as generic
from core.forms import NameForm, form_messages
from inventory import assigning, lifecycle, outcomes
from inventory import selectors as inventory_selectors
from inventory.forms import AssignDIDsForm, ClientDIDsMoveForm, StockSearchForm
from inventory.models import DID
from inventory.scoping import dids_for
from subscriptions import selectors as subscription_selectors
from subscriptions.views import SubscriptionAddView

from . import selectors, services
from .filtersets import ClientFilterSet
from .forms import AccountForm, ClientForm
from .models import Client
from .tables import ClientDIDTable, ClientTable

DIDS_PAGE_SIZES = (50, 100, 500)
STOCK_SHOWN = 50


def _client(request, pk: int) -> Client:
    return get_object_or_404(selectors.clients_for(request.user), pk=pk)


# --------------------------------------------------------------------------- list, New Client


class ClientListView(generic.ObjectListView):
    title = "Clients"
    add_url = "clients:client_add"
    add_label = "New Client"
    filterset = ClientFilterSet
    table = ClientTable
    template_name = "clients/list.html"
    context_object_name = "clients"

    def get_queryset(self, request):
        return selectors.clients_for(request.user)

    def hidden_columns(self, request):
        return set() if is_admin(request.user) else {"reseller"}

    def decorate(self, request, rows):
        user, ids = request.user, [c.pk for c in rows]
        accounts = selectors.accounts_per_client(user, ids)
        active = subscription_selectors.active_subscriptions_per_client(user, ids)
        dids = inventory_selectors.dids_per("client_id", ids, user)
        for c in rows:
            c.account_count = accounts.get(c.pk, 0)
            c.active_count = active.get(c.pk, 0)
            c.did_count = dids.get(c.pk, 0)

    def extra_context(self, request):
        return {"admin": is_admin(request.user)}


class ClientAddView(generic.ObjectEditView):
    form_class = ClientForm
    template_name = "clients/form.html"
    errors = (services.ClientError,)

    @staticmethod
    def success_url(client):
        return reverse("clients:client_detail", args=[client.pk])

    def extra_context(self, request, obj):
        return {"title": "New Client"}

    def perform(self, form, *, actor, obj=None):
        client = services.client_create(**form.cleaned_data, actor=actor)
        return client, f"Client {client.name} created."


class ClientEditView(generic.ObjectEditView):
    """Edit Client: its name. Another reseller's client is a 404."""

    form_class = NameForm  # the client's reseller stays
    template_name = "clients/form.html"
    errors = (services.ClientError,)

    def get_queryset(self, request):
        return selectors.clients_for(request.user)

    @staticmethod
    def success_url(client):
        return reverse("clients:client_detail", args=[client.pk])

    def form_kwargs(self, request, obj):
        return {"instance": obj, "noun": "client"}

    def extra_context(self, request, obj):
        return {"title": "Edit Client", "client": obj}

    def perform(self, form, *, actor, obj=None):
        if not services.client_rename(obj, name=form.cleaned_data["name"], actor=actor):
            return obj, f"Client {obj.name}: nothing to change.", "info"
        return obj, f"Client renamed to {obj.name}."


class ClientDeleteView(generic.ObjectDeleteView):
    """Delete Client: refused while DIDs are linked; its accounts and Client Packages go with
    it (the page counts them first)."""

    template_name = "core/confirm_delete.html"
    errors = (services.ClientError,)
    success_url = "clients:client_list"

    def get_queryset(self, request):
        return selectors.clients_for(request.user)

    @staticmethod
    def refused_url(client):
        return reverse("clients:client_detail", args=[client.pk])

    def preview(self, obj):
        return services.client_delete_preview(obj)

    def perform(self, obj, *, actor):
        preview = services.client_delete(obj, actor=actor)
        gone = [
            text.count(preview.counts[key], key)
            for key in ("account", "subscription")
            if preview.counts[key]
        ]
        return f"Client {obj.name} deleted" + (f" with {' and '.join(gone)}." if gone else ".")


# --------------------------------------------------------------------------- the client page


@login_required
def client_detail(request, pk: int):
    client = _client(request, pk)
    user = request.user
    accounts = list(selectors.accounts_for(user).filter(client=client).order_by("name", "id"))
    account_dids = inventory_selectors.dids_per("account_id", [a.pk for a in accounts], user)
    for a in accounts:
        a.client = client
        a.did_count = account_dids.get(a.pk, 0)
    subs = list(
        subscription_selectors.subscriptions_for(user)
        .filter(client=client)
        .select_related("package")
        .order_by("-id")
    )
    used = inventory_selectors.used_per_subscription([s.pk for s in subs], user)
    for s in subs:
        s.client = client
        s.used = used.get(s.pk, 0)
    return render(
        request,
        "clients/detail.html",
        {
            "client": client,
            "accounts": accounts,
            "subscriptions": subs,
            "tab": "overview",
            "here": request.get_full_path(),
        },
    )


class UnderClientMixin:
    """A view of something added under a client (``/clients/<pk>/...``): the client is the
    parent; back to the client's page."""

    template_name = "clients/form.html"
    title = ""

    def get_parent_queryset(self, request):
        return selectors.clients_for(request.user)

    def extra_context(self, request, obj):
        return {"client": self.parent, "title": self.title}

    @staticmethod
    def success_url(obj):
        return reverse("clients:client_detail", args=[obj.client_id])


class AccountAddView(UnderClientMixin, generic.ObjectEditView):
    form_class = AccountForm
    errors = (services.ClientError,)
    title = "New Account"

    def form_kwargs(self, request, obj):
        return {}

    def perform(self, form, *, actor, obj=None):
        account = services.account_create(client=self.parent, **form.cleaned_data, actor=actor)
        return account, f"Account {account} created."


class OneAccountMixin:
    """A view of one account: the user's own (another reseller's is a 404); back to its
    client's page."""

    errors = (services.ClientError,)

    def get_queryset(self, request):
        return selectors.accounts_for(request.user).select_related("client__reseller")

    @staticmethod
    def success_url(account):
        return reverse("clients:client_detail", args=[account.client_id])


class AccountEditView(OneAccountMixin, generic.ObjectEditView):
    """Edit Account: its name."""

    form_class = AccountForm
    template_name = "clients/form.html"

    def form_kwargs(self, request, obj):
        return {"initial": {"name": obj.name}}

    def extra_context(self, request, obj):
        return {"title": "Edit Account", "client": obj.client}

    def perform(self, form, *, actor, obj=None):
        if not services.account_rename(obj, name=form.cleaned_data["name"], actor=actor):
            return obj, f"Account {obj}: nothing to change.", "info"
        return obj, f"Account renamed to {obj}."


class AccountDeleteView(OneAccountMixin, generic.ObjectDeleteView):
    """Delete Account: refused while DIDs are linked to it."""

    template_name = "core/confirm_delete.html"

    def preview(self, obj):
        return services.account_delete_preview(obj)

    def perform(self, obj, *, actor):
        services.account_delete(obj, actor=actor)
        return f"Account {obj} deleted."


class ClientSubscriptionAddView(UnderClientMixin, SubscriptionAddView):
    title = "New subscription"


# --------------------------------------------------------------------------- the DIDs tab


def _dids_tab(request, client, *, assign_form=None, stock_data=None, status=200):
    user = request.user
    client_dids = (
        dids_for(user).filter(client=client).select_related("account", "subscription__package")
    )
    listing = generic.list_context(request, client_dids, ClientDIDTable, sizes=DIDS_PAGE_SIZES)
    dids = listing["page"].rows
    for d in dids:
        d.client = client
        if d.account is not None:
            d.account.client = client

    form = assign_form or AssignDIDsForm(user=user, client=client)
    data = stock_data if stock_data is not None else request.GET
    chosen = form.chosen_subscription(data.get("subscription"))
    stock_form = StockSearchForm(data)
    stock = []
    searching = any(stock_form.data.get(k) for k in ("prefix", "tag", "subscription"))
    if stock_form.is_valid():
        stock = inventory_selectors.stock_to_assign(
            user,
            client,
            subscription=chosen,
            prefix=stock_form.cleaned_data["prefix"],
            tag=stock_form.cleaned_data["tag"].strip(),
            limit=STOCK_SHOWN,
        )
    ticked = (
        {int(v) for v in request.POST.getlist("ids") if v.isdigit()} if form.is_bound else set()
    )
    return render(
        request,
        "clients/dids.html",
        {
            **listing,
            "client": client,
            "dids": dids,
            "stock": stock,
            "stock_form": stock_form,
            "searching": searching,
            "stock_shown": STOCK_SHOWN,
            "form": form,
            "ticked": ticked,
            "tab": "dids",
            "has_accounts": form.fields["account"].queryset.exists(),
            "has_subscriptions": bool(form.subscriptions),
            "chosen": chosen,
            "bulk_moves": ClientDIDsMoveForm.BULK_MOVES,
        },
        status=status,
    )


@login_required
def client_dids(request, pk: int):
    return _dids_tab(request, _client(request, pk))


@login_required
@require_POST
def assign(request, pk: int):
    client = _client(request, pk)
    form = AssignDIDsForm(request.POST, user=request.user, client=client)
    if not form.is_valid():
        form_messages(request, form)
        return _dids_tab(request, client, assign_form=form, stock_data=request.POST)
    data = form.cleaned_data
    try:
        result = assigning.assign_dids(
            client,
            account=data["account"],
            subscription=data["subscription"],
            ids=data["ids"],
            spec=form.spec,
            user=request.user,
            actor=Actor.for_user(request.user),
        )
    except DID.DoesNotExist:
        raise Http404("No such DID.") from None
    except (services.ClientError, lifecycle.LifecycleError) as exc:
        messages.error(request, str(exc))
        return _dids_tab(request, client, assign_form=form, stock_data=request.POST)
    messages.success(
        request,
        f"Assigned {text.count(result.moved, 'DID')} to {data['account']} "
        f"under {data['subscription'].package.name}.",
    )
    return redirect("clients:client_dids", pk=client.pk)


def _back_to_page(request, client):
    """Back to the DIDs tab's page the buttons were on."""
    url = reverse("clients:client_dids", kwargs={"pk": client.pk})
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
@require_POST
def did_bulk_action(request, pk: int):
    """Block, activate, hold or release now the ticked DIDs of the client at once: one
    lifecycle move, one change set; the message counts what moved and what was refused."""
    client = _client(request, pk)
    form = ClientDIDsMoveForm(request.POST)
    if not form.is_valid():
        form_messages(request, form)
    else:
        try:
            result = assigning.move_client_dids(
                client,
                action=form.cleaned_data["action"],
                ids=form.cleaned_data["ids"],
                user=request.user,
                actor=Actor.for_user(request.user),
            )
        except DID.DoesNotExist:
            raise Http404("No such DID.") from None
        except (services.ClientError, lifecycle.LifecycleError) as exc:
            messages.error(request, str(exc))
        else:
            outcome = outcomes.move_outcome(result, form.done)
            getattr(messages, outcome.level)(request, outcome.message)
    return _back_to_page(request, client)


# What each per-row button does: (lifecycle service, past tense for the message).
DID_ACTIONS = {
    "block": (lifecycle.block, "blocked"),
    "activate": (lifecycle.activate, "activated"),
    "hold": (lifecycle.hold, "put On Hold"),
    "release": (lifecycle.release_now, "released"),
}


@login_required
@require_POST
def did_action(request, pk: int, did: int, action: str):
    client = _client(request, pk)
    target = get_object_or_404(dids_for(request.user).filter(client=client), pk=did)
    service, done = DID_ACTIONS[action]
    try:
        service(target, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        target.refresh_from_db(fields=["status"])
        messages.success(request, f"DID {target.number} {done}: now {target.get_status_display()}.")
    return _back_to_page(request, client)

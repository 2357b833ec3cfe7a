"""Clients: list, New Client, the client page (accounts and Client Packages), New Account,
New subscription, and the DIDs tab (the client's DIDs with Block / Activate / Hold / Release
now, and Assign DIDs). Thin views: a form validates, one service acts, its error becomes a
message. Every queryset starts from ``accounts.tenancy.scoped``: another reseller's client,
account, subscription or DID is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.tenancy import is_admin, scoped
from audit.services import Actor
from config import text
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from subscriptions import services as subscription_services
from subscriptions.forms import SubscriptionForm
from subscriptions.models import Subscription

from . import services
from .forms import AccountForm, AssignDIDsForm, ClientForm, ClientSearchForm, StockSearchForm
from .models import Account, Client

PER_PAGE = 20
DIDS_PER_PAGE = 50
STOCK_SHOWN = 50


def _clients(user):
    return scoped(Client.objects.select_related("reseller"), user)


def _client(request, pk: int) -> Client:
    return get_object_or_404(_clients(request.user), pk=pk)


def _grouped(qs, key: str, ids) -> dict[int, int]:
    """Rows of ``qs`` per ``key`` for the given ids: one grouped query."""
    if not ids:
        return {}
    rows = qs.filter(**{f"{key}__in": ids}).order_by().values_list(key).annotate(n=Count("id"))
    return dict(rows)


def _accounts(user):
    return scoped(Account.objects.all(), user, "client__reseller")


def _subscriptions(user):
    return scoped(Subscription.objects.all(), user, "client__reseller")


def _dids(user):
    return scoped(DID.objects.all(), user)


# --------------------------------------------------------------------------- list, New Client


@login_required
def client_list(request):
    user = request.user
    form = ClientSearchForm(request.GET or None, user=user)
    qs = _clients(user)
    if form.is_valid():
        if form.cleaned_data.get("q", "").strip():
            qs = qs.filter(name__icontains=form.cleaned_data["q"].strip())
        if form.cleaned_data.get("reseller"):
            qs = qs.filter(reseller=form.cleaned_data["reseller"])
    page = Paginator(qs.order_by("name", "id"), PER_PAGE).get_page(request.GET.get("page"))
    clients = list(page.object_list)
    ids = [c.pk for c in clients]
    accounts = _grouped(_accounts(user), "client_id", ids)
    active = _grouped(
        _subscriptions(user).filter(status=Subscription.Status.ACTIVE), "client_id", ids
    )
    dids = _grouped(_dids(user), "client_id", ids)
    for c in clients:
        c.account_count = accounts.get(c.pk, 0)
        c.active_count = active.get(c.pk, 0)
        c.did_count = dids.get(c.pk, 0)
    return render(
        request,
        "clients/list.html",
        {
            "page": page,
            "clients": clients,
            "search": form,
            "searching": bool(request.GET.get("q") or request.GET.get("reseller")),
            "admin": is_admin(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request):
    form = ClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                name=form.cleaned_data["name"],
                reseller=form.cleaned_data["reseller"],
                actor=Actor.for_user(request.user),
            )
        except services.ClientError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"Client {client.name} created.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/form.html", {"form": form, "title": "New Client"})


# --------------------------------------------------------------------------- the client page


@login_required
def client_detail(request, pk: int):
    client = _client(request, pk)
    user = request.user
    accounts = list(_accounts(user).filter(client=client).order_by("name", "id"))
    account_dids = _grouped(_dids(user), "account_id", [a.pk for a in accounts])
    for a in accounts:
        a.client = client
        a.did_count = account_dids.get(a.pk, 0)
    subs = list(
        _subscriptions(user).filter(client=client).select_related("package").order_by("-id")
    )
    used = _grouped(_dids(user), "subscription_id", [s.pk for s in subs])
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


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request, pk: int):
    client = _client(request, pk)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(
                client=client, name=form.cleaned_data["name"], actor=Actor.for_user(request.user)
            )
        except services.ClientError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"Account {account} created.")
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/form.html",
        {"form": form, "client": client, "title": "New Account"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_create(request, pk: int):
    client = _client(request, pk)
    form = SubscriptionForm(request.POST or None, user=request.user, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = subscription_services.subscription_create(
                client=client,
                package=data["package"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                actor=Actor.for_user(request.user),
            )
        except subscription_services.SubscriptionError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(
                request, f"Subscription #{sub.pk} to {sub.package.name} created for {client.name}."
            )
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/form.html",
        {"form": form, "client": client, "title": "New subscription"},
    )


# --------------------------------------------------------------------------- the DIDs tab


def _dids_tab(request, client, *, assign_form=None, stock_data=None, status=200):
    user = request.user
    client_dids = (
        _dids(user)
        .filter(client=client)
        .select_related("account", "subscription__package")
        .order_by("id")
    )
    page = Paginator(client_dids, DIDS_PER_PAGE).get_page(request.GET.get("page"))
    dids = list(page.object_list)
    for d in dids:
        d.client = client
        if d.account is not None:
            d.account.client = client

    stock_form = StockSearchForm(stock_data if stock_data is not None else request.GET)
    stock = []
    searching = bool(stock_form.data.get("prefix") or stock_form.data.get("tag"))
    if stock_form.is_valid():
        # The first In Stock DIDs of the client's reseller in number order; a prefix search
        # is a range scan of the number index (collation "C").
        qs = _dids(user).filter(reseller_id=client.reseller_id, status=Status.IN_STOCK)
        if stock_form.cleaned_data["prefix"]:
            qs = qs.filter(number__startswith=stock_form.cleaned_data["prefix"])
        if stock_form.cleaned_data["tag"].strip():
            qs = qs.filter(tag=stock_form.cleaned_data["tag"].strip())
        stock = list(qs.order_by("number").only("id", "number", "tag")[:STOCK_SHOWN])
    form = assign_form or AssignDIDsForm(user=user, client=client)
    ticked = (
        {int(v) for v in request.POST.getlist("ids") if v.isdigit()} if form.is_bound else set()
    )
    return render(
        request,
        "clients/dids.html",
        {
            "client": client,
            "page": page,
            "dids": dids,
            "stock": stock,
            "stock_form": stock_form,
            "searching": searching,
            "stock_shown": STOCK_SHOWN,
            "form": form,
            "ticked": ticked,
            "tab": "dids",
            "has_accounts": form.fields["account"].queryset.exists(),
            "has_subscriptions": form.fields["subscription"].queryset.exists(),
        },
        status=status,
    )


@login_required
def client_dids(request, pk: int):
    return _dids_tab(request, _client(request, pk))


def _form_messages(request, form) -> None:
    for error in form.non_field_errors():
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            for error in errors:
                label = form.fields[name].label
                messages.error(
                    request, error if error.startswith(f"{label}:") else f"{label}: {error}"
                )


@login_required
@require_POST
def assign(request, pk: int):
    client = _client(request, pk)
    form = AssignDIDsForm(request.POST, user=request.user, client=client)
    if not form.is_valid():
        _form_messages(request, form)
        return _dids_tab(request, client, assign_form=form, stock_data=request.POST)
    data = form.cleaned_data
    try:
        result = services.assign_dids(
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
    return redirect("clients:dids", pk=client.pk)


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
    target = get_object_or_404(_dids(request.user).filter(client=client), pk=did)
    service, done = DID_ACTIONS[action]
    try:
        service(target, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        target.refresh_from_db(fields=["status"])
        messages.success(request, f"DID {target.number} {done}: now {target.get_status_display()}.")
    url = reverse("clients:dids", kwargs={"pk": client.pk})
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)

"""Subscriptions ("Client Packages"): every subscription of the user's reseller(s), filter by
status, New subscription, Cancel and Reactivate (through ``inventory.lifecycle``, which moves
the DIDs). Another reseller's subscription is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.tenancy import is_admin, scoped
from audit.services import Actor
from inventory import lifecycle
from inventory.models import DID

from . import services
from .forms import StatusFilterForm, SubscriptionForm
from .models import Subscription

PER_PAGE = 20


def _subscriptions(user):
    return scoped(
        Subscription.objects.select_related("client__reseller", "package"),
        user,
        "client__reseller",
    )


def used_counts(user, ids) -> dict[int, int]:
    """DIDs linked to each of the given subscriptions: one grouped query."""
    if not ids:
        return {}
    rows = (
        scoped(DID.objects.all(), user)
        .filter(subscription_id__in=ids)
        .order_by()
        .values_list("subscription_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@login_required
def subscription_list(request):
    form = StatusFilterForm(request.GET or None)
    qs = _subscriptions(request.user)
    if form.is_valid() and form.cleaned_data["status"]:
        qs = qs.filter(status=form.cleaned_data["status"])
    page = Paginator(qs.order_by("-id"), PER_PAGE).get_page(request.GET.get("page"))
    subs = list(page.object_list)
    used = used_counts(request.user, [s.pk for s in subs])
    for s in subs:
        s.used = used.get(s.pk, 0)
    return render(
        request,
        "subscriptions/list.html",
        {
            "page": page,
            "subscriptions": subs,
            "search": form,
            "admin": is_admin(request.user),
            "here": request.get_full_path(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_create(request):
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = services.subscription_create(
                client=data["client"],
                package=data["package"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                actor=Actor.for_user(request.user),
            )
        except services.SubscriptionError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(
                request,
                f"Subscription #{sub.pk} to {sub.package.name} created for {sub.client.name}.",
            )
            return redirect("subscriptions:list")
    return render(request, "subscriptions/form.html", {"form": form})


def _back(request) -> str:
    """Where to go after an action: the page it came from (same host only), else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("subscriptions:list")


def _label(sub: Subscription) -> str:
    return f"Subscription #{sub.pk} ({sub.client.name}, {sub.package.name})"


@login_required
@require_POST
def subscription_cancel(request, pk: int):
    sub = get_object_or_404(_subscriptions(request.user), pk=pk)
    try:
        result = lifecycle.cancel_subscription(sub, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{_label(sub)} cancelled; {result.moved:,} of its DIDs are now On Hold."
        )
    return redirect(_back(request))


@login_required
@require_POST
def subscription_reactivate(request, pk: int):
    sub = get_object_or_404(_subscriptions(request.user), pk=pk)
    try:
        result = lifecycle.reactivate_subscription(sub, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{_label(sub)} reactivated; {result.moved:,} of its DIDs are Active again."
        )
    return redirect(_back(request))

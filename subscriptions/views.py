"""Subscriptions ("Client Packages"): every subscription of the user's reseller(s), filter by
status, New subscription, Cancel and Reactivate (through ``inventory.lifecycle``, which moves
the DIDs). Another reseller's subscription is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.tenancy import is_admin, scoped
from audit.services import Actor
from core import views as generic
from inventory import lifecycle
from inventory import selectors as inventory_selectors

from . import services
from .filtersets import SubscriptionFilterSet
from .forms import SubscriptionForm
from .models import Subscription
from .tables import SubscriptionTable


def _subscriptions(user):
    return scoped(
        Subscription.objects.select_related("client__reseller", "package"),
        user,
        "client__reseller",
    )


class SubscriptionListView(generic.ObjectListView):
    filterset = SubscriptionFilterSet
    table = SubscriptionTable
    template_name = "subscriptions/list.html"
    context_object_name = "subscriptions"

    def get_queryset(self, request):
        return _subscriptions(request.user)

    def hidden_columns(self, request):
        return set() if is_admin(request.user) else {"reseller"}

    def decorate(self, request, rows):
        used = inventory_selectors.used_per_subscription([s.pk for s in rows], request.user)
        for s in rows:
            s.used = used.get(s.pk, 0)

    def extra_context(self, request):
        return {"admin": is_admin(request.user), "here": request.get_full_path()}


subscription_list = SubscriptionListView.as_view()


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
            return redirect("subscriptions:subscription_list")
    return render(request, "subscriptions/form.html", {"form": form})


def _back(request) -> str:
    """Where to go after an action: the page it came from (same host only), else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("subscriptions:subscription_list")


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

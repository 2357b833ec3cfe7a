"""Subscriptions ("Client Packages"): every subscription of the user's reseller(s), filter by
status, New subscription, Cancel and Reactivate (through ``inventory.lifecycle``, which moves
the DIDs). Another reseller's subscription is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.tenancy import is_admin, scoped
from audit.services import Actor
from core import views as generic
from inventory import lifecycle
from inventory import selectors as inventory_selectors

from . import services
from .filtersets import SubscriptionFilterSet
from .forms import EndDateForm, SubscriptionForm
from .models import Subscription
from .tables import SubscriptionTable


def _subscriptions(user):
    return scoped(
        Subscription.objects.select_related("client__reseller", "package"),
        user,
        "client__reseller",
    )


class SubscriptionListView(generic.ObjectListView):
    title = "Subscriptions"
    add_url = "subscriptions:subscription_add"
    add_label = "New subscription"
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


class SubscriptionAddView(generic.ObjectEditView):
    """New subscription; under a client (``client_view``), for that client."""

    form_class = SubscriptionForm
    template_name = "subscriptions/form.html"
    errors = (services.SubscriptionError,)
    success_url = "subscriptions:subscription_list"

    def form_kwargs(self, request, obj):
        return {"user": request.user, "client": self.parent}

    def perform(self, form, *, actor, obj=None):
        data = {"client": self.parent, **form.cleaned_data}
        sub = services.subscription_create(**data, actor=actor)
        return sub, f"Subscription #{sub.pk} to {sub.package.name} created for {sub.client.name}."


class SubscriptionEditView(generic.ObjectEditView):
    """Edit a subscription's end date. Another reseller's subscription is a 404."""

    form_class = EndDateForm
    template_name = "subscriptions/form.html"
    errors = (services.SubscriptionError,)

    def get_queryset(self, request):
        return _subscriptions(request.user)

    @staticmethod
    def success_url(sub):
        return reverse("clients:client_detail", args=[sub.client_id])

    def form_kwargs(self, request, obj):
        return {"instance": obj}

    def perform(self, form, *, actor, obj=None):
        end = form.cleaned_data["end_date"]
        if not services.subscription_set_end_date(obj, end_date=end, actor=actor):
            return obj, f"{_label(obj)}: nothing to change.", "info"
        return obj, f"{_label(obj)}: end date {'set to ' + str(end) if end else 'removed'}."


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


# A subscription action: the lifecycle's service, and what its result says.
ACTIONS = {
    "cancel": (lifecycle.cancel_subscription, "cancelled; {:,} of its DIDs are now On Hold."),
    "reactivate": (
        lifecycle.reactivate_subscription,
        "reactivated; {:,} of its DIDs are Active again.",
    ),
}


@login_required
@require_POST
def subscription_action(request, pk: int, action: str):
    """Cancel or Reactivate (``ACTIONS``), then back to the page the button was on."""
    sub = get_object_or_404(_subscriptions(request.user), pk=pk)
    service, done = ACTIONS[action]
    try:
        result = service(sub, actor=Actor.for_user(request.user))
    except lifecycle.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{_label(sub)} {done.format(result.moved)}")
    return redirect(_back(request))

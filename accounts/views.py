"""Resellers page (platform admins only): resellers with their counts, their users, new
resellers, new reseller users and new platform admins."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from core import views as generic
from inventory import selectors as inventory_selectors
from operators import selectors as operator_selectors

from . import selectors, services
from .filtersets import ResellerFilterSet
from .forms import ResellerForm, UserForm
from .models import Reseller
from .tables import ResellerTable
from .tenancy import admin_required


@method_decorator(admin_required, name="dispatch")
class ResellerListView(generic.ObjectListView):
    queryset = Reseller.objects.all()
    filterset = ResellerFilterSet
    table = ResellerTable
    template_name = "accounts/list.html"
    context_object_name = "resellers"

    def decorate(self, request, rows):
        ids = [r.pk for r in rows]
        operators = operator_selectors.operators_per_reseller(ids)
        users = selectors.users_per_reseller(ids)
        dids = inventory_selectors.dids_per("reseller_id", ids)
        for r in rows:
            r.operator_count = operators.get(r.pk, 0)
            r.user_count = users.get(r.pk, 0)
            r.did_count = dids.get(r.pk, 0)

    def extra_context(self, request):
        return {"admins": selectors.platform_admins()}


reseller_list = ResellerListView.as_view()


@admin_required
@require_http_methods(["GET", "POST"])
def reseller_create(request):
    form = ResellerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reseller = services.reseller_create(
                name=form.cleaned_data["name"], actor=Actor.for_user(request.user)
            )
        except services.AccountError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"Reseller {reseller.name} created.")
            return redirect("accounts:reseller_detail", pk=reseller.pk)
    return render(request, "accounts/reseller_form.html", {"form": form})


@admin_required
def reseller_detail(request, pk: int):
    reseller = get_object_or_404(Reseller, pk=pk)
    users = reseller.users.order_by("username")
    return render(request, "accounts/detail.html", {"reseller": reseller, "users": users})


def _create_user(request, *, reseller, done_url: str):
    form = UserForm(request.POST or None, reseller=reseller)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                reseller=reseller,
                actor=Actor.for_user(request.user),
            )
        except services.AccountError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"User {user.username} created.")
            return redirect(done_url)
    return render(request, "accounts/user_form.html", {"form": form, "reseller": reseller})


@admin_required
@require_http_methods(["GET", "POST"])
def user_create(request, pk: int):
    reseller = get_object_or_404(Reseller, pk=pk)
    return _create_user(
        request, reseller=reseller, done_url=reverse("accounts:reseller_detail", args=[pk])
    )


@admin_required
@require_http_methods(["GET", "POST"])
def admin_create(request):
    return _create_user(request, reseller=None, done_url=reverse("accounts:reseller_list"))

"""Resellers page (platform admins only): resellers with their counts, their users, new
resellers, new reseller users and new platform admins."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from inventory.models import DID
from operators.models import Operator

from . import services
from .forms import ResellerForm, UserForm
from .models import Reseller, User
from .tenancy import admin_required

PER_PAGE = 20


def _counts(model, reseller_ids) -> dict[int, int]:
    """Rows of ``model`` per reseller, for the given resellers: one grouped query."""
    rows = (
        model.objects.filter(reseller_id__in=reseller_ids)
        .order_by()
        .values_list("reseller_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@admin_required
def reseller_list(request):
    page = Paginator(Reseller.objects.order_by("id"), PER_PAGE).get_page(request.GET.get("page"))
    resellers = list(page.object_list)
    ids = [r.pk for r in resellers]
    operators, users, dids = (_counts(model, ids) for model in (Operator, User, DID))
    for r in resellers:
        r.operator_count = operators.get(r.pk, 0)
        r.user_count = users.get(r.pk, 0)
        r.did_count = dids.get(r.pk, 0)
    admins = User.objects.filter(role=User.Role.ADMIN).order_by("username")
    return render(
        request,
        "accounts/list.html",
        {"page": page, "resellers": resellers, "admins": admins},
    )


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
            return redirect("accounts:detail", pk=reseller.pk)
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
    return _create_user(request, reseller=reseller, done_url=reverse("accounts:detail", args=[pk]))


@admin_required
@require_http_methods(["GET", "POST"])
def admin_create(request):
    return _create_user(request, reseller=None, done_url=reverse("accounts:list"))

"""Packages: list (with Subscriptions count), New Package, Edit Package. Another reseller's
package is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.tenancy import is_admin, scoped
from audit.services import Actor
from config import text
from subscriptions.models import Subscription

from . import services
from .forms import PackageForm
from .models import Package

PER_PAGE = 20


def _packages(user):
    return scoped(Package.objects.select_related("reseller"), user)


def _subscription_counts(user, ids) -> dict[int, int]:
    if not ids:
        return {}
    rows = (
        scoped(Subscription.objects.all(), user, "client__reseller")
        .filter(package_id__in=ids)
        .order_by()
        .values_list("package_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@login_required
def package_list(request):
    page = Paginator(_packages(request.user).order_by("name", "id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    packages = list(page.object_list)
    counts = _subscription_counts(request.user, [p.pk for p in packages])
    for p in packages:
        p.subscription_count = counts.get(p.pk, 0)
    return render(
        request,
        "packages/list.html",
        {"page": page, "packages": packages, "admin": is_admin(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def package_create(request):
    form = PackageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            package = services.package_create(
                reseller=data["reseller"],
                name=data["name"],
                did_allowance=data["did_allowance"],
                allowed_tags=data["allowed_tags"],
                hold_days=data["hold_days"],
                actor=Actor.for_user(request.user),
            )
        except services.PackageError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"Package {package.name} created.")
            return redirect("packages:list")
    return render(request, "packages/form.html", {"form": form, "package": None})


@login_required
@require_http_methods(["GET", "POST"])
def package_edit(request, pk: int):
    package = get_object_or_404(_packages(request.user), pk=pk)
    form = PackageForm(request.POST or None, user=request.user, instance=package)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.package_update(
                package,
                name=data["name"],
                did_allowance=data["did_allowance"],
                allowed_tags=data["allowed_tags"],
                hold_days=data["hold_days"],
                actor=Actor.for_user(request.user),
            )
        except services.PackageError as exc:
            form.add_service_error(str(exc))
        else:
            saved = result.package
            if not result.changed:
                messages.info(request, f"Package {saved.name}: nothing to change.")
            elif result.over_allowance:
                subs = "; ".join(
                    f"#{sid} of {client} uses {n:,}" for sid, client, n in result.over_allowance
                )
                messages.warning(
                    request,
                    f"Package {saved.name} saved. It now allows "
                    f"{text.count(saved.did_allowance, 'DID')}, but "
                    f"active subscriptions already use more ({subs}): their DIDs stay, and no "
                    "more can be assigned to them until they are below the allowance.",
                )
            else:
                messages.success(request, f"Package {saved.name} saved.")
            return redirect("packages:list")
    return render(request, "packages/form.html", {"form": form, "package": package})

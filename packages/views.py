"""Packages: list (with Subscriptions count), New Package, Edit Package. Another reseller's
package is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from config import text
from core import views as generic
from inventory import selectors as inventory_selectors
from subscriptions import selectors as subscription_selectors

from . import services
from .filtersets import PackageFilterSet
from .forms import PackageForm
from .selectors import packages_for
from .tables import PackageTable


class PackageListView(generic.ObjectListView):
    filterset = PackageFilterSet
    table = PackageTable
    template_name = "packages/list.html"
    context_object_name = "packages"

    def get_queryset(self, request):
        return packages_for(request.user)

    def decorate(self, request, rows):
        counts = subscription_selectors.subscriptions_per_package(
            request.user, [p.pk for p in rows]
        )
        for p in rows:
            p.subscription_count = counts.get(p.pk, 0)


package_list = PackageListView.as_view()


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
            return redirect("packages:package_list")
    return render(request, "packages/form.html", {"form": form, "package": None})


@login_required
@require_http_methods(["GET", "POST"])
def package_edit(request, pk: int):
    package = get_object_or_404(packages_for(request.user), pk=pk)
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
            over = (
                inventory_selectors.subscriptions_over_allowance(saved)
                if result.allowance_lowered
                else []
            )
            if not result.changed:
                messages.info(request, f"Package {saved.name}: nothing to change.")
            elif over:
                subs = "; ".join(f"#{sid} of {client} uses {n:,}" for sid, client, n in over)
                messages.warning(
                    request,
                    f"Package {saved.name} saved. It now allows "
                    f"{text.count(saved.did_allowance, 'DID')}, but "
                    f"active subscriptions already use more ({subs}): their DIDs stay, and no "
                    "more can be assigned to them until they are below the allowance.",
                )
            else:
                messages.success(request, f"Package {saved.name} saved.")
            return redirect("packages:package_list")
    return render(request, "packages/form.html", {"form": form, "package": package})

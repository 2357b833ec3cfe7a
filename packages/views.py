"""Packages: list (with Subscriptions count), New Package, Edit Package. Another reseller's
package is a 404."""

from __future__ import annotations

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
    title = "Packages"
    add_url = "packages:package_add"
    add_label = "New Package"
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


class PackageAddView(generic.ObjectEditView):
    form_class = PackageForm
    template_name = "packages/form.html"
    errors = (services.PackageError,)
    success_url = "packages:package_list"

    def perform(self, form, *, actor, obj=None):
        package = services.package_create(**form.cleaned_data, actor=actor)
        return package, f"Package {package.name} created."


class PackageEditView(PackageAddView):
    def get_queryset(self, request):
        return packages_for(request.user)

    def form_kwargs(self, request, obj):
        return {"user": request.user, "instance": obj}

    def perform(self, form, *, actor, obj=None):
        data = {k: v for k, v in form.cleaned_data.items() if k != "reseller"}
        return saved_message(services.package_update(obj, **data, actor=actor))


def saved_message(result) -> tuple:
    """The package, what to say about the edit, and how: nothing changed (info); the allowance
    now below what active subscriptions use (a warning naming them); else saved."""
    saved = result.package
    if not result.changed:
        return saved, f"Package {saved.name}: nothing to change.", "info"
    over = (
        inventory_selectors.subscriptions_over_allowance(saved) if result.allowance_lowered else []
    )
    if not over:
        return saved, f"Package {saved.name} saved."
    subs = "; ".join(f"#{sid} of {client} uses {n:,}" for sid, client, n in over)
    return (
        saved,
        f"Package {saved.name} saved. It now allows "
        f"{text.count(saved.did_allowance, 'DID')}, but "
        f"active subscriptions already use more ({subs}): their DIDs stay, and no "
        "more can be assigned to them until they are below the allowance.",
        "warning",
    )

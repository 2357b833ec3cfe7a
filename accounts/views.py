"""Resellers page (platform admins only): resellers with their counts, their users, new
resellers, new reseller users and new platform admins."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from core import views as generic
from core.forms import NameForm
from inventory import selectors as inventory_selectors
from operators import selectors as operator_selectors

from . import selectors, services
from .filtersets import ResellerFilterSet
from .forms import ResellerForm, UserEditForm, UserForm
from .models import Reseller, User
from .tables import ResellerTable
from .tenancy import admin_required


@method_decorator(admin_required, name="dispatch")
class ResellerListView(generic.ObjectListView):
    title = "Resellers"
    add_url = "accounts:reseller_add"
    add_label = "New Reseller"
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


@method_decorator(admin_required, name="dispatch")
class ResellerAddView(generic.ObjectEditView):
    form_class = ResellerForm
    template_name = "accounts/reseller_form.html"
    errors = (services.AccountError,)

    @staticmethod
    def success_url(reseller):
        return reverse("accounts:reseller_detail", args=[reseller.pk])

    def form_kwargs(self, request, obj):
        return {}

    def perform(self, form, *, actor, obj=None):
        reseller = services.reseller_create(**form.cleaned_data, actor=actor)
        return reseller, f"Reseller {reseller.name} created."


@method_decorator(admin_required, name="dispatch")
class ResellerEditView(generic.ObjectEditView):
    """Rename a reseller."""

    queryset = Reseller.objects.all()
    form_class = NameForm
    template_name = "accounts/reseller_form.html"
    errors = (services.AccountError,)

    @staticmethod
    def success_url(reseller):
        return reverse("accounts:reseller_detail", args=[reseller.pk])

    def form_kwargs(self, request, obj):
        return {"instance": obj, "noun": "reseller"}

    def perform(self, form, *, actor, obj=None):
        if not services.reseller_rename(obj, name=form.cleaned_data["name"], actor=actor):
            return obj, f"Reseller {obj.name}: nothing to change.", "info"
        return obj, f"Reseller renamed to {obj.name}."


@method_decorator(admin_required, name="dispatch")
class UserEditView(generic.ObjectEditView):
    """Edit User (a reseller's user or a platform admin): deactivate, set a new password."""

    queryset = User.objects.select_related("reseller")
    form_class = UserEditForm
    template_name = "accounts/user_edit.html"
    errors = (services.AccountError,)

    @staticmethod
    def success_url(user):
        if user.reseller_id is None:
            return reverse("accounts:reseller_list")
        return reverse("accounts:reseller_detail", args=[user.reseller_id])

    def form_kwargs(self, request, obj):
        return {"instance": obj}

    def perform(self, form, *, actor, obj=None):
        data = form.cleaned_data
        changed = services.user_update(
            obj, active=data["is_active"], password=data["password1"] or "", actor=actor
        )
        if not changed:
            return obj, f"User {obj.username}: nothing to change.", "info"
        said = {
            "activated": "activated",
            "deactivated": "deactivated",
            "password": "given a new password",
        }
        return obj, f"User {obj.username} " + " and ".join(said[c] for c in changed) + "."


@admin_required
def reseller_detail(request, pk: int):
    reseller = get_object_or_404(Reseller, pk=pk)
    users = reseller.users.order_by("username")
    return render(request, "accounts/detail.html", {"reseller": reseller, "users": users})


@method_decorator(admin_required, name="dispatch")
class AdminAddView(generic.ObjectEditView):
    """New Platform Admin; ``UserAddView``: a new user of the reseller in the URL."""

    form_class = UserForm
    template_name = "accounts/user_form.html"
    errors = (services.AccountError,)
    success_url = "accounts:reseller_list"

    def form_kwargs(self, request, obj):
        return {"reseller": self.parent}

    def extra_context(self, request, obj):
        return {"reseller": self.parent}

    def perform(self, form, *, actor, obj=None):
        data = form.cleaned_data
        user = services.user_create(
            username=data["username"],
            password=data["password1"],
            email=data["email"],
            reseller=self.parent,
            actor=actor,
        )
        return user, f"User {user.username} created."


class UserAddView(AdminAddView):
    def get_parent_queryset(self, request):
        return Reseller.objects.all()

    @staticmethod
    def success_url(user):
        return reverse("accounts:reseller_detail", args=[user.reseller_id])

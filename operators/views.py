"""Operators tab: list (with DID's count), Advanced Search, New Operator, delete. Each view is
configuration on ``core.views``; the rules live in ``operators.services``."""

from accounts.tenancy import scoped
from core import views as generic
from core.forms import NameForm
from inventory import selectors as inventory_selectors

from . import services
from .filtersets import OperatorFilterSet
from .forms import OperatorForm
from .models import Operator
from .tables import OperatorTable


class OperatorListView(generic.ObjectListView):
    title = "Operators"
    add_url = "operators:operator_add"
    add_label = "New Operator"
    queryset = Operator.objects.select_related("reseller")
    scope = scoped
    filterset = OperatorFilterSet
    table = OperatorTable
    template_name = "operators/list.html"
    context_object_name = "operators"

    def decorate(self, request, rows):
        counts = inventory_selectors.dids_per("operator_id", [op.pk for op in rows])
        for op in rows:
            op.did_count = counts.get(op.pk, 0)


class OperatorAddView(generic.ObjectEditView):
    form_class = OperatorForm
    template_name = "operators/form.html"
    errors = (services.OperatorError,)
    success_url = "operators:operator_list"

    def perform(self, form, *, actor, obj=None):
        op = services.operator_create(**form.cleaned_data, actor=actor)
        return op, f"Operator {op.name} created."


class OperatorEditView(generic.ObjectEditView):
    """Edit Operator: rename it. Another reseller's operator is a 404."""

    queryset = Operator.objects.select_related("reseller")
    scope = scoped
    form_class = NameForm
    template_name = "operators/form.html"
    errors = (services.OperatorError,)
    success_url = "operators:operator_list"

    def form_kwargs(self, request, obj):
        return {"instance": obj, "noun": "operator"}

    def perform(self, form, *, actor, obj=None):
        if not services.operator_rename(obj, name=form.cleaned_data["name"], actor=actor):
            return obj, f"Operator {obj.name}: nothing to change.", "info"
        return obj, f"Operator renamed to {obj.name}."


class OperatorDeleteView(generic.ObjectDeleteView):
    queryset = Operator.objects.select_related("reseller")
    scope = scoped
    template_name = "operators/confirm_delete.html"
    context_object_name = "operator"
    errors = (services.OperatorError,)
    success_url = "operators:operator_list"

    def preview(self, obj):
        return services.operator_delete_preview(obj)

    def perform(self, obj, *, actor):
        services.operator_delete(obj, actor=actor)
        return f"Operator {obj.name} deleted."

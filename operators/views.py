"""Operators tab: list (with DID's count), Advanced Search, New Operator, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.tenancy import scoped
from audit.services import Actor
from inventory.models import DID

from . import services
from .filters import OperatorFilter
from .forms import OperatorForm
from .models import Operator

PER_PAGE = 20
# ?sort= value -> ORDER BY field. "-name" sorts descending; ties are broken by id.
SORTS = {"id": "id", "name": "name", "reseller": "reseller__name"}
DEFAULT_SORT = "id"


def _operators(user):
    return scoped(Operator.objects.select_related("reseller"), user)


def _ordering(sort: str) -> tuple[str, list[str]]:
    """The accepted ``sort`` value (unknown values fall back to id) and its ORDER BY."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, [SORTS[DEFAULT_SORT]]
    prefix = "-" if sort.startswith("-") else ""
    order = [prefix + SORTS[key]]
    if key != "id":
        order.append(prefix + "id")
    return sort, order


def _did_counts(operator_ids) -> dict[int, int]:
    """DID's count of the given operators: one grouped query (index operator_id, id)."""
    if not operator_ids:
        return {}
    rows = (
        DID.objects.filter(operator_id__in=operator_ids)
        .order_by()
        .values_list("operator_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@login_required
def operator_list(request):
    search = OperatorFilter(request.GET, queryset=_operators(request.user), request=request)
    sort, order = _ordering(request.GET.get("sort", DEFAULT_SORT))
    page = Paginator(search.qs.order_by(*order), PER_PAGE).get_page(request.GET.get("page"))
    operators = list(page.object_list)
    counts = _did_counts([op.pk for op in operators])
    for op in operators:
        op.did_count = counts.get(op.pk, 0)
    columns = [("id", "ID"), ("name", "Name"), ("reseller", "Reseller")]
    return render(
        request,
        "operators/list.html",
        {
            "page": page,
            "operators": operators,
            "search": search,
            "searching": bool(request.GET.get("reseller")),
            "sort": sort,
            "sort_links": {
                key: {
                    "label": label,
                    "next": key if sort != key else f"-{key}",
                    "dir": "asc" if sort == key else "desc" if sort == f"-{key}" else "",
                }
                for key, label in columns
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def operator_create(request):
    form = OperatorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            op = services.operator_create(
                name=form.cleaned_data["name"],
                reseller=form.cleaned_data["reseller"],
                actor=Actor.for_user(request.user),
            )
        except services.OperatorError as exc:
            form.add_service_error(str(exc))
        else:
            messages.success(request, f"Operator {op.name} created.")
            return redirect("operators:list")
    return render(request, "operators/form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def operator_delete(request, pk: int):
    op = get_object_or_404(_operators(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.operator_delete(op, actor=Actor.for_user(request.user))
        except services.OperatorError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Operator {op.name} deleted.")
        return redirect("operators:list")
    return render(
        request,
        "operators/confirm_delete.html",
        {"operator": op, "did_count": _did_counts([op.pk]).get(op.pk, 0)},
    )

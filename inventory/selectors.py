"""Reads of the DID inventory: the DIDs a search or a ticked selection stands for, and counts
(the list's orders are ``inventory.tables.DIDTable``). Shared by the views and the background
jobs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Left
from django.http import Http404, QueryDict

from core.selectors import count_by
from operators.models import Operator
from subscriptions.models import Subscription

from . import geography
from .choices import Status
from .filtersets import DIDFilterSet
from .lifecycle.table import ASSIGNABLE, COUNTED_AGAINST_ALLOWANCE
from .models import DID, ColumnChoice, SavedSearch
from .scoping import dids_for


class UserRequest:
    """What the filterset needs of a request, for work that runs outside one."""

    def __init__(self, user):
        self.user = user


def did_search(request, data=None) -> DIDFilterSet:
    """The DID search of ``data`` (default: the URL), limited to what the user may see."""
    data = request.GET if data is None else data
    return DIDFilterSet(data, queryset=dids_for(request.user), request=request)


def selection_for(user, search: QueryDict, ids=None):
    """The DIDs a mass action applies to: ``ids`` (all must be visible to ``user``, else 404),
    or every DID matching ``search`` that ``user`` may see."""
    if ids is None:
        filterset = DIDFilterSet(search, queryset=dids_for(user), request=UserRequest(user))
        if not filterset.is_valid():
            raise Http404("The search is not valid any more.")
        return filterset.qs
    qs = dids_for(user).filter(pk__in=ids)
    if qs.count() != len(ids):
        raise Http404("No such DID.")
    return qs


def search_errors(filterset) -> str:
    """A search's errors as one message, each naming its field ("DID: ...")."""
    parts = []
    for name, errors in filterset.errors.items():
        field = filterset.form.fields.get(name)
        label = field.label if field is not None and field.label else name
        for error in errors:
            parts.append(error if error.startswith(f"{label}:") else f"{label}: {error}")
    return " ".join(parts)


# --------------------------------------------------------------------------- saved searches

# What a saved search keeps of the list's URL: the Advanced Search fields and the sort and
# page size (not the page it was on).
SAVED_KEYS = (*DIDFilterSet.base_filters, "sort", "per_page")


def search_query(data: QueryDict) -> str:
    """The part of a DID Inventory query string that a saved search keeps, empty values
    left out, in a stable order."""
    kept = QueryDict(mutable=True)
    for key in SAVED_KEYS:
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


def saved_searches_for(user) -> QuerySet[SavedSearch]:
    """The saved searches ``user`` sees: their own, and those shared within their reseller
    (a platform admin: those other admins shared). Never another reseller's."""
    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    reseller_id = getattr(user, "reseller_id", None)
    shared = Q(shared=True) & (
        Q(reseller__isnull=True) if reseller_id is None else Q(reseller_id=reseller_id)
    )
    return SavedSearch.objects.filter(Q(user=user) | shared)


def own_saved_searches(user) -> QuerySet[SavedSearch]:
    """The saved searches ``user`` may rename and delete: their own."""
    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(user=user)


def chosen_columns(user) -> list[str] | None:
    """The DID Inventory columns ``user`` chose to see, or None (never chose: the default)."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = ColumnChoice.objects.filter(user=user).values_list("columns", flat=True).first()
    return list(row) if row is not None else None


def stock_to_assign(user, client, *, subscription=None, prefix="", tag="", limit=50):
    """The first ``limit`` In Stock DIDs of ``client``'s reseller in number order that
    ``subscription``'s package allows (its allowed tags; none: any tag), optionally starting
    with ``prefix`` and of ``tag``. A prefix is a range scan of the number index."""
    qs = dids_for(user).filter(reseller_id=client.reseller_id, status__in=ASSIGNABLE)
    if prefix:
        qs = qs.filter(number__startswith=prefix)
    if tag:
        qs = qs.filter(tag=tag)
    if subscription is not None and subscription.package.allowed_tags:
        qs = qs.filter(tag__in=subscription.package.allowed_tags)
    return list(qs.order_by("number").only("id", "number", "tag")[:limit])


# --------------------------------------------------------------------------- counts


def dids_per(key: str, ids, user=None) -> dict[int, int]:
    """DIDs per operator / reseller / subscription / client (``key``: the DID's foreign key,
    e.g. ``"operator_id"``) for the given ids, limited to what ``user`` may see if given:
    one grouped query."""
    qs = dids_for(user) if user is not None else DID.objects.all()
    return count_by(qs, key, ids)


def used_per_subscription(ids, user=None) -> dict[int, int]:
    """DIDs counted against the package allowance of each of the given subscriptions (the
    lifecycle says which count), limited to what ``user`` may see if given: one grouped
    query."""
    qs = dids_for(user) if user is not None else DID.objects.all()
    counted = qs.filter(status__in=COUNTED_AGAINST_ALLOWANCE)
    return count_by(counted, "subscription_id", ids)


def subscriptions_over_allowance(package) -> list[tuple[int, str, int]]:
    """Active subscriptions of ``package`` with more DIDs linked than it allows, as
    (subscription id, client name, DIDs linked): one query."""
    active = Subscription.objects.filter(package=package, status=Subscription.Status.ACTIVE)
    rows = (
        DID.objects.filter(subscription__in=active, status__in=COUNTED_AGAINST_ALLOWANCE)
        .order_by()
        .values_list("subscription_id", "subscription__client__name")
        .annotate(n=Count("id"))
    )
    return sorted((sid, client, n) for sid, client, n in rows if n > package.did_allowance)


def dids_per_country(user) -> list[tuple[str, int]]:
    """DIDs per country (code; "" for numbers with no country, last of its count), most first:
    one grouped query on the number's first ``geography.CHART_CHARS`` characters, each group
    then named by the library."""
    lead = Left("number", geography.CHART_CHARS)
    rows = dids_for(user).order_by().annotate(lead=lead).values_list("lead").annotate(n=Count("id"))
    totals: Counter[str] = Counter()
    for digits, n in rows:
        totals[geography.country_of_prefix(digits.lstrip("+"))] += n
    return sorted(totals.items(), key=lambda kv: (-kv[1], not kv[0], kv[0]))


def status_counts(qs) -> dict[str, int]:
    """DIDs of ``qs`` per status (``{status value: n}``): one grouped query."""
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


@dataclass
class Dashboard:
    """The home page's numbers for one user."""

    by_status: dict[str, int]
    # The operators with the most DIDs, as (operator name, DIDs), at most ten.
    top_operators: list[tuple[str, int]]
    operators_total: int
    # The ids of ``top_operators``, in the same order (Home's bars link to their DIDs).
    top_operator_ids: list[int]
    # On Hold DIDs whose hold ends within a week, soonest first.
    ending: object
    ending_count: int


def dashboard(user, *, now, top: int = 10, days: int = 7) -> Dashboard:
    dids = dids_for(user)
    by_op = dict(dids.order_by().values_list("operator").annotate(n=Count("id")))
    names = dict(Operator.objects.filter(pk__in=by_op).values_list("pk", "name"))
    top_ops = sorted(by_op.items(), key=lambda kv: -kv[1])[:top]
    ending = dids.filter(
        status=Status.ON_HOLD, hold_until__lte=now + dt.timedelta(days=days)
    ).select_related("client", "account", "operator")
    return Dashboard(
        by_status=status_counts(dids),
        top_operators=[(names.get(pk, "?"), n) for pk, n in top_ops],
        operators_total=len(by_op),
        top_operator_ids=[pk for pk, _n in top_ops],
        ending=ending.order_by("hold_until", "id")[:20],
        ending_count=ending.count(),
    )

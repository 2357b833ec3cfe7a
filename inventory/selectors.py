"""Reads of the DID inventory: the DIDs a search or a ticked selection stands for, and counts
(the list's orders are ``inventory.tables.DIDTable``). Shared by the views and the background
jobs."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Left
from django.http import Http404, QueryDict

from accounts.tenancy import scoped
from core.paging import Split, kept_count, matches_first
from core.selectors import sum_by
from operators.models import Operator
from subscriptions.models import Subscription

from . import geography
from .choices import Status
from .filtersets import DIDFilterSet
from .lifecycle.table import ASSIGNABLE, ASSIGNED, COUNTED_AGAINST_ALLOWANCE, values
from .models import ColumnChoice, DIDCount, SavedSearch
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
# Exact counts come from the counts table (``DIDCount``, kept by triggers in the DIDs' own
# transactions): a few hundred rows to add up instead of a million DIDs to count.

# The DID Inventory's search fields the counts table answers (any combination of them).
COUNTED_FIELDS = frozenset({"status", "operator", "reseller", "tag", "client", "account"})
# A search it cannot answer (a DID prefix, contains or range, After Hold, a hold end) is
# counted exactly up to this many DIDs; beyond, "about N" (``core.paging.kept_count``).
SEARCH_EXACT_LIMIT = 100_000


# A search the counts table says matches at most this many DIDs: its page collects the
# matches through the search's indexes and sorts them (``core.paging.matches_first``), at
# a cost bounded by this number, wherever its matches sit in the sort's order.
FEW_MATCHES = 100_000


def page_plan(counted: tuple[int, bool] | None):
    """How the DID list's page queries run, given the search's (count, exact)."""
    if counted is not None and counted[1] and counted[0] <= FEW_MATCHES:
        return matches_first()
    return contextlib.nullcontext()


def counts_for(user=None):
    """The counts table's rows ``user`` may see (all of them without a user)."""
    qs = DIDCount.objects.all()
    return scoped(qs, user) if user is not None else qs


def _total(qs) -> int:
    return qs.aggregate(n=Sum("n"))["n"] or 0


def counted(search: DIDFilterSet, **narrow) -> int | None:
    """The exact number of DIDs a valid DID search matches (and ``narrow``, conditions on the
    counts table's fields), from the counts table; None when it searches a field the table
    does not keep. The search's own filters run on the counts
    table (its fields bear the DID's names), so they cannot mean something else here."""
    rows = counts_for(search.request.user).filter(**narrow)
    if not search.is_bound:  # no search: every DID the user may see
        return _total(rows)
    data = search.form.cleaned_data
    used = {
        name
        for name, value in data.items()
        if name != "did_match"
        and value not in (None, "", [], ())
        and not (isinstance(value, str) and not value.replace(",", " ").strip())
    }
    if not used <= COUNTED_FIELDS:
        return None
    return _total(search.filter_queryset(rows))


def search_count(search: DIDFilterSet, qs=None) -> tuple[int, bool]:
    """(count, exact) of a valid DID search (``qs``: its DIDs, if already filtered): exact
    from the counts table when it can say; otherwise exact up to ``SEARCH_EXACT_LIMIT``,
    then an estimate never 10% off."""
    n = counted(search)
    if n is not None:
        return n, True
    return kept_count(search.qs if qs is None else qs, SEARCH_EXACT_LIMIT)


# The nullable sort columns, and the statuses whose DIDs (and only those) have a value in
# them (the constraints did_assigned_iff_linked and did_on_hold_iff_hold_until).
VALUED_IN = {
    "client_id": ASSIGNED,
    "subscription_id": ASSIGNED,
    "hold_until": frozenset({Status.ON_HOLD}),
}


def sort_head(search: DIDFilterSet, sort) -> Split | None:
    """How a valid search's offset pages read a mostly-empty sort column (``Split``): the
    DIDs with a client, a package or a hold end are counted by the counts table; notes
    are empty ("", first ascending) on most DIDs."""
    column = sort.columns[0]
    if column == "notes":
        return Split(head=None, empty={"notes": ""}, empty_last=False)
    statuses = VALUED_IN.get(column)
    if statuses is None:
        return None
    head = counted(search, status__in=values(statuses))
    return None if head is None else Split(head=head, empty={f"{column}__isnull": True})


def dids_per(key: str, ids, user=None) -> dict[int, int]:
    """DIDs per operator / reseller / subscription / client / account (``key``: the DID's
    foreign key, e.g. ``"operator_id"``) for the given ids, limited to what ``user`` may see
    if given: one grouped query on the counts table."""
    return sum_by(counts_for(user), key, ids)


def used_per_subscription(ids, user=None) -> dict[int, int]:
    """DIDs counted against the package allowance of each of the given subscriptions (the
    lifecycle says which count), limited to what ``user`` may see if given: one grouped
    query on the counts table."""
    counted_rows = counts_for(user).filter(status__in=COUNTED_AGAINST_ALLOWANCE)
    return sum_by(counted_rows, "subscription_id", ids)


def subscriptions_over_allowance(package) -> list[tuple[int, str, int]]:
    """Active subscriptions of ``package`` with more DIDs linked than it allows, as
    (subscription id, client name, DIDs linked): two queries."""
    active = dict(
        Subscription.objects.filter(package=package, status=Subscription.Status.ACTIVE).values_list(
            "id", "client__name"
        )
    )
    used = used_per_subscription(active)
    return sorted((sid, active[sid], n) for sid, n in used.items() if n > package.did_allowance)


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


def status_counts(user) -> dict[str, int]:
    """DIDs ``user`` may see per status (``{status value: n}``): one grouped query."""
    rows = counts_for(user).order_by().values_list("status").annotate(n=Sum("n"))
    return {status: n for status, n in rows if n}


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
    rows = counts_for(user).order_by().values_list("operator").annotate(n=Sum("n"))
    by_op = {pk: n for pk, n in rows if n}
    names = dict(Operator.objects.filter(pk__in=by_op).values_list("pk", "name"))
    top_ops = sorted(by_op.items(), key=lambda kv: -kv[1])[:top]
    ending = dids.filter(
        status=Status.ON_HOLD, hold_until__lte=now + dt.timedelta(days=days)
    ).select_related("client", "account", "operator")
    return Dashboard(
        by_status=status_counts(user),
        top_operators=[(names.get(pk, "?"), n) for pk, n in top_ops],
        operators_total=len(by_op),
        top_operator_ids=[pk for pk, _n in top_ops],
        ending=ending.order_by("hold_until", "id")[:20],
        ending_count=ending.count(),
    )

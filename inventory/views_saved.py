"""What the DID Inventory keeps for each user: saved searches (open, save, rename, delete) and
the columns chosen. Thin views over ``inventory.services``; another user's saved search (or
one not shared with the user) is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, F, When
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.services import Actor
from config.limits import SAVED_SEARCH_NAME_MAX, SAVED_SEARCH_QUERY_MAX

from .preferences import (
    ColumnsError,
    SavedSearchError,
    columns_choose,
    saved_search_create,
    saved_search_delete,
    saved_search_rename,
)
from .selectors import own_saved_searches, saved_searches_for
from .tables import DIDTable

# The most saved searches the page lists (the user's own always fit: SAVED_SEARCHES_PER_USER).
SAVED_LISTED = 500


def _list_url(query: str = "") -> str:
    """The DID Inventory with ``query`` (re-encoded, so nothing but a query string follows)."""
    query = QueryDict(query[:SAVED_SEARCH_QUERY_MAX]).urlencode() if query else ""
    return reverse("inventory:did_list") + (f"?{query}" if query else "")


@login_required
def saved_search_list(request):
    """GET: the saved searches the user sees, their own to rename or delete. POST: save the
    DID Inventory's current search (``q``) under a name."""
    if request.method == "POST":
        q = request.POST.get("q", "")
        try:
            search = saved_search_create(
                user=request.user,
                name=request.POST.get("name", ""),
                query=q,
                shared=bool(request.POST.get("shared")),
                actor=Actor.for_user(request.user),
            )
        except SavedSearchError as exc:
            messages.error(request, str(exc))
            return redirect(_list_url(q))
        who = "your reseller's users" if search.reseller_id else "the platform admins"
        shared = f" and shared it with {who}" if search.shared else ""
        messages.success(request, f"Saved the search “{search.name}”{shared}.")
        return redirect(_list_url(search.query))
    # Own ones first (at most SAVED_SEARCHES_PER_USER), then the shared ones, bounded.
    searches = (
        saved_searches_for(request.user)
        .annotate(owner_name=F("user__username"))
        .order_by(Case(When(user=request.user, then=0), default=1), "name", "id")[:SAVED_LISTED]
    )
    return render(
        request,
        "inventory/saved_searches.html",
        {"searches": searches, "name_max": SAVED_SEARCH_NAME_MAX},
    )


@login_required
def saved_search_open(request, pk):
    search = get_object_or_404(saved_searches_for(request.user), pk=pk)
    return redirect(_list_url(search.query))


@login_required
@require_POST
def saved_search_rename_view(request, pk):
    search = get_object_or_404(own_saved_searches(request.user), pk=pk)
    before = search.name
    try:
        saved_search_rename(
            search, name=request.POST.get("name", ""), actor=Actor.for_user(request.user)
        )
    except SavedSearchError as exc:
        messages.error(request, f"“{before}”: {exc}")
    else:
        messages.success(request, f"Renamed the saved search “{before}” to “{search.name}”.")
    return redirect("inventory:saved_search_list")


@login_required
@require_POST
def saved_search_delete_view(request, pk):
    search = get_object_or_404(own_saved_searches(request.user), pk=pk)
    saved_search_delete(search, actor=Actor.for_user(request.user))
    messages.success(request, f"Deleted the saved search “{search.name}”.")
    return redirect("inventory:saved_search_list")


@login_required
@require_POST
def did_columns(request):
    """Keep the DID Inventory columns the user ticked (``reset``: back to the default), then
    show the list again as it was (``q``)."""
    reset = bool(request.POST.get("reset"))
    try:
        columns_choose(
            user=request.user,
            columns=None if reset else request.POST.getlist("columns")[: len(DIDTable.columns)],
            allowed=DIDTable.keys(),
            actor=Actor.for_user(request.user),
        )
    except ColumnsError as exc:
        messages.error(request, str(exc))
    return redirect(_list_url(request.POST.get("q", "")))

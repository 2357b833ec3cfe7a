"""A user's own settings of the DID Inventory: saved searches (their own, or shared within
their reseller) and the columns they chose to see. Each write is bounded and audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import QueryDict

from audit.services import Actor, record, record_created
from config.limits import (
    SAVED_SEARCH_NAME_MAX,
    SAVED_SEARCH_QUERY_MAX,
    SAVED_SEARCHES_PER_USER,
    check_length,
)

from .filtersets import DIDFilterSet
from .models import ColumnChoice, SavedSearch
from .scoping import dids_for
from .selectors import UserRequest, search_errors, search_query

# --------------------------------------------------------------------------- saved searches


class SavedSearchError(Exception):
    """A saved search refused: "Name: ..." or "Search: ...", for the form to show."""


def _clean_search_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise SavedSearchError("Name: enter a name for the search.")
    if problem := check_length("Name", name, SAVED_SEARCH_NAME_MAX):
        raise SavedSearchError(problem)
    return name


def _clean_search_query(user, query: str | None) -> str:
    """``query`` reduced to what a saved search keeps (``search_query``), refused unless the
    DID Inventory's own search (``DIDFilterSet``, as ``user`` sees it) takes it."""
    raw = query or ""
    if len(raw) > SAVED_SEARCH_QUERY_MAX:
        raise SavedSearchError(f"Search: at most {SAVED_SEARCH_QUERY_MAX:,} characters.")
    kept = search_query(QueryDict(raw))
    if not kept:
        raise SavedSearchError("Search: run an Advanced Search first; there is nothing to save.")
    if len(kept) > SAVED_SEARCH_QUERY_MAX:
        raise SavedSearchError(f"Search: at most {SAVED_SEARCH_QUERY_MAX:,} characters.")
    search = DIDFilterSet(QueryDict(kept), queryset=dids_for(user), request=UserRequest(user))
    if not search.is_valid():
        raise SavedSearchError(f"Search: not saved; {search_errors(search)}")
    return kept


def _taken(name: str) -> SavedSearchError:
    return SavedSearchError(f"Name: you already have a saved search named “{name}”.")


def saved_search_create(*, user, name: str, query: str, shared: bool, actor: Actor) -> SavedSearch:
    """Save the DID Inventory search ``query`` under ``name`` for ``user`` (``shared``: for
    every user of their reseller too). At most ``SAVED_SEARCHES_PER_USER`` per user; the
    user's row is locked while counting, so two requests cannot both take the last one."""
    name = _clean_search_name(name)
    query = _clean_search_query(user, query)
    try:
        with transaction.atomic():
            list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
            if SavedSearch.objects.filter(user=user).count() >= SAVED_SEARCHES_PER_USER:
                raise SavedSearchError(
                    f"Name: you have {SAVED_SEARCHES_PER_USER:,} saved searches, the most one "
                    "user may keep; delete one first."
                )
            search = SavedSearch.objects.create(
                user=user,
                reseller_id=getattr(user, "reseller_id", None),
                name=name,
                query=query,
                shared=bool(shared),
            )
            record_created(
                actor,
                search,
                reseller_id=search.reseller_id,
                after={"name": name, "query": query, "shared": search.shared},
            )
    except IntegrityError as exc:
        raise _taken(name) from exc
    return search


def saved_search_rename(search: SavedSearch, *, name: str, actor: Actor) -> SavedSearch:
    """Rename one of the user's saved searches (the caller fetched it from
    ``own_saved_searches``)."""
    name = _clean_search_name(name)
    before = search.name
    if name == before:
        return search
    try:
        with transaction.atomic():
            search.name = name
            search.save(update_fields=["name"])
            record(
                actor,
                action="edit",
                object_type="savedsearch",
                object_id=search.pk,
                object_repr=name,
                reseller_id=search.reseller_id,
                before={"name": before},
                after={"name": name},
            )
    except IntegrityError as exc:
        search.name = before
        raise _taken(name) from exc
    return search


def saved_search_delete(search: SavedSearch, *, actor: Actor) -> None:
    with transaction.atomic():
        record(
            actor,
            action="delete",
            object_type="savedsearch",
            object_id=search.pk,
            object_repr=search.name,
            reseller_id=search.reseller_id,
            before={"name": search.name, "query": search.query, "shared": search.shared},
        )
        search.delete()


# --------------------------------------------------------------------------- columns


class ColumnsError(Exception):
    """A column choice refused: "Columns: ..."."""


def columns_choose(*, user, columns, allowed, actor: Actor) -> list[str] | None:
    """Keep the DID Inventory columns ``user`` sees: ``columns`` (keys of ``allowed``, the
    table's columns, kept in the table's order), or None to go back to the default. Returns
    what is kept."""
    allowed = list(allowed)
    if columns is not None:
        unknown = [c for c in columns if c not in allowed]
        if unknown:
            raise ColumnsError(f"Columns: “{str(unknown[0])[:40]}” is not a column of this list.")
        columns = [c for c in allowed if c in set(columns)]
        if not columns:
            raise ColumnsError("Columns: choose at least one column.")
    with transaction.atomic():
        row = ColumnChoice.objects.select_for_update().filter(user=user).first()
        before = row.columns if row is not None else None
        if before == columns:
            return columns
        if columns is None:
            row.delete()
        else:
            ColumnChoice.objects.update_or_create(user=user, defaults={"columns": columns})
        record(
            actor,
            action="edit",
            object_type="columnchoice",
            object_id=user.pk,
            object_repr=f"DID Inventory columns of {user.get_username()}",
            reseller_id=getattr(user, "reseller_id", None),
            before={"columns": before},
            after={"columns": columns},
        )
    return columns

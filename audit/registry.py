"""What the Audit Log knows of the domain: only what the domain apps register.

``audit`` sits below every domain app and imports none of them. Each app that has objects on
the log registers, from its ``AppConfig.ready()``, one ``Kind`` per object type:

* ``label``: what a person calls one ("DID", "Client");
* ``names(ids)``: ``{id: name}`` for a set of ids, in one query (the Audit Log resolves every
  id a page shows, set-based, when the page is shown);
* ``url(id)``: the object's page ("" when it has none the user can open);
* ``fields``: how its fields read: ``{field: Field(label, choices=..., ref=..., moment=...)}``
  (a ``ref`` names the kind whose names the field's ids are);
* ``lookup(text)``: the ids whose name is ``text`` (the Audit Log's search by DID number,
  operator, client or package name; the log is scoped by reseller, so a match elsewhere
  finds nothing);

``register_related(object_type, related)``: ``related(ids)`` is ``{field: ids}`` of other
objects whose entries count as this one's (a package's subscriptions: the DIDs assigned under
it name their subscription, not the package), registered by the app that knows both.

A reverter (``revert(change_set, entries, actor)``) for the kinds whose changes can be undone
is registered the same way (``register_reverter``): ``audit.services.revert`` calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    label: str
    choices: dict | None = None  # value -> label
    ref: str = ""  # the kind whose ids this field holds
    moment: bool = False  # a timestamp


@dataclass(frozen=True)
class Kind:
    type: str
    label: str
    names: Callable[[set[int]], dict[int, str]] | None = None
    url: Callable[[int], str] | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    lookup: Callable[[str], list[int]] | None = None


KINDS: dict[str, Kind] = {}
REVERTERS: dict[str, Callable] = {}
RELATED: dict[str, Callable[[list[int]], dict[str, list[int]]]] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.type] = kind
    return kind


def register_reverter(object_type: str, reverter: Callable) -> None:
    """``reverter(change_set, entries, actor) -> audit.services.Reverted`` undoes the
    ``object_type`` entries of one change set (as a new change set, ``actor``'s)."""
    REVERTERS[object_type] = reverter


def register_related(object_type: str, related: Callable) -> None:
    RELATED[object_type] = related


def kind(object_type: str) -> Kind:
    return KINDS.get(object_type) or Kind(object_type, object_type.replace("_", " ").capitalize())


def model_names(model, *, related=(), name: Callable | None = None, limit: int = 10_000):
    """A ``names`` for ``model``: one query for a set of ids, ``str(obj)`` (or ``name(obj)``)
    each; at most ``limit`` ids (a page never shows more)."""

    def names(ids):
        wanted = sorted({int(i) for i in ids if i is not None})[:limit]
        if not wanted:
            return {}
        qs = model._default_manager.filter(pk__in=wanted)
        if related:
            qs = qs.select_related(*related)
        return {obj.pk: (name(obj) if name else str(obj)) for obj in qs}

    return names


LOOKUP_MAX = 50


def model_lookup(model, field: str = "name"):
    """A ``lookup`` for ``model``: the ids whose ``field`` is the text, any case."""

    def lookup(value: str) -> list[int]:
        qs = model._default_manager.filter(**{f"{field}__iexact": value})
        return list(qs.order_by("pk").values_list("pk", flat=True)[:LOOKUP_MAX])

    return lookup

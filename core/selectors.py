"""Reads shared by every app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet, Sum


def count_by(qs: QuerySet, key: str, ids: Iterable) -> dict:
    """How many rows of ``qs`` each of ``ids`` has in the foreign key ``key`` (``{id: n}``,
    ids without rows left out): one grouped query, served by an index on (key, id)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = qs.filter(**{f"{key}__in": ids}).order_by().values_list(key).annotate(n=Count("id"))
    return dict(rows)


def sum_by(qs: QuerySet, key: str, ids: Iterable, field: str = "n") -> dict:
    """The sum of ``field`` over the rows of ``qs`` each of ``ids`` has in ``key`` (``{id:
    total}``, ids without rows left out): a counts table's ``count_by``, one grouped query."""
    ids = list(ids)
    if not ids:
        return {}
    rows = qs.filter(**{f"{key}__in": ids}).order_by().values_list(key).annotate(n=Sum(field))
    return {k: n for k, n in rows if n}

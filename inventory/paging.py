"""Pagination that stays fast at millions of rows.

* Keyset ("seek") pagination on every indexed sort: the next page starts after the last row's
  (sort value, id), so a page deep in the list costs the same as the first one.
* Counting: an exact count when the result is small (up to ``EXACT_LIMIT`` rows), otherwise the
  planner's estimate (shown as "about N"), so no request runs COUNT(*) over a million rows.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet

EXACT_LIMIT = 10_000


@dataclass(frozen=True)
class Sort:
    key: str  # URL name
    label: str
    columns: tuple[str, ...]  # model columns, the last one unique (id)
    keyset: bool = True  # False: nullable columns, paginated by offset

    def order_by(self, descending: bool) -> list[str]:
        return [("-" if descending else "") + c for c in self.columns]


def smart_count(qs: QuerySet) -> tuple[int, bool]:
    """(count, exact). Exact up to EXACT_LIMIT rows, else PostgreSQL's estimate."""
    sub = qs.order_by().values("id")[: EXACT_LIMIT + 1]
    sql, params = sub.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql}) AS s", params)
        n = cur.fetchone()[0]
        if n <= EXACT_LIMIT:
            return n, True
        sql, params = qs.order_by().values("id").query.sql_with_params()
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return max(estimate, EXACT_LIMIT + 1), False


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, size: int) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    return values


@dataclass
class Page:
    rows: list
    start: int  # 0-based offset of the first row
    count: int
    exact: bool
    per_page: int
    next_params: dict | None = None
    prev_params: dict | None = None
    first_params: dict = field(default_factory=dict)
    last_params: dict | None = None

    @property
    def first_row(self) -> int:
        return self.start + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.start + len(self.rows)

    @property
    def page_number(self) -> int:
        return self.start // self.per_page + 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.count // self.per_page))


def _seek(qs: QuerySet, sort: Sort, descending: bool, values: list, after: bool) -> QuerySet:
    """Rows strictly after (or before) ``values`` in the sort order, by a row comparison that
    PostgreSQL answers from the sort's index."""
    table = qs.model._meta.db_table
    cols = ", ".join(f'"{table}"."{qs.model._meta.get_field(c).column}"' for c in sort.columns)
    placeholders = ", ".join(["%s"] * len(values))
    op = ">" if after != descending else "<"
    return qs.extra(where=[f"({cols}) {op} ({placeholders})"], params=values)


def _row_values(obj, sort: Sort) -> list:
    return [getattr(obj, obj._meta.get_field(c).attname) for c in sort.columns]


def paginate(qs: QuerySet, sort: Sort, descending: bool, per_page: int, params) -> Page:
    count, exact = smart_count(qs)
    base = {}
    if not sort.keyset:
        return _offset_page(qs, sort, descending, per_page, params, count, exact)

    after = (
        decode_cursor(params.get("after", ""), len(sort.columns)) if params.get("after") else None
    )
    before = (
        decode_cursor(params.get("before", ""), len(sort.columns)) if params.get("before") else None
    )
    try:
        start = max(0, int(params.get("start", 0)))
    except ValueError:
        start = 0
    last = params.get("last") == "1"

    if after is not None:
        rows = list(
            _seek(qs, sort, descending, after, True).order_by(*sort.order_by(descending))[
                : per_page + 1
            ]
        )
        has_more, rows = len(rows) > per_page, rows[:per_page]
        has_prev = True
    elif before is not None:
        rows = list(
            _seek(qs, sort, descending, before, False).order_by(*sort.order_by(not descending))[
                : per_page + 1
            ]
        )
        has_prev, rows = len(rows) > per_page, rows[:per_page]
        rows.reverse()
        has_more = True
        if not has_prev:
            start = 0
    elif last:
        rows = list(qs.order_by(*sort.order_by(not descending))[:per_page])
        rows.reverse()
        has_more = False
        start = max(0, count - len(rows))
        has_prev = start > 0 or len(rows) == per_page
    else:
        rows = list(qs.order_by(*sort.order_by(descending))[: per_page + 1])
        has_more, rows = len(rows) > per_page, rows[:per_page]
        has_prev = False
        start = 0

    page = Page(rows=rows, start=start, count=count, exact=exact, per_page=per_page)
    if exact and rows:
        page.count = max(count, start + len(rows))
    if has_more and rows:
        page.next_params = {
            **base,
            "after": encode_cursor(_row_values(rows[-1], sort)),
            "start": start + len(rows),
        }
    if has_prev and rows:
        page.prev_params = {
            **base,
            "before": encode_cursor(_row_values(rows[0], sort)),
            "start": max(0, start - per_page),
        }
    if has_more:
        page.last_params = {**base, "last": "1"}
    return page


def _offset_page(qs, sort, descending, per_page, params, count, exact) -> Page:
    try:
        number = max(1, int(params.get("page", 1)))
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    rows = list(qs.order_by(*sort.order_by(descending))[start : start + per_page + 1])
    has_more, rows = len(rows) > per_page, rows[:per_page]
    page = Page(rows=rows, start=start, count=count, exact=exact, per_page=per_page)
    if has_more:
        page.next_params = {"page": number + 1}
    if number > 1:
        page.prev_params = {"page": number - 1}
    if has_more:
        page.last_params = {"page": page.page_count}
    return page

"""Pagination that stays fast at millions of rows.

* Keyset ("seek") pagination on every indexed sort: the next page starts after the last row's
  (sort value, id), so a page deep in the list costs the same as the first one.
* Counting: an exact count when the result is small (up to ``EXACT_LIMIT`` rows), otherwise the
  planner's estimate (shown as "about N"), so no request runs COUNT(*) over a million rows.
* The URL's navigation parameters are checked here, in one place each: a cursor
  (``decode_cursor``: a list of exactly the sort's values, each of its column's type) and a
  page number (``parse_page``). One that is not valid never reaches the database: the page
  shows the first page instead, with a ``notice`` that says why.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import QuerySet

EXACT_LIMIT = 10_000
# The largest page number a URL may ask for; its offset (times the page size) stays far
# inside PostgreSQL's bigint OFFSET.
PAGE_MAX = 10**9
# Text values of a cursor: a sort column holds at most this many characters.
CURSOR_TEXT_MAX = 1_000
BIGINT = (-(2**63), 2**63 - 1)
LINK_NOTICE = (
    "This page link is not valid (it was changed, or is out of date); showing the first page."
)


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
    try:
        sql, params = sub.query.sql_with_params()
    except EmptyResultSet:  # a condition Django knows matches nothing
        return 0, True
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


def decode_cursor(text: str, columns: list[models.Field]) -> list | None:
    """The values of a cursor made by ``encode_cursor`` for a sort on ``columns``, or None when
    ``text`` is not one: not base64 JSON, not a list of exactly one value per column, or a
    value that is not of its column's type (an integer column takes a whole number in
    bigint's range, a text column a string without NUL characters)."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(columns):
        return None
    if not all(_fits(column, value) for column, value in zip(columns, values, strict=True)):
        return None
    return values


def _fits(column: models.Field, value) -> bool:
    """Whether ``value`` (from JSON) can stand for a value of ``column`` in a comparison."""
    target = column.target_field if column.is_relation else column
    if isinstance(target, models.IntegerField | models.AutoField):
        return type(value) is int and BIGINT[0] <= value <= BIGINT[1]
    if isinstance(target, models.CharField | models.TextField):
        return isinstance(value, str) and len(value) <= CURSOR_TEXT_MAX and "\x00" not in value
    return False  # keyset sorts use integer and text columns only


def _columns(qs: QuerySet, sort: Sort) -> list[models.Field]:
    return [qs.model._meta.get_field(c) for c in sort.columns]


def parse_page(raw, *, last: int | None = None, deepest: int = PAGE_MAX) -> tuple[int, str]:
    """The page number ``raw`` (a URL value) asks for, and a notice when it is not one that can
    be shown: anything but a whole number from 1 gives page 1; a page past ``last`` (the last
    page, when it is known) gives the last page; past ``deepest``, page ``deepest``."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return 1, ""
    if not (text.isascii() and text.isdigit()) or len(text) > 4_000 or int(text) < 1:
        return 1, f"Page: “{shown(text)}” is not a page number; showing page 1."
    number = int(text)
    named = f"{number:,}" if len(text) <= 15 else shown(text)
    if last is not None and number > last:
        return last, f"Page: there is no page {named}; showing the last page, {last:,}."
    if number > deepest:
        return deepest, (
            f"Page: pages go no deeper than {deepest:,}; showing page {deepest:,} instead of "
            f"{named}."
        )
    return number, ""


def parse_start(raw) -> int:
    """The row offset a keyset link carries for display ("Rows 41 - 60"): 0 if not valid."""
    text = "" if raw is None else str(raw).strip()
    if text.isascii() and text.isdigit() and len(text) <= 15:
        return int(text)
    return 0


def shown(text: str, limit: int = 40) -> str:
    """A URL value as a message quotes it: without NUL characters, and at most ``limit``
    characters long."""
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[:limit] + "…"


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
    notice: str = ""  # why the page shown is not the one the URL asked for

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

    columns = _columns(qs, sort)
    after = decode_cursor(params.get("after", ""), columns) if params.get("after") else None
    before = decode_cursor(params.get("before", ""), columns) if params.get("before") else None
    notice = ""
    if (params.get("after") and after is None) or (params.get("before") and before is None):
        notice = LINK_NOTICE
    start = parse_start(params.get("start"))
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

    if exact and start + len(rows) > count:
        start = max(0, count - len(rows))  # a link's row offset is only a hint
    page = Page(rows=rows, start=start, count=count, exact=exact, per_page=per_page, notice=notice)
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
    # Past the last page of an exact count: the last page. An estimate may be short of the
    # truth, so its pages go on (the offset stays bounded by ``PAGE_MAX``).
    last = max(1, -(-count // per_page)) if exact else None
    number, notice = parse_page(params.get("page"), last=last)
    start = (number - 1) * per_page
    rows = list(qs.order_by(*sort.order_by(descending))[start : start + per_page + 1])
    has_more, rows = len(rows) > per_page, rows[:per_page]
    if not rows and number > 1 and not notice:
        notice = f"Page: there is no page {number:,}; this search ends before it."
    page = Page(rows=rows, start=start, count=count, exact=exact, per_page=per_page, notice=notice)
    if has_more:
        page.next_params = {"page": number + 1}
    if number > 1:
        page.prev_params = {"page": number - 1}
    if has_more:
        page.last_params = {"page": page.page_count}
    return page

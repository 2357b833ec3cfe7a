"""Pagination that stays fast at millions of rows.

* Keyset ("seek") pagination on every indexed sort: the next page starts after the last row's
  (sort value, id), so a page deep in the list costs the same as the first one.
* Counting: the list may hand ``paginate`` its own exact count (the DID Inventory reads its
  counts table). Otherwise ``smart_count``: an exact count when the result is small (up to
  ``EXACT_LIMIT`` rows), else the planner's estimate (shown as "about N"), so no request runs
  COUNT(*) over a million rows; or ``kept_count``: exact up to a bigger limit, then a full
  count kept in the cache and used while the table has changed too little to move it by 10%.
* The URL's navigation parameters are checked here, in one place each: a cursor
  (``decode_cursor``: a list of exactly the sort's values, each of its column's type) and a
  page number (``parse_page``). One that is not valid never reaches the database: the page
  shows the first page instead, with a ``notice`` that says why.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
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


def _count_upto(qs: QuerySet, limit: int | None) -> int | None:
    """COUNT(*) of ``qs``, reading at most ``limit`` + 1 rows (``limit`` None: all of them)."""
    sub = qs.order_by().values("id")
    if limit is not None:
        sub = sub[: limit + 1]
    try:
        sql, params = sub.query.sql_with_params()
    except EmptyResultSet:  # a condition Django knows matches nothing
        return 0
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql}) AS s", params)
        return cur.fetchone()[0]


def smart_count(qs: QuerySet) -> tuple[int, bool]:
    """(count, exact). Exact up to EXACT_LIMIT rows, else PostgreSQL's estimate."""
    n = _count_upto(qs, EXACT_LIMIT)
    if n <= EXACT_LIMIT:
        return n, True
    with connection.cursor() as cur:
        sql, params = qs.order_by().values("id").query.sql_with_params()
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return max(estimate, EXACT_LIMIT + 1), False


# ``kept_count``: how far a kept count may be from the truth, as a share of it.
KEPT_ERROR = 0.10
KEPT_SECONDS = 3600


def table_changes(table: str) -> int:
    """Rows inserted, updated and deleted in ``table`` since the statistics began: every
    committed or rolled-back write moves it (PostgreSQL's cumulative statistics, flushed by
    each session within about a second of its transaction)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT coalesce(pg_stat_get_tuples_inserted(c.oid) + "
            "pg_stat_get_tuples_updated(c.oid) + pg_stat_get_tuples_deleted(c.oid), 0) "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            [table],
        )
        return cur.fetchone()[0]


def kept_count(qs: QuerySet, limit: int) -> tuple[int, bool]:
    """(count, exact) of a search no counts table serves: exact up to ``limit`` rows; beyond,
    the full count, kept in the cache with the table's write counter (``table_changes``) of
    when it was made. It is used while fewer rows have changed since than would move it by
    ``KEPT_ERROR`` (each written row moves a count by at most one), and made again after bulk
    work (or once the cache drops it), so "about N" is never more than 10% off."""
    try:
        sql, params = qs.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return 0, True
    digest = hashlib.sha256(repr((connection.alias, sql, params)).encode()).hexdigest()
    key = f"paging:kept-count:{connection.settings_dict['NAME']}:{digest}"
    changes = table_changes(qs.model._meta.db_table)
    kept = cache.get(key)
    if kept is not None:
        n, at = kept
        drift = changes - at
        # |truth - n| <= drift, and drift <= KEPT_ERROR / (1 + KEPT_ERROR) * n keeps the
        # error within KEPT_ERROR of the truth; past ``limit`` for certain: no count needed.
        if 0 <= drift <= n * KEPT_ERROR / (1 + KEPT_ERROR) and n - drift > limit:
            return n, False
    n = _count_upto(qs, limit)
    if n <= limit:
        return n, True
    n = _count_upto(qs, None)
    cache.set(key, (n, changes), KEPT_SECONDS)
    return n, False


# The planner's scans that walk an index in its order (or the whole table); off inside
# ``matches_first``.
ORDERED_SCANS = ("enable_indexscan", "enable_indexonlyscan", "enable_seqscan")


@contextlib.contextmanager
def matches_first():
    """Run the enclosed queries by collecting the search's matches through its own indexes
    (bitmap scans), then sorting them: for a search known to match few rows. PostgreSQL
    would otherwise walk a sort's index and filter, guessing that matches are spread evenly
    through it; when they sit together at its far end, it reads past most of the table.
    The settings are the transaction's own (``set_config(..., true)``) and put back after."""
    with transaction.atomic(), connection.cursor() as cur:
        names = ", ".join(f"current_setting('{name}')" for name in ORDERED_SCANS)
        cur.execute(f"SELECT {names}")
        before = cur.fetchone()
        cur.execute(
            "SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in ORDERED_SCANS)
        )
        yield
        # After an error the block's rollback undoes the settings with everything else.
        cur.execute(
            "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in ORDERED_SCANS),
            list(before),
        )


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


def paginate(
    qs: QuerySet,
    sort: Sort,
    descending: bool,
    per_page: int,
    params,
    counted: tuple[int, bool] | None = None,
    heads=None,
) -> Page:
    """One page of ``qs``; ``counted``: its (count, exact) when the list knows it (else
    ``smart_count``); ``heads``: callable(sort) -> a ``Split`` when the sort's first column is
    mostly empty (NULL or ""), else None."""
    count, exact = counted if counted is not None else smart_count(qs)
    base = {}
    if not sort.keyset:
        split = heads(sort) if heads is not None and exact else None
        return _offset_page(qs, sort, descending, per_page, params, count, exact, split)

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


@dataclass(frozen=True)
class Split:
    """How many rows of a list have a value in a mostly-empty sort column, for its offset
    pages: ``head`` valued rows (None: not known, counted when a page needs it); ``empty``,
    the condition of the others (NULL, or a text column's ""), which sort after the valued
    ones ascending when ``empty_last`` (NULLs, as PostgreSQL sorts them), else before."""

    head: int | None
    empty: dict
    empty_last: bool = True


def _split_rows(qs, sort, descending, start, size, count, split: Split) -> list:
    """Rows ``start`` to ``start + size`` of ``qs`` sorted on a mostly-empty column: the
    valued rows in the sort's order, the empty ones by id alone (their values are all
    equal), each part through an index that serves it, instead of sorting every match to
    show one page."""
    valued = qs.exclude(**split.empty).order_by(*sort.order_by(descending))
    empty = qs.filter(**split.empty).order_by(*sort.order_by(descending)[1:])
    head = split.head
    parts = [(valued, head), (empty, None if head is None else count - head)]
    if split.empty_last == descending:
        parts.reverse()
    rows = []
    for part, n in parts:
        need = size - len(rows)
        if need <= 0:
            break
        if n is None:  # read it, and count it only when the page lies past it
            got = list(part[start : start + need])
            rows += got
            n = start + len(got) if got or start == 0 else part.count()
        elif start < n:
            rows += list(part[start : min(n, start + need)])
        start = max(0, start - n)
    return rows


def _offset_page(qs, sort, descending, per_page, params, count, exact, split=None) -> Page:
    # Past the last page of an exact count: the last page. An estimate may be short of the
    # truth, so its pages go on (the offset stays bounded by ``PAGE_MAX``).
    last = max(1, -(-count // per_page)) if exact else None
    number, notice = parse_page(params.get("page"), last=last)
    start = (number - 1) * per_page
    if split is not None:
        rows = _split_rows(qs, sort, descending, start, per_page, count, split)
        has_more = start + per_page < count
    else:
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

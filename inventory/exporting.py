"""Export DIDs: the rows a search shows, all pages, as CSV (streamed) or XLSX.

One SQL query, built by the ORM from the list's filterset and sort (so the rows and their
order are the list's), with the joins for names done in SQL. The columns are the reference
system's: ID, Status, Operator, DID, Tag, Notes, Client, Account, Package, After Hold,
Reseller, with statuses written as it writes them (``EXPORT_NAMES``), so that a file exported
here imports back unchanged (``imports.services``).

CSV: PostgreSQL writes the rows itself (``COPY (query) TO STDOUT WITH (FORMAT csv)``) and the
response streams its output in chunks of about 256 KB: memory stays flat at any size, and a
million rows take a few seconds (fetching them into Python and writing them with
``csv.writer`` measured about twice as long). XLSX: the same query through a server-side
cursor in batches, into ``core.xlsx.SheetWriter`` (a streaming writer: flat memory, and a
million rows in a fraction of openpyxl's or xlsxwriter's time).

Cells that a spreadsheet would run as a formula are neutralised by one rule, ``neutralise``,
applied as the last step before a value is written: first the characters that an XLSX cell
cannot hold (C0 control characters other than tab, LF and CR, and U+FFFE / U+FFFF) are
removed, then a value that starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading
apostrophe. Removing first matters: ``"\\x01=1+1"`` comes out as ``"'=1+1"``, never as a bare
``"=1+1"``. A value that already starts with apostrophes before such a character gets one
more, so the import's rule "drop one apostrophe before a formula character" is the exact
inverse. Both formats apply the rule in SQL (``Safe``, tested against ``neutralise`` on the
same cases); XLSX writes every text cell as a string cell, so no cell of it is ever a
formula. Every text column is covered, the names from the other tables included. The DID
is kept exactly as stored when it is digits with an optional ``+`` (the database's
``did_number_digits`` CHECK allows nothing else, and such a value cannot carry a formula),
so ``+14155550100`` stays a usable number; anything else in that column would be
neutralised like the rest (``neutralise_number``).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator, Sequence

from django.db import connection, transaction
from django.db.models import CharField, F, Func, QuerySet

from core.xlsx import SheetWriter

from .choices import EXPORT_NAMES

HEADER = (
    "ID",
    "Status",
    "Operator",
    "DID",
    "Tag",
    "Notes",
    "Client",
    "Account",
    "Package",
    "After Hold",
    "Reseller",
    # After the reference system's columns: what a round trip needs to bring a DID back whole.
    "Hold Days",
    "Hold Until",
)
BATCH_SIZE = 10_000
CHUNK_BYTES = 256 * 1024
XLSX_MAX_ROWS = 1_048_575  # one sheet, less the header row

# The first characters that make a spreadsheet cell a formula.
FORMULA_START = "=+-@\t\r"
# What an XLSX cell cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls except tab, LF
# and CR), and the XML non-characters U+FFFE and U+FFFF, which PostgreSQL stores but an XML
# parser refuses. PostgreSQL text never holds NUL, so the SQL form leaves chr(0) out.
UNWRITABLE = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])) + "\ufffe\uffff"
_UNWRITABLE_RE = re.compile("[" + re.escape(UNWRITABLE) + "]")
_ESCAPED_RE = re.compile("'+[" + re.escape(FORMULA_START) + "]")
_NUMBER_RE = re.compile(r"\+?[0-9]+")


def neutralise(value: str | None) -> str | None:
    """``value`` as an export writes it: no character a cell cannot hold, never a formula.

    The unwritable characters go first and the formula test runs on what is left, so no
    later step can uncover a formula. Empty text is ``None`` (an empty cell).
    """
    if value is None:
        return None
    value = _UNWRITABLE_RE.sub("", value)
    if not value:
        return None
    if value[0] in FORMULA_START or (value[0] == "'" and _ESCAPED_RE.match(value)):
        return "'" + value
    return value


def neutralise_number(value: str | None) -> str | None:
    """A DID as an export writes it: kept exactly as stored when it is ``+`` and digits."""
    if value is not None and _NUMBER_RE.fullmatch(value):
        return value
    return neutralise(value)


def _sql_class(chars: str) -> str:
    """A regex bracket expression for ``chars``, as ARE escapes (no literal to quote), runs
    of consecutive characters as ranges."""
    codes = sorted(ord(c) for c in set(chars) if c != "\0")
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    parts = (
        f"\\u{a:04x}"
        if a == b
        else f"\\u{a:04x}\\u{b:04x}"
        if b == a + 1
        else f"\\u{a:04x}-\\u{b:04x}"
        for a, b in runs
    )
    return "[" + "".join(parts) + "]"


def _sql_escape(expr: str) -> str:
    """The formula test on ``expr``, which holds no unwritable character. ``CASE`` looks at
    the first character, so the regex runs only for values that start with an apostrophe."""
    return (
        f"CASE WHEN left({expr}, 1) IN ({', '.join(f'chr({ord(c)})' for c in FORMULA_START)}) "
        f"THEN '''' || {expr} "
        f"WHEN left({expr}, 1) <> '''' THEN NULLIF({expr}, '') "
        f"WHEN {expr} ~ '^''+{_sql_class(FORMULA_START)}' THEN '''' || {expr} "
        f"ELSE {expr} END"
    )


# The same rule in SQL. One regex test spots the rare value with an unwritable character
# (about 0.1 µs a value; ``translate`` with these characters costs 30 times as much).
_SQL_UNWRITABLE = _sql_class(UNWRITABLE)
_SQL_CLEANED = f"regexp_replace(%(expressions)s, '{_SQL_UNWRITABLE}', '', 'g')"
SQL_SAFE = (
    "CASE WHEN %(expressions)s = '' THEN NULL "
    f"WHEN %(expressions)s ~ '{_SQL_UNWRITABLE}' THEN ({_sql_escape(_SQL_CLEANED)}) "
    f"ELSE ({_sql_escape('%(expressions)s')}) END"
)


class Safe(Func):
    """``neutralise`` in SQL, for the CSV that PostgreSQL writes itself."""

    template = SQL_SAFE
    output_field = CharField()


class SafeNumber(Func):
    """``neutralise_number`` in SQL."""

    template = (
        f"CASE WHEN %(expressions)s ~ '^[+]?[0-9]+$' THEN %(expressions)s ELSE {SQL_SAFE} END"
    )
    output_field = CharField()


class _ISOTime(Func):
    """A timestamp as ISO 8601 text in UTC (``2026-12-31T10:00:00+00:00``), as the import's
    Hold until column reads it back."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
    output_field = CharField()


class _ExportName(Func):
    """A status as the reference system's export writes it (``EXPORT_NAMES``)."""

    output_field = CharField()

    def __init__(self, expression):
        renamed = {s.value: name for s, name in EXPORT_NAMES.items() if s.value != name}
        whens = " ".join(f"WHEN '{value}' THEN '{name}'" for value, name in renamed.items())
        self.template = f"CASE %(expressions)s {whens} ELSE %(expressions)s END"
        super().__init__(expression)


def export_sql(
    queryset: QuerySet, order_by: Sequence[str] = ("id",), *, neutralised: bool = True
) -> tuple[str, list]:
    """SQL (and params) for the export rows of ``queryset`` in ``order_by``'s order.

    ``neutralised`` (both exports) applies ``Safe`` / ``SafeNumber`` to the text columns in
    SQL; without it they come as stored.
    """

    def safe(column, func=Safe):
        return func(F(column)) if neutralised else F(column)

    qs = (
        queryset.order_by(*order_by)
        .annotate(
            x_status=_ExportName(F("status")),
            x_operator=safe("operator__name"),
            x_number=safe("number", SafeNumber),
            x_tag=safe("tag"),
            x_notes=safe("notes"),
            x_client=safe("client__name"),
            x_account=safe("account__name"),
            x_package=safe("subscription__package__name"),
            x_after_hold=_ExportName(F("after_hold_status")),
            x_reseller=safe("reseller__name"),
            x_hold_until=_ISOTime(F("hold_until")),
        )
        .values_list(
            "id",
            "x_status",
            "x_operator",
            "x_number",
            "x_tag",
            "x_notes",
            "x_client",
            "x_account",
            "x_package",
            "x_after_hold",
            "x_reseller",
            "hold_days",
            "x_hold_until",
        )
    )
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _header(bom: bool) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(HEADER)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def export_csv_rows(
    queryset: QuerySet,
    order_by: Sequence[str] = ("id",),
    *,
    bom: bool = True,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[bytes]:
    """The CSV file of ``queryset`` as chunks of bytes: the header, then the rows.

    UTF-8 with a byte-order mark (so that Excel reads non-ASCII names right; the import
    skips it). Runs in a transaction of its own for the length of the stream.
    """
    yield _header(bom)
    sql, params = export_sql(queryset, order_by)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY, and literal SQL for it
        query = raw.mogrify(sql, params)
        parts: list[bytes] = []
        size = 0
        with raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                parts.append(bytes(block))
                size += len(block)
                if size >= chunk_bytes:
                    yield b"".join(parts)
                    parts, size = [], 0
        if parts:
            yield b"".join(parts)


def export_batches(
    queryset: QuerySet,
    order_by: Sequence[str] = ("id",),
    batch_size: int = BATCH_SIZE,
    *,
    neutralised: bool = True,
) -> Iterator[list[tuple]]:
    """The export rows of ``queryset``, ``batch_size`` at a time, from a server-side cursor."""
    sql, params = export_sql(queryset, order_by, neutralised=neutralised)
    # A server-side cursor lives in a transaction; a read-only one costs nothing to hold.
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch_size):
                yield rows
        finally:
            cursor.close()


class ExportTooLarge(Exception):
    pass


def _bounded_count(queryset: QuerySet, limit: int) -> int:
    sql, params = queryset.order_by().values("id")[: limit + 1].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql}) s", params)
        return cur.fetchone()[0]


def write_xlsx(queryset: QuerySet, order_by: Sequence[str] = ("id",), *, progress=None) -> str:
    """Write the XLSX file of ``queryset`` to a temporary file and return its path.

    ``core.xlsx.SheetWriter`` streams the rows into the file (memory stays flat at any size):
    the values come from the same SQL as the CSV's, neutralised there (``Safe``,
    ``SafeNumber``: the rule of ``neutralise``, tested against it), and every text value is
    written as a string cell (``t="inlineStr"``), so no cell is ever a formula and DIDs keep
    leading zeros and a leading +. The ID stays a number. The caller removes the file.
    ``progress(rows)``, if given, is told the rows written after each batch.
    """
    if _bounded_count(queryset, XLSX_MAX_ROWS) > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            f"Format: an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows and this search "
            "shows more; export CSV, or narrow the search."
        )
    fd, path = tempfile.mkstemp(prefix="dids-export-", suffix=".xlsx")
    os.close(fd)
    try:
        with SheetWriter(path, "DIDs") as out:
            out.write_rows([HEADER])
            for rows in export_batches(queryset, order_by):
                out.write_rows(rows)
                if progress is not None:
                    progress(out.rows - 1)
    except BaseException:
        os.unlink(path)
        raise
    return path

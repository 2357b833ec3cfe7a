"""Export DIDs: the rows a search shows, all pages, as CSV (streamed) or XLSX.

One SQL query, built by the ORM from the list's filterset and sort (so the rows and their
order are the list's), with the joins for names done in SQL. The columns are the reference
system's: ID, Status, Operator, DID, Tag, Notes, Client, Account, Package, After Hold,
Reseller, with statuses written as it writes them (``EXPORT_NAMES``), so that a file exported
here imports back unchanged (``inventory.importing``).

CSV: PostgreSQL writes the rows itself (``COPY (query) TO STDOUT WITH (FORMAT csv)``) and the
response streams its output in chunks of about 256 KB: memory stays flat at any size, and a
million rows take a few seconds (fetching them into Python and writing them with
``csv.writer`` measured about twice as long). XLSX: a server-side cursor in batches, into
openpyxl's write-only mode.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or CR) get a leading apostrophe, in SQL, on every text column except the DID itself (digits
with an optional ``+``, always safe, kept exactly as stored). A value that already starts
with apostrophes before such a character gets one more, so the import's rule "drop one
apostrophe before a formula character" is the exact inverse.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence

from django.db import connection, transaction
from django.db.models import CharField, F, Func, QuerySet

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
)
BATCH_SIZE = 10_000
CHUNK_BYTES = 256 * 1024
XLSX_MAX_ROWS = 1_048_575  # one sheet, less the header row

_DANGER = "'=', '+', '-', '@', chr(9), chr(13)"


class _Safe(Func):
    """A text column, neutralised for spreadsheets; empty text as NULL (an empty cell).

    ``CASE`` looks at the first character before it runs the regex, so ordinary values cost
    almost nothing.
    """

    template = (
        f"CASE WHEN left(%(expressions)s, 1) IN ({_DANGER}) THEN '''' || %(expressions)s "
        "WHEN left(%(expressions)s, 1) <> '''' THEN %(expressions)s "
        "WHEN %(expressions)s ~ ('^''+[-=+@' || chr(9) || chr(13) || ']') "
        "THEN '''' || %(expressions)s "
        "ELSE NULLIF(%(expressions)s, '') END"
    )
    output_field = CharField()


class _ExportName(Func):
    """A status as the reference system's export writes it (``EXPORT_NAMES``)."""

    output_field = CharField()

    def __init__(self, expression):
        renamed = {s.value: name for s, name in EXPORT_NAMES.items() if s.value != name}
        whens = " ".join(f"WHEN '{value}' THEN '{name}'" for value, name in renamed.items())
        self.template = f"CASE %(expressions)s {whens} ELSE %(expressions)s END"
        super().__init__(expression)


def export_sql(queryset: QuerySet, order_by: Sequence[str] = ("id",)) -> tuple[str, list]:
    """SQL (and params) for the export rows of ``queryset`` in ``order_by``'s order."""
    qs = (
        queryset.order_by(*order_by)
        .annotate(
            x_status=_ExportName(F("status")),
            x_operator=_Safe(F("operator__name")),
            x_tag=_Safe(F("tag")),
            x_notes=_Safe(F("notes")),
            x_client=_Safe(F("client__name")),
            x_account=_Safe(F("account__name")),
            x_package=_Safe(F("subscription__package__name")),
            x_after_hold=_ExportName(F("after_hold_status")),
            x_reseller=_Safe(F("reseller__name")),
        )
        .values_list(
            "id",
            "x_status",
            "x_operator",
            "number",
            "x_tag",
            "x_notes",
            "x_client",
            "x_account",
            "x_package",
            "x_after_hold",
            "x_reseller",
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
    queryset: QuerySet, order_by: Sequence[str] = ("id",), batch_size: int = BATCH_SIZE
) -> Iterator[list[tuple]]:
    """The export rows of ``queryset``, ``batch_size`` at a time, from a server-side cursor."""
    sql, params = export_sql(queryset, order_by)
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


def write_xlsx(queryset: QuerySet, order_by: Sequence[str] = ("id",)) -> str:
    """Write the XLSX file of ``queryset`` to a temporary file and return its path.

    openpyxl's write-only mode streams rows to disk. DIDs are written as strings, so they
    are text cells: leading zeros and a leading + survive. The caller removes the file.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value):
        # Control characters cannot be stored in an XLSX cell; they are dropped.
        if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    if _bounded_count(queryset, XLSX_MAX_ROWS) > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            f"Format: an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows and this search "
            "shows more; export CSV, or narrow the search."
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("DIDs")
    ws.append(HEADER)
    for rows in export_batches(queryset, order_by):
        for row in rows:
            ws.append([row[0], row[1], clean(row[2]), row[3], *map(clean, row[4:])])
    fd, path = tempfile.mkstemp(prefix="dids-export-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path

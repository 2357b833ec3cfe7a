"""Export DIDs: the rows a search shows, all pages, as CSV (streamed) or XLSX.

One SQL query with the list's joins and order runs through a server-side cursor; rows are
fetched in batches and written batch by batch, so memory stays flat at any size. The
columns are the reference system's: ID, Status, Operator, DID, Tag, Notes, Client, Account,
Package, After Hold, Reseller, with statuses written as it writes them (``EXPORT_NAMES``), so
that a file exported here imports back unchanged (``inventory.importing``).

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
from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Concat

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
XLSX_MAX_ROWS = 1_048_575  # one sheet, less the header row

# Tab and CR as real characters: PostgreSQL reads the pattern as given.
FORMULA_START = "^'*[-=+@\t\r]"


def _safe(path: str):
    """``path`` (a text column) with a leading apostrophe if a spreadsheet would run it."""
    return Case(
        When(**{f"{path}__regex": FORMULA_START}, then=Concat(Value("'"), F(path))),
        default=F(path),
        output_field=CharField(),
    )


def _export_name(path: str):
    return Case(
        *[When(**{path: s.value}, then=Value(name)) for s, name in EXPORT_NAMES.items()],
        default=F(path),
        output_field=CharField(),
    )


def export_sql(queryset: QuerySet, order_by: Sequence[str] = ("id",)) -> tuple[str, list]:
    """SQL (and params) for the export rows of ``queryset`` in ``order_by``'s order."""
    qs = (
        queryset.order_by(*order_by)
        .annotate(
            x_status=_export_name("status"),
            x_operator=_safe("operator__name"),
            x_tag=_safe("tag"),
            x_notes=_safe("notes"),
            x_client=_safe("client__name"),
            x_account=_safe("account__name"),
            x_package=_safe("subscription__package__name"),
            x_after_hold=_export_name("after_hold_status"),
            x_reseller=_safe("reseller__name"),
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
            while True:
                rows = cursor.fetchmany(batch_size)
                if not rows:
                    break
                yield rows
        finally:
            cursor.close()


def export_csv_rows(
    queryset: QuerySet,
    order_by: Sequence[str] = ("id",),
    *,
    batch_size: int = BATCH_SIZE,
    bom: bool = True,
) -> Iterator[bytes]:
    """The CSV file for ``queryset`` in chunks of bytes: header, then one chunk per batch.

    UTF-8 with a byte-order mark (so that Excel reads non-ASCII names right; the import
    ignores it).
    """
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    yield (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
    for rows in export_batches(queryset, order_by, batch_size):
        buf.seek(0)
        buf.truncate()
        writer.writerows(rows)
        yield buf.getvalue().encode("utf-8")


def _bounded_count(queryset: QuerySet, limit: int) -> int:
    sql, params = queryset.order_by().values("id")[: limit + 1].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql}) s", params)
        return cur.fetchone()[0]


class ExportTooLarge(Exception):
    pass


def write_xlsx(queryset: QuerySet, order_by: Sequence[str] = ("id",)) -> str:
    """Write the XLSX file for ``queryset`` to a temporary file and return its path.

    openpyxl's write-only mode streams rows to disk. DIDs are text cells (format "@"), so
    leading zeros and a leading + survive. The caller removes the file.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value):
        # Control characters cannot be stored in an XLSX cell; they are dropped.
        if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    count = _bounded_count(queryset, XLSX_MAX_ROWS)
    if count > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            f"Format: an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows and this search "
            "shows more; export CSV, or narrow the search."
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("DIDs")
    ws.append(HEADER)
    for rows in export_batches(queryset, order_by):
        for row in rows:
            did = WriteOnlyCell(ws, value=row[3])
            did.number_format = "@"
            ws.append([row[0], row[1], clean(row[2]), did, *map(clean, row[4:])])
    fd, path = tempfile.mkstemp(prefix="dids-export-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path

"""Import DIDs from .csv, .xls and .xlsx files: read, map, dry run, apply.

The rows of a file are read once per run and loaded with ``COPY`` into a temporary table;
everything after that is set-based SQL:

* one ``CREATE TEMP TABLE ... AS SELECT`` joins every row to its existing DID, its operator,
  status and reseller, finds repeats within the file, and decides per row: ``create``,
  ``update``, ``unchanged`` or ``refused`` with the reason (the dry run stops here);
* ``INSERT ... SELECT`` creates the new DIDs with an ``import_create`` audit row each, in the
  same statement (the pattern of ``services.create_dids``);
* ``UPDATE ... FROM`` sets changed tags, notes, after-hold statuses, operators and hold days
  with an ``import_edit`` audit row each (the pattern of ``services.update_dids``);
* status changes go through ``lifecycle.set_status``, one call per target status, which
  writes its own audit rows. Import moves only Reserved / In Stock / Archive among each
  other, as the lifecycle table says.

Applying is one transaction: everything or nothing, unless the user chose to apply only the
valid rows. All audit rows of one import share the job's change set.

Row semantics: a DID not in the inventory is created (Reserved, In Stock or Archive only);
an existing DID gets the file's values where the file gives one; a row that says what the DID
already is changes nothing. So a file exported by ``inventory.exporting`` imports back as
all unchanged. Rows are numbered as in the file (a header is row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from audit.services import AUDIT_INSERT_COLUMNS, AUDIT_TABLE, Actor
from config import text
from config.limits import HOLD_DAYS_MAX, NOTES_MAX, TAG_MAX
from jobs.progress import Progress

from . import lifecycle
from .choices import AfterHold, Status, parse_status
from .models import DID

log = logging.getLogger(__name__)

TABLE = DID._meta.db_table

# Step 2's choices for a column, in the reference export's order (+ Hold days).
FIELDS: list[tuple[str, str]] = [
    ("id", "ID"),
    ("status", "Status"),
    ("operator", "Operator"),
    ("did", "DID"),
    ("tag", "Tag"),
    ("notes", "Notes"),
    ("client", "Client"),
    ("account", "Account"),
    ("package", "Package"),
    ("after_hold", "After Hold"),
    ("reseller", "Reseller"),
    ("hold_days", "Hold days"),
]
FIELD_LABELS = dict(FIELDS)
# Fields read into the database; ID and Package are informational (export shows them).
LOADED = ("did", "status", "operator", "tag", "notes", "client", "account", "after_hold")
LOADED += ("reseller", "hold_days")

_HEADER_ALIASES = {
    "id": "id",
    "didid": "id",
    "status": "status",
    "operator": "operator",
    "didoperator": "operator",
    "provider": "operator",
    "did": "did",
    "dids": "did",
    "number": "did",
    "didnumber": "did",
    "phonenumber": "did",
    "tag": "tag",
    "tags": "tag",
    "notes": "notes",
    "note": "notes",
    "client": "client",
    "customer": "client",
    "account": "account",
    "package": "package",
    "afterhold": "after_hold",
    "afterholdstatus": "after_hold",
    "reseller": "reseller",
    "holddays": "hold_days",
}

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PREVIEW_ROWS = 10
MAX_ERRORS = 100
WRITE_BATCH = 100_000  # rows per INSERT / UPDATE statement of a large import (for progress)
SNIFF_BYTES = 64 * 1024
# Spreadsheet formula characters that an export escaped with one leading apostrophe.
_ESCAPED_FORMULA = "^'+[-=+@\t\r]"
_NUMBER_SQL = r"^\+?[0-9]+$"  # and at most 32 characters (a bounded regex is 7x slower)


def background_rows() -> int:
    """Files with more data rows than this run in the background (Celery)."""
    return getattr(settings, "IMPORT_BACKGROUND_ROWS", 20_000)


def max_rows() -> int:
    """The most rows one file may hold (``IMPORT_MAX_ROWS``; a header row besides)."""
    return getattr(settings, "IMPORT_MAX_ROWS", 2_000_000)


def max_columns() -> int:
    """The most columns one file may have (``IMPORT_MAX_COLUMNS``)."""
    return getattr(settings, "IMPORT_MAX_COLUMNS", 50)


def preview_bytes() -> int:
    """How much of a file the upload request reads (``IMPORT_PREVIEW_BYTES``): a CSV's first
    bytes, an .xlsx sheet's first unzipped bytes. A file no larger than this is read whole,
    counted exactly, and may run inline; a larger one runs in the worker."""
    return getattr(settings, "IMPORT_PREVIEW_BYTES", 1024 * 1024)


def import_dir() -> Path:
    return Path(getattr(settings, "IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))


class ImportFileError(Exception):
    """The file, or a choice about it, cannot be used. ``str()`` names the row or field."""


class ImportRefused(Exception):
    """Apply all was asked, but some rows are refused; nothing was written."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(
            f"Nothing was imported: {text.count(report.refused, 'row')} "
            f"{text.is_are(report.refused)} refused. Fix the file, "
            "or apply only the valid rows."
        )


class ImportConflict(Exception):
    """The inventory changed between the check and the writes; nothing was written."""


# --------------------------------------------------------------------------- reading files


def kind_of(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix in (".csv", ".xls", ".xlsx"):
        return suffix[1:]
    raise ImportFileError(f"File: “{name}” is not a .csv, .xls or .xlsx file.")


def _text(value) -> str:
    """A spreadsheet cell as the text a user typed (whole numbers without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _csv_lines(path: Path) -> Iterator[str]:
    """The file's lines as text; undecodable bytes name their line."""
    with open(path, "rb") as f:
        yield from _decoded_lines(f)


def _decoded_lines(raw_lines) -> Iterator[str]:
    """Lines of bytes as text; undecodable bytes or a NUL name their line."""
    for number, raw in enumerate(raw_lines, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 1].hex().upper()
            raise ImportFileError(
                f"File: line {number} is not UTF-8 text (byte 0x{bad} at position "
                f"{exc.start + 1}); save the file as “CSV UTF-8” and upload it again."
            ) from None
        if "\x00" in line:
            raise ImportFileError(
                f"File: line {number} contains a NUL byte; this is not a text file."
            )
        yield line


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a CSV file: csv.Sniffer on its start, else the commonest one."""
    with open(path, "rb") as f:
        sample_bytes = f.read(SNIFF_BYTES)
    if sample_bytes.startswith(b"\xef\xbb\xbf"):
        sample_bytes = sample_bytes[3:]
    sample = sample_bytes.decode("utf-8", errors="ignore")
    if len(sample_bytes) == SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = next((line for line in sample.splitlines() if line.strip()), "")
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _too_many_rows() -> ImportFileError:
    n = max_rows()
    return ImportFileError(
        f"File: more than {n:,} rows; one import may hold at most {n:,} rows. "
        "Split it into smaller files."
    )


def _too_many_columns(number: int) -> ImportFileError:
    n = max_columns()
    return ImportFileError(
        f"File: row {number:,} has more than {n:,} columns; one import may have at most "
        f"{n:,}. Remove the extra columns."
    )


def _bounded(rows) -> Iterator[tuple[int, list[str]]]:
    """``rows`` within the bounds: past ``max_rows()`` rows (a header besides) or with a value
    past ``max_columns()`` columns, ``ImportFileError`` naming the bound. Blank cells past the
    last column are dropped."""
    last = max_rows() + 1
    width = max_columns()
    for number, cells in rows:
        if number > last:
            raise _too_many_rows()
        if len(cells) > width:
            if not _blank(cells[width:]):
                raise _too_many_columns(number)
            cells = cells[:width]
        yield number, cells


def _raw_rows(
    path: Path, kind: str, delimiter: str, *, strict: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file as (row number, cells), blank rows included, within the
    bounds of rows and columns (``_bounded``)."""
    return _bounded(_read_rows(path, kind, delimiter, strict=strict))


def _read_rows(
    path: Path, kind: str, delimiter: str, *, strict: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file as (row number, cells), blank rows included.

    ``strict`` (the upload's check) decodes line by line, so that undecodable bytes or a NUL
    name their line; the runs after it read at full speed.
    """
    if kind == "csv":
        try:
            if strict:
                reader = csv.reader(_csv_lines(path), delimiter=delimiter or ",")
                yield from enumerate(reader, 1)
            else:
                with open(path, encoding="utf-8-sig", newline="") as f:
                    reader = csv.reader(f, delimiter=delimiter or ",")
                    yield from enumerate(reader, 1)
        except UnicodeDecodeError:
            for _line in _csv_lines(path):  # raises, naming the line
                pass
            raise ImportFileError("File: this is not UTF-8 text.") from None
        except csv.Error as exc:
            raise ImportFileError(f"File: row {reader.line_num} cannot be read: {exc}.") from None
    elif kind == "xlsx":
        yield from _xlsx_rows(path)
    elif kind == "xls":
        yield from _xls_rows(path)
    else:
        raise ImportFileError(f"File: unknown kind “{kind}”.")


def _xlsx_archive(path: Path):
    """The workbook's zip archive, once its unzipped size is within
    ``IMPORT_MAX_UNCOMPRESSED_SIZE`` (the sizes its directory declares: unzipping stops there)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            f"File: this is not an Excel .xlsx workbook ({exc.__class__.__name__})."
        ) from None
    total = sum(info.file_size for info in archive.infolist())
    limit = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_SIZE", 2 * 1024**3)
    if total > limit:
        archive.close()
        raise ImportFileError(
            f"File: this workbook is {total / 2**20:,.0f} MB unzipped; the most one import may "
            f"be is {limit / 2**20:,.0f} MB unzipped. Split it into smaller files."
        )
    return archive


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, numbered as in the sheet. openpyxl parses the cells; the rows
    are built here from the cells that hold a value, so that a sheet's declared size (or a
    far-away empty cell) costs nothing, and a value past ``max_columns()`` is refused."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    _xlsx_archive(path).close()  # the size bound, before anything is unzipped
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            f"File: this is not an Excel .xlsx workbook ({exc.__class__.__name__})."
        ) from None
    width = max_columns()
    expected = 1
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        with ws._get_source() as src:
            parser = WorkSheetParser(
                src,
                ws._shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for number, cells in parser.parse():
                while expected < number:  # rows the sheet leaves out are blank
                    yield expected, []
                    expected += 1
                expected = number + 1
                values = {
                    cell["column"]: cell["value"]
                    for cell in cells
                    if cell["value"] is not None and cell["value"] != ""
                }
                last = max(values, default=0)
                if last > width:
                    raise _too_many_columns(number)
                row = [""] * last
                for column, value in values.items():
                    row[column - 1] = _text(value)
                yield number, row
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken sheet: name the row, not a traceback
        raise ImportFileError(
            f"File: row {expected:,} of the sheet cannot be read ({exc.__class__.__name__})."
        ) from None
    finally:
        wb.close()


def _xls_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError, IndexError) as exc:
        raise ImportFileError(
            f"File: this is not an Excel 97-2003 .xls workbook ({exc})."
        ) from None
    try:
        if not book.nsheets:
            return
        sheet = book.sheet_by_index(0)
        for r in range(sheet.nrows):
            cells = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode).isoformat())
                    except (ValueError, OverflowError):
                        cells.append(_text(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append("TRUE" if cell.value else "FALSE")
                elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append("")
                else:
                    cells.append(_text(cell.value))
            yield r + 1, cells
    finally:
        book.release_resources()


def _blank(cells: list[str]) -> bool:
    return all(not cell or cell.isspace() for cell in cells)


def data_rows(
    path: Path, kind: str, delimiter: str, has_header: bool
) -> Iterator[tuple[int, list[str]]]:
    """The file's data rows: blank rows skipped, and the header (first non-blank row)."""
    header_pending = has_header
    for number, cells in _raw_rows(path, kind, delimiter):
        if _blank(cells):
            continue
        if header_pending:
            header_pending = False
            continue
        yield number, cells


def _field_for_header(cell: str) -> str | None:
    key = "".join(ch for ch in cell.lower() if ch.isalnum())
    return _HEADER_ALIASES.get(key)


@dataclass
class FileInfo:
    kind: str
    delimiter: str
    rows: int  # data rows (the header not counted), an estimate for large workbooks
    columns: int
    has_header: bool
    mapping: list[str]
    preview: list[list[str]]  # the first rows, the header (if any) first
    exact: bool = True  # rows counted (a small file), else estimated from its start


def guess_mapping(first: list[str], columns: int) -> tuple[bool, list[str]]:
    """(is the first row a header?, a field or "" per column) from the first row."""
    mapping = [""] * columns
    used: set[str] = set()
    for i, cell in enumerate(first[:columns]):
        name = _field_for_header(cell)
        if name and name not in used:
            mapping[i] = name
            used.add(name)
    if used:
        return True, mapping
    # No header: the first column of numbers is the DID, the first column of statuses Status.
    for i, cell in enumerate(first[:columns]):
        value = cell.strip()
        if "did" not in used and value and value.lstrip("+").isdigit():
            mapping[i] = "did"
            used.add("did")
        elif "status" not in used and parse_status(value) is not None:
            mapping[i] = "status"
            used.add("status")
    return False, mapping


def inspect_file(path: Path, kind: str, delimiter: str = "") -> FileInfo:
    """What the upload request learns of a file, with a bounded read: the first rows (for
    step 2 and the column guess), and the row count: exact for a file of at most
    ``preview_bytes()``, else an estimate (the worker's dry run counts them). Checks that
    it decodes as far as it reads; the worker checks the rest."""
    if kind == "csv" and not delimiter:
        delimiter = sniff_delimiter(path)
    if kind == "csv":
        head, rows, exact = _csv_head(path, delimiter)
    elif kind == "xlsx":
        head, rows, exact = _xlsx_head(path)
    else:
        # .xls: the format bounds a sheet (65,536 rows, 256 columns), read whole by xlrd.
        head, rows, exact = [], 0, True
        for _number, cells in _raw_rows(path, kind, delimiter, strict=True):
            if _blank(cells):
                continue
            rows += 1
            if len(head) <= PREVIEW_ROWS:
                head.append(cells)
    if not head:
        raise ImportFileError("File: the file is empty; it has no rows.")
    columns = min(max_columns(), max(len(r) for r in head))
    has_header, mapping = guess_mapping(head[0], columns)
    if has_header:
        rows -= 1
    preview = [(r + [""] * columns)[:columns] for r in head]
    return FileInfo(kind, delimiter, max(rows, 0), columns, has_header, mapping, preview, exact)


def data_size(path: Path, kind: str) -> int:
    """The bytes a run reads: the file's, or an .xlsx's unzipped."""
    try:
        if kind == "xlsx":
            with _xlsx_archive(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        return path.stat().st_size
    except (ImportFileError, OSError):
        return 0


def _csv_head(path: Path, delimiter: str) -> tuple[list[list[str]], int, bool]:
    """A CSV file's first rows and its row count, from at most ``preview_bytes()``."""
    budget = preview_bytes()
    with open(path, "rb") as f:
        data = f.read(budget + 1)
    exact = len(data) <= budget
    if not exact:
        data = data[:budget]
        end = data.rfind(b"\n")
        if end < 0:
            raise ImportFileError(
                f"File: the first line is longer than {budget / 2**20:,.1f} MB; this is not a "
                "file of DIDs."
            )
        data = data[: end + 1]
    head: list[list[str]] = []
    rows = 0
    reader = csv.reader(_decoded_lines(io.BytesIO(data)), delimiter=delimiter or ",")
    try:
        for _number, cells in _bounded(enumerate(reader, 1)):
            if _blank(cells):
                continue
            rows += 1
            if len(head) <= PREVIEW_ROWS:
                head.append(cells)
    except csv.Error as exc:
        if exact:
            raise ImportFileError(f"File: row {reader.line_num} cannot be read: {exc}.") from None
        # Cut inside a quoted value: the rows before it are the preview.
    if not exact:
        size = path.stat().st_size
        rows = max(rows, round(rows * size / max(len(data), 1)))
    return head, rows, exact


_XLSX_STRINGS_MAX = 100_000  # shared strings the preview may look up


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _CountingReader:
    """A file-like reader that counts the bytes read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.count += len(data)
        return data


class _SharedStrings:
    """An .xlsx's shared strings, read only as far as the preview's cells need."""

    def __init__(self, archive, name: str | None):
        self._items: list[str] = []
        self._events = None
        self._src = None
        if name is not None:
            from xml.etree.ElementTree import iterparse

            self._src = _CountingReader(archive.open(name))
            self._events = iterparse(self._src, events=("end",))

    def __getitem__(self, index: int) -> str:
        if index >= _XLSX_STRINGS_MAX:
            raise ImportFileError(
                "File: the first rows of this workbook use text stored far into the file; "
                "save it again with Excel, or as CSV, and upload it again."
            )
        while len(self._items) <= index and self._events is not None:
            if self._src.count > 4 * preview_bytes():
                raise ImportFileError(
                    "File: the first rows of this workbook use text stored far into the file; "
                    "save it again with Excel, or as CSV, and upload it again."
                )
            try:
                _event, el = next(self._events)
            except StopIteration:
                self._events = None
                break
            if _local(el.tag) == "si":
                parts = []
                for child in el:
                    name = _local(child.tag)
                    if name == "t":
                        parts.append(child.text or "")
                    elif name == "r":
                        parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
                self._items.append("".join(parts))
                el.clear()
        return self._items[index] if index < len(self._items) else ""


def _xlsx_sheet_names(archive) -> tuple[str, str | None]:
    """The first sheet's and the shared strings' names in the archive."""
    from xml.etree.ElementTree import fromstring

    names = {info.filename: info for info in archive.infolist()}

    def small(name):
        if names[name].file_size > 1024 * 1024:
            raise ImportFileError("File: this is not an Excel .xlsx workbook (workbook.xml).")
        return fromstring(archive.read(name))

    sheet = None
    try:
        book = small("xl/workbook.xml")
        rels = small("xl/_rels/workbook.xml.rels")
        first = next(el for el in book.iter() if _local(el.tag) == "sheet")
        rid = next(v for k, v in first.attrib.items() if _local(k) == "id")
        target = next(el.get("Target") for el in rels if el.get("Id") == rid)
        sheet = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    except (KeyError, StopIteration, ValueError, SyntaxError, TypeError):
        sheet = None
    if sheet not in names:
        sheet = next((n for n in names if n.startswith("xl/worksheets/")), None)
    if sheet is None:
        raise ImportFileError("File: this is not an Excel .xlsx workbook (no sheet).")
    strings = next((n for n in names if n.lower() == "xl/sharedstrings.xml"), None)
    return sheet, strings


def _column_index(ref: str | None) -> int | None:
    letters = "".join(ch for ch in (ref or "") if ch.isalpha()).upper()
    if not letters:
        return None
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def _xlsx_cell(cell, strings: _SharedStrings) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(el.text or "" for el in cell.iter() if _local(el.tag) == "t")
    value = next((el.text for el in cell if _local(el.tag) == "v"), None)
    if value is None:
        return ""
    if kind == "s":
        try:
            return strings[int(value)]
        except ValueError:
            return ""
    if kind == "b":
        return "TRUE" if value.strip() in ("1", "true") else "FALSE"
    if kind in ("str", "e", "d"):
        return value
    try:
        return _text(int(value))
    except ValueError:
        try:
            return _text(float(value))
        except ValueError:
            return value


def _xlsx_head(path: Path) -> tuple[list[list[str]], int, bool]:
    """An .xlsx's first rows and its row count, reading at most about ``preview_bytes()`` of
    the unzipped sheet (and only the shared strings those rows use)."""
    from xml.etree.ElementTree import ParseError, iterparse

    budget = preview_bytes()
    width = max_columns()
    head: list[list[str]] = []
    rows = 0
    exact = True
    with _xlsx_archive(path) as archive:
        sheet, strings_name = _xlsx_sheet_names(archive)
        strings = _SharedStrings(archive, strings_name)
        size = archive.getinfo(sheet).file_size
        src = _CountingReader(archive.open(sheet))
        try:
            for _event, el in iterparse(src, events=("end",)):
                if src.count > budget and (head or src.count > 4 * budget):
                    exact = False
                    break
                name = _local(el.tag)
                if name == "sheetData":
                    break
                if name != "row":
                    continue
                if len(head) <= PREVIEW_ROWS:
                    cells: dict[int, str] = {}
                    column = 0
                    for cell in el:
                        if _local(cell.tag) != "c":
                            continue
                        column = _column_index(cell.get("r")) or column + 1
                        text = _xlsx_cell(cell, strings)
                        if text:
                            if column > width:
                                raise _too_many_columns(int(el.get("r") or rows + 1))
                            cells[column] = text
                    row = [""] * max(cells, default=0)
                    for i, text in cells.items():
                        row[i - 1] = text
                    if not _blank(row):
                        head.append(row)
                        rows += 1
                elif any(
                    _local(v.tag) in ("v", "is") and (v.text or len(v)) for cell in el for v in cell
                ):
                    rows += 1
                el.clear()
        except ParseError as exc:
            raise ImportFileError(f"File: this is not an Excel .xlsx workbook ({exc}).") from None
    if not head and not exact:
        raise ImportFileError(
            f"File: no rows in the first {budget / 2**20:,.1f} MB of the sheet; this is not a "
            "file of DIDs."
        )
    if not exact:
        rows = max(rows, round(rows * size / max(src.count, 1)))
    return head, rows, exact


def preview(path: Path, kind: str, delimiter: str) -> list[list[str]]:
    """The header and first rows (a bounded read)."""
    return inspect_file(path, kind, delimiter).preview


def check_mapping(mapping: list[str]) -> list[str]:
    """Errors of a column mapping, each naming the field."""
    errors = []
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(mapping):
        if name:
            if name not in FIELD_LABELS:
                errors.append(f"Column {i + 1}: “{name}” is not a field.")
            positions.setdefault(name, []).append(i + 1)
    if "did" not in positions:
        errors.append("DID: map one column to DID; it is how rows find their DID.")
    for name, cols in positions.items():
        if len(cols) > 1 and name in FIELD_LABELS:
            listed = ", ".join(map(str, cols))
            errors.append(f"{FIELD_LABELS[name]}: chosen for columns {listed}; choose one.")
    return errors


# --------------------------------------------------------------------------- the plan


@dataclass
class ImportSpec:
    """Everything a run needs: the file, how to read it, the defaults, and who imports."""

    path: Path
    kind: str
    delimiter: str
    has_header: bool
    mapping: list[str]
    reseller_id: int | None  # the user's reseller; None for a platform admin
    operator_id: int | None = None  # default operator
    status: str = Status.RESERVED
    after_hold: str = AfterHold.RESERVED
    tag: str = ""
    notes: str = ""
    label: str = "Import"
    job_id: int | None = None
    rows_hint: int = 0  # the upload's row count, for progress


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    status_changes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [{"row": 7, "text": "DID: ..."}]
    applied: bool = False
    seconds: float = 0.0

    def counts(self) -> dict:
        data = asdict(self)
        data.pop("errors")
        return data


def refusal_text(error: dict) -> str:
    """ "Row 7, DID: “12a” is not a number" or "Row 15: DID 123 is assigned; ..." """
    text = error["text"]
    head = text.split(":", 1)[0]
    if head in FIELD_LABELS.values() or head == "File":
        return f"Row {error['row']}, {text}"
    return f"Row {error['row']}: {text}"


def _noop_progress(done=None, stage=None, force=False):
    return None


def _label_sql(expr: str) -> str:
    whens = " ".join(f"WHEN '{s.value}' THEN '{s.label}'" for s in Status)
    return f"(CASE {expr} {whens} END)"


def _unescape_sql(expr: str) -> str:
    """``expr`` without the apostrophe an export put before a formula character. The cheap
    first-character test spares the regex for almost every value."""
    return (
        f"(CASE WHEN left({expr}, 1) <> '''' THEN {expr} "
        f"WHEN {expr} ~ %(escaped)s THEN substr({expr}, 2) ELSE {expr} END)"
    )


def _show(expr: str) -> str:
    """A user's value inside a message, cut short."""
    return (
        f"'“' || (CASE WHEN char_length({expr}) > 40 THEN left({expr}, 40) || '…' "
        f"ELSE {expr} END) || '”'"
    )


class _Run:
    """One load of the file and its checks, inside the caller's transaction."""

    def __init__(self, spec: ImportSpec, progress: Callable = _noop_progress):
        self.spec = spec
        self.progress = progress
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # psycopg's own cursor, for COPY

    def sql(self, sql: str, params=None):
        self.raw.execute(sql, params)
        return self.raw

    # ----------------------------------------------------------------- load
    def has(self, name: str) -> bool:
        return name in self.spec.mapping

    def load(self) -> None:
        """Load the file's data rows into ``imp_src`` (rn, and the loaded fields as text)."""
        self.sql("SET LOCAL work_mem = '128MB'")
        # Left over from an earlier run in this session (the tests' one transaction).
        self.sql("DROP TABLE IF EXISTS imp_raw CASCADE")  # with the view imp_src, if any
        self.sql("DROP TABLE IF EXISTS imp_src, imp_status, imp_after, imp_res, imp_opn, imp_rows")
        self.progress(0, "Reading the file", force=True)
        if not (self.spec.kind == "csv" and self._load_csv_in_postgres()):
            self._load_rows()
        self.progress(stage="Checking the rows", force=True)

    def _load_rows(self) -> int:
        """Read the rows in Python (any file) and COPY them in, row by row."""
        spec = self.spec
        self.sql(
            """
            CREATE TEMP TABLE imp_src (
                rn integer, did text COLLATE "C", status text, operator text, tag text,
                notes text, client text, account text, after_hold text, reseller text,
                hold_days text
            ) ON COMMIT DROP
            """
        )
        columns = [(name, spec.mapping.index(name)) for name in LOADED if self.has(name)]
        names = ", ".join(name for name, _ in columns)
        indexes = [i for _, i in columns]
        count = 0
        rows = data_rows(spec.path, spec.kind, spec.delimiter, spec.has_header)
        try:
            with self.raw.copy(f"COPY imp_src (rn, {names}) FROM STDIN") as copy:
                write = copy.write_row
                for number, cells in rows:
                    n = len(cells)
                    write((number, *[cells[i] if i < n else None for i in indexes]))
                    count += 1
                    if not count % 20_000:
                        self.progress(count)
        except psycopg.DataError:
            # A NUL in a cell (PostgreSQL text cannot hold one): name the line if a CSV's.
            if spec.kind == "csv":
                for _line in _csv_lines(spec.path):
                    pass
            raise ImportFileError(
                "File: a cell contains a NUL byte or another character text cannot hold."
            ) from None
        self.sql("ANALYZE imp_src")
        return count

    def _load_csv_in_postgres(self) -> bool:
        """PostgreSQL parses a well-formed CSV itself (several times faster than Python).

        Returns False, having changed nothing, when the file is not one it reads the way
        Python's csv module would (blank or ragged rows, odd bytes): the caller then reads
        it in Python, which names the row of any problem.
        """
        spec = self.spec
        columns = len(spec.mapping)
        with open(spec.path, "rb") as f:
            first = f.readline(65536)
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if not first.strip() or not 0 < columns <= max_columns():
            return False  # a leading blank line: leave it to the Python reader
        cols = [f"c{i}" for i in range(columns)]
        quoted = {",": "','", ";": "';'", "\t": "E'\\t'", "|": "'|'"}
        delimiter = quoted.get(spec.delimiter or ",")
        if delimiter is None:
            return False
        size = max(spec.path.stat().st_size, 1)
        total = spec.rows_hint
        sent = 0
        try:
            with transaction.atomic():
                self.sql(
                    f"""
                    CREATE TEMP TABLE imp_raw (
                        {", ".join(f"{c} text" for c in cols)},
                        rn integer GENERATED ALWAYS AS IDENTITY
                            (START WITH {2 if spec.has_header else 1})
                    ) ON COMMIT DROP
                    """
                )
                with (
                    open(spec.path, "rb") as f,
                    self.raw.copy(
                        f"COPY imp_raw ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, "
                        f"DELIMITER {delimiter}, HEADER {'true' if spec.has_header else 'false'}, "
                        f"FORCE_NOT_NULL ({', '.join(cols)}))"
                    ) as copy,
                ):
                    head = f.read(3)
                    if head != b"\xef\xbb\xbf":
                        copy.write(head)
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
                        sent += len(chunk)
                        self.progress(total * sent // size if total else None)
        except (DatabaseError, psycopg.Error):
            return False
        if self.sql("SELECT count(*) FROM imp_raw").fetchone()[0] > max_rows() + 1:
            raise _too_many_rows()
        fields = []
        for name in LOADED:
            if self.has(name):
                column = f"c{spec.mapping.index(name)}"
                fields.append(
                    f'{column} COLLATE "C" AS did' if name == "did" else f"{column} AS {name}"
                )
            else:
                fields.append(f"NULL::text AS {name}")
        # Rows whose cells are all blank are skipped, as the Python reader skips them.
        self.sql(
            "DELETE FROM imp_raw WHERE btrim(c0, ' ' || chr(9) || chr(10) || chr(13)) = '' "
            f"AND concat({', '.join(cols)}) !~ '[^[:space:]]'"
        )
        self.sql(f"CREATE TEMP VIEW imp_src AS SELECT rn, {', '.join(fields)} FROM imp_raw")
        self.sql("ANALYZE imp_raw")
        return True

    # ----------------------------------------------------------------- look-ups
    def _value_map(self, table: str, column: str, parse: Callable[[str], str | None]):
        self.sql(f"CREATE TEMP TABLE {table} (raw text, value text) ON COMMIT DROP")
        raws = [
            r[0]
            for r in self.sql(
                f"SELECT DISTINCT {column} FROM imp_src WHERE {column} IS NOT NULL"
            ).fetchall()
        ]
        values = [parse(r) for r in raws]
        self.sql(
            f"INSERT INTO {table} SELECT * FROM unnest(%s::text[], %s::text[])", [raws, values]
        )

    def lookups(self):
        spec = self.spec

        def status(raw):
            s = parse_status(raw)
            return s.value if s is not None else None

        def after_hold(raw):
            s = parse_status(raw)
            return s.value if s is not None and s.value in AfterHold.values else None

        if self.has("status"):
            self._value_map("imp_status", "status", status)
        if self.has("after_hold"):
            self._value_map("imp_after", "after_hold", after_hold)
        params = {"escaped": _ESCAPED_FORMULA, "user_res": spec.reseller_id}
        res_name = _unescape_sql("btrim(raw)")
        if self.has("reseller"):
            self._resellers(res_name, params)
        if self.has("operator"):
            self._operators(params)
        for table, column in [
            ("imp_status", "status"),
            ("imp_after", "after_hold"),
            ("imp_res", "reseller"),
            ("imp_opn", "operator"),
        ]:
            if self.has(column):
                self.sql(f"ANALYZE {table}")

    def _resellers(self, res_name: str, params: dict):
        self.sql(
            f"""
            CREATE TEMP TABLE imp_res ON COMMIT DROP AS
            SELECT k.raw, (SELECT r.id FROM accounts_reseller r
                           WHERE lower(r.name) = lower({res_name})
                             AND (%(user_res)s::bigint IS NULL OR r.id = %(user_res)s)
                           ORDER BY (r.name = {res_name}) DESC, r.id LIMIT 1) AS reseller_id
            FROM (SELECT DISTINCT reseller AS raw FROM imp_src
                  WHERE NULLIF(btrim(reseller), '') IS NOT NULL) k
            """,
            params,
        )

    def _operators(self, params: dict):
        op_name = _unescape_sql("btrim(operator)")

        def pick(col):
            return f"""CASE
                WHEN count(*) FILTER (WHERE exact) = 1 THEN min({col}) FILTER (WHERE exact)
                WHEN count(*) FILTER (WHERE exact) = 0 AND count(*) = 1 THEN min({col}) END"""

        # Operators by name: per reseller (res_key), and across all resellers (res_key 0) for
        # a platform admin's rows that name no reseller. op_id is NULL when ambiguous.
        self.sql(
            f"""
            CREATE TEMP TABLE imp_opn ON COMMIT DROP AS
            WITH k AS (
                SELECT DISTINCT {op_name} AS op_name FROM imp_src
                WHERE NULLIF(btrim(operator), '') IS NOT NULL
            ), m AS (
                SELECT k.op_name, o.id, o.reseller_id, (o.name = k.op_name) AS exact
                FROM k JOIN operators_operator o ON lower(o.name) = lower(k.op_name)
                WHERE %(user_res)s::bigint IS NULL OR o.reseller_id = %(user_res)s
            )
            SELECT op_name, reseller_id AS res_key, {pick("id")} AS op_id,
                   min(reseller_id) AS op_res, count(*) AS n
            FROM m GROUP BY 1, 2
            UNION ALL
            SELECT op_name, 0, {pick("id")}, {pick("reseller_id")}, count(*)
            FROM m WHERE %(user_res)s::bigint IS NULL GROUP BY 1
            """,
            params,
        )

    # ----------------------------------------------------------------- decide
    def decide(self):
        """One row per file row with its decision. Three nested selects compute the inputs,
        the derived values and the verdict; ``OFFSET 0`` keeps PostgreSQL from inlining them
        into each other, so every expression runs once per row, not once per mention."""
        spec = self.spec
        params = {
            "escaped": _ESCAPED_FORMULA,
            "number": _NUMBER_SQL,
            "user_res": spec.reseller_id,
            "def_op": spec.operator_id,
            "def_status": Status(spec.status).value,
            "def_ah": AfterHold(spec.after_hold).value,
            "def_tag": spec.tag,
            "def_notes": spec.notes,
            "hold_days_max": HOLD_DAYS_MAX,
            "tag_max": TAG_MAX,
            "notes_max": NOTES_MAX,
            # The lifecycle's table decides; the dry run only explains it row by row.
            "initial": [s.value for s in lifecycle.INITIAL_STATUSES],
            "unassigned": [s.value for s in lifecycle.sources(lifecycle.Trigger.SET_STATUS)],
            "assigned": [
                s.value for s in Status if s not in lifecycle.sources(lifecycle.Trigger.SET_STATUS)
            ],
        }

        def text(col, trim=True):
            inner = f"btrim(f.{col})" if trim else f"f.{col}"
            return _unescape_sql(inner)

        # Only the mapped columns are read and joined; the others are NULL ("not given").
        # ``cells``: each cell trimmed and unescaped once; ``inputs``: those and the look-ups.
        has = self.has
        cells = ["COALESCE(btrim(f.did), '') AS number"]
        inputs, joins = [], []

        def cell(name, expr, alias):
            cells.append(f"{expr if has(name) else 'NULL::text'} AS {alias}")

        cell("status", "f.status", "status_key")
        cell("status", "NULLIF(btrim(f.status), '')", "status_raw")
        cell("after_hold", "f.after_hold", "ah_key")
        cell("after_hold", "NULLIF(btrim(f.after_hold), '')", "ah_raw")
        cell("reseller", "f.reseller", "res_key")
        cell("reseller", f"NULLIF({text('reseller')}, '')", "res_name")
        cell("operator", f"NULLIF({text('operator')}, '')", "op_name")
        cell("tag", text("tag"), "tag_in")
        cell("notes", text("notes", trim=False), "notes_in")
        cell("client", text("client"), "client_in")
        cell("account", text("account"), "account_in")
        cell("hold_days", "NULLIF(btrim(f.hold_days), '')", "hd_raw")
        inputs.append("src.status_raw, src.ah_raw, src.res_name, src.op_name")
        inputs.append("src.tag_in, src.notes_in, src.client_in, src.account_in, src.hd_raw")
        if has("status"):
            inputs.append("st.value AS status_new")
            joins.append("LEFT JOIN imp_status st ON st.raw = src.status_key")
        else:
            inputs.append("NULL::text AS status_new")
        if has("after_hold"):
            inputs.append("ah.value AS ah_new")
            joins.append("LEFT JOIN imp_after ah ON ah.raw = src.ah_key")
        else:
            inputs.append("NULL::text AS ah_new")
        if has("reseller"):
            inputs.append("rs.reseller_id AS res_id")
            joins.append("LEFT JOIN imp_res rs ON rs.raw = src.res_key")
            res_id = "rs.reseller_id"
        else:
            inputs.append("NULL::bigint AS res_id")
            res_id = "NULL::bigint"
        if has("operator"):
            inputs.append("opn.op_id, opn.op_res, opn.n AS op_n")
            joins.append(
                f"""LEFT JOIN imp_opn opn ON opn.op_name = src.op_name
                AND opn.res_key = COALESCE(d.reseller_id, {res_id}, %(user_res)s::bigint, 0)"""
            )
        else:
            inputs.append("NULL::bigint AS op_id, NULL::bigint AS op_res, NULL::bigint AS op_n")
        if has("client") or has("account"):
            current_client = "c.name AS cur_client, a.name AS cur_account,"
            joins.append("LEFT JOIN clients_client c ON c.id = d.client_id")
            joins.append("LEFT JOIN clients_account a ON a.id = d.account_id")
        else:
            current_client = "NULL::text AS cur_client, NULL::text AS cur_account,"
        cells = ",\n                ".join(cells)
        inputs = "".join(f"{part},\n              " for part in inputs)
        joins = "\n            ".join(joins)

        cur_label = _label_sql("cur_status")
        move_label = _label_sql("move_to")
        new_label = _label_sql("status_t")
        number = "number"
        self.sql(
            f"""
            CREATE TEMP TABLE imp_rows ON COMMIT DROP AS
            SELECT rn, number, did_id, err, move_to, fields_change, status_t, op_final,
              op_res_final, ah_final, tag_final, notes_final, hd_val, set_tag, set_notes,
              set_ah, set_op, set_hd, tag_in, notes_in, ah_new, op_id,
              CASE WHEN z.err IS NOT NULL THEN 'refused'
                   WHEN z.did_id IS NULL THEN 'create'
                   WHEN z.move_to IS NOT NULL OR z.fields_change THEN 'update'
                   ELSE 'unchanged' END AS action
            FROM (
            SELECT y.*,
              CASE
                WHEN {number} = '' THEN 'DID: the cell is empty'
                WHEN {number} !~ %(number)s OR char_length({number}) > 32
                  THEN 'DID: ' || {_show(number)} || ' is not a number'
                WHEN first_rn IS NOT NULL
                  THEN 'DID ' || {number} || ' is already on row ' || first_rn
                WHEN did_id IS NOT NULL AND %(user_res)s::bigint IS NOT NULL
                     AND cur_res <> %(user_res)s
                  THEN 'DID: not available'
                WHEN status_raw IS NOT NULL AND status_new IS NULL
                  THEN 'Status: ' || {_show("status_raw")} || ' is not a status'
                WHEN ah_raw IS NOT NULL AND ah_new IS NULL
                  THEN 'After Hold: ' || {_show("ah_raw")}
                       || ' is not Reserved, In Stock or Archive'
                WHEN hd_raw IS NOT NULL AND hd_raw !~ '^[0-9]+$'
                  THEN 'Hold days: ' || {_show("hd_raw")} || ' is not a whole number of days'
                WHEN hd_raw IS NOT NULL AND hd_raw::numeric > %(hold_days_max)s
                  THEN 'Hold days: ' || {_show("hd_raw")}
                       || ' is more than {HOLD_DAYS_MAX:,} days'
                WHEN char_length(tag_in) > %(tag_max)s
                  THEN 'Tag: longer than {TAG_MAX:,} characters'
                WHEN char_length(notes_in) > %(notes_max)s
                  THEN 'Notes: longer than {NOTES_MAX:,} characters'
                WHEN res_name IS NOT NULL AND res_id IS NULL
                  THEN 'Reseller: ' || {_show("res_name")} ||
                       CASE WHEN %(user_res)s::bigint IS NULL THEN ' is not a reseller'
                            ELSE ' is not your reseller' END
                WHEN did_id IS NOT NULL AND res_id IS NOT NULL AND res_id <> cur_res
                  THEN 'Reseller: DID ' || {number} || ' belongs to another reseller; '
                       || 'import does not move DIDs between resellers'
                WHEN op_name IS NOT NULL AND op_id IS NULL AND op_n > 1
                  THEN 'Operator: ' || {_show("op_name")}
                       || ' is the name of several operators; add a Reseller column'
                WHEN op_name IS NOT NULL AND op_id IS NULL
                  THEN 'Operator: no operator ' || {_show("op_name")} ||
                       CASE WHEN did_id IS NOT NULL THEN ' of the DID''s reseller'
                            WHEN %(user_res)s::bigint IS NOT NULL THEN ' of your reseller'
                            WHEN res_name IS NOT NULL THEN ' of reseller ' || {_show("res_name")}
                            ELSE '' END
                WHEN did_id IS NULL AND op_final IS NULL
                  THEN 'Operator: the cell is empty and no default operator was chosen'
                WHEN did_id IS NULL AND res_id IS NOT NULL AND op_res_final <> res_id
                  THEN 'Operator: the default operator is not of reseller '
                       || {_show("res_name")}
                WHEN did_id IS NULL AND NOT status_t = ANY(%(initial)s)
                  THEN 'DID ' || {number} || ' is new; new DIDs start Reserved, In Stock '
                       || 'or Archive, not ' || {new_label}
                WHEN did_id IS NULL AND (client_in <> '' OR account_in <> '')
                  THEN 'Client: DID ' || {number} || ' is new; import does not assign '
                       || 'DIDs to clients'
                WHEN move_to IS NOT NULL AND cur_status = ANY(%(assigned)s)
                     AND move_to = ANY(%(unassigned)s)
                  THEN 'DID ' || {number} || ' is assigned (' || {cur_label}
                       || '); cannot become ' || {move_label}
                WHEN move_to = ANY(%(assigned)s) AND cur_status = ANY(%(unassigned)s)
                  THEN 'DID ' || {number} || ' is ' || {cur_label} || '; import cannot make '
                       || 'it ' || {move_label} || ': assign it to an account instead'
                WHEN move_to = ANY(%(assigned)s)
                  THEN 'DID ' || {number} || ' is ' || {cur_label} || '; import cannot make '
                       || 'it ' || {move_label} || ': use Mass Edit'
                WHEN did_id IS NOT NULL AND cur_status = ANY(%(assigned)s)
                     AND client_in <> '' AND client_in <> cur_client
                  THEN 'Client: DID ' || {number} || ' is assigned to ' || {_show("cur_client")}
                       || ', not ' || {_show("client_in")} || '; import does not reassign DIDs'
                WHEN did_id IS NOT NULL AND cur_status = ANY(%(assigned)s)
                     AND account_in <> '' AND account_in <> cur_account
                  THEN 'Account: DID ' || {number} || ' is assigned to account '
                       || {_show("cur_account")} || ', not ' || {_show("account_in")}
                       || '; import does not reassign DIDs'
                WHEN did_id IS NOT NULL AND cur_status = ANY(%(unassigned)s)
                     AND (client_in <> '' OR account_in <> '')
                  THEN 'Client: DID ' || {number} || ' is ' || {cur_label}
                       || '; import does not assign DIDs to clients'
              END AS err,
              (set_tag OR set_notes OR set_ah OR set_op OR set_hd) AS fields_change
            FROM (
            SELECT x.*,
              COALESCE(status_new, %(def_status)s) AS status_t,
              CASE WHEN op_name IS NOT NULL THEN op_id ELSE %(def_op)s::bigint END AS op_final,
              CASE WHEN op_name IS NOT NULL THEN op_res
                   ELSE (SELECT reseller_id FROM operators_operator WHERE id = %(def_op)s)
              END AS op_res_final,
              COALESCE(NULLIF(tag_in, ''), %(def_tag)s) AS tag_final,
              COALESCE(NULLIF(notes_in, ''), %(def_notes)s) AS notes_final,
              COALESCE(ah_new, %(def_ah)s) AS ah_final,
              CASE WHEN hd_raw ~ '^[0-9]+$' THEN CASE WHEN hd_raw::numeric <= %(hold_days_max)s
                   THEN hd_raw::numeric::integer END END AS hd_val,
              CASE WHEN status_new <> cur_status THEN status_new END AS move_to,
              (did_id IS NOT NULL AND tag_in IS NOT NULL
               AND tag_in IS DISTINCT FROM cur_tag) AS set_tag,
              (did_id IS NOT NULL AND notes_in IS NOT NULL
               AND notes_in IS DISTINCT FROM cur_notes) AS set_notes,
              (did_id IS NOT NULL AND ah_new IS NOT NULL
               AND ah_new IS DISTINCT FROM cur_ah) AS set_ah,
              (did_id IS NOT NULL AND op_id IS NOT NULL
               AND op_id IS DISTINCT FROM cur_op) AS set_op,
              COALESCE(CASE WHEN did_id IS NOT NULL AND hd_raw ~ '^[0-9]+$'
                            THEN CASE WHEN hd_raw::numeric <= %(hold_days_max)s
                                 THEN hd_raw::numeric::integer IS DISTINCT FROM cur_hd END
                       END, FALSE) AS set_hd
            FROM (
            SELECT src.rn, src.number,
              {inputs}
              d.id AS did_id, d.status AS cur_status, d.reseller_id AS cur_res,
              d.operator_id AS cur_op, d.tag AS cur_tag, d.notes AS cur_notes,
              d.after_hold_status AS cur_ah, d.hold_days AS cur_hd,
              {current_client}
              dup.first_rn
            FROM (
                SELECT f.rn,
                {cells}
                FROM imp_src f OFFSET 0
            ) src
            LEFT JOIN {TABLE} d ON d.number = src.number
            {joins}
            LEFT JOIN (
                SELECT btrim(did) AS number, min(rn) AS first_rn FROM imp_src
                GROUP BY 1 HAVING count(*) > 1
            ) dup ON dup.number = src.number AND dup.first_rn <> src.rn
            OFFSET 0) x
            OFFSET 0) y
            OFFSET 0) z
            """,
            params,
        )

    # ----------------------------------------------------------------- report
    def report(self) -> ImportReport:
        rep = ImportReport()
        counts = self.sql(
            "SELECT action, move_to, count(*) FROM imp_rows GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        for action, move_to, n in counts:
            rep.rows += n
            if action == "create":
                rep.created += n
            elif action == "update":
                rep.updated += n
                if move_to:
                    rep.status_changes[Status(move_to).label] = n
            elif action == "unchanged":
                rep.unchanged += n
            else:
                rep.refused += n
        if rep.refused:
            rep.errors = [
                {"row": rn, "text": err}
                for rn, err in self.sql(
                    "SELECT rn, err FROM imp_rows WHERE action = 'refused' ORDER BY rn LIMIT %s",
                    [MAX_ERRORS],
                ).fetchall()
            ]
        return rep

    # ----------------------------------------------------------------- apply
    def _batches(self, action: str, extra: str = "") -> list[tuple[int, int]]:
        """Row-number ranges of about WRITE_BATCH rows with ``action``, for writes in steps
        whose progress a user can watch (one range for small imports)."""
        lo, hi, n = self.sql(
            f"SELECT min(rn), max(rn), count(*) FROM imp_rows WHERE action = %s {extra}",
            [action],
        ).fetchone()
        if not n:
            return []
        if n <= WRITE_BATCH:
            return [(lo, hi)]
        if not self._indexed:
            self.sql("CREATE INDEX ON imp_rows (rn)")
            self._indexed = True
        step = max(WRITE_BATCH * (hi - lo + 1) // n, 1)
        return [(start, min(start + step - 1, hi)) for start in range(lo, hi + 1, step)]

    def _step(self, done: int, of: int, stage: str | None = None):
        total = self.spec.rows_hint
        self.progress(total * done // of if total and of else None, stage, force=stage is not None)

    def write(self, rep: ImportReport, actor: Actor):
        who = [actor.change_set, actor.user_id, actor.username, self.spec.label]
        self._indexed = False
        self._step(0, rep.created, "Creating DIDs")
        done = 0
        for lo, hi in self._batches("create"):
            try:
                cur = self.sql(
                    f"""
                    WITH ins AS (
                        INSERT INTO {TABLE} (number, status, operator_id, reseller_id,
                            after_hold_status, tag, notes, hold_days, created_at, updated_at)
                        SELECT number, status_t, op_final, op_res_final, ah_final, tag_final,
                               notes_final, hd_val, now(), now()
                        FROM imp_rows WHERE action = 'create' AND rn BETWEEN %s AND %s
                        ORDER BY rn
                        RETURNING id, number, reseller_id, status, operator_id
                    )
                    INSERT INTO {AUDIT_TABLE} ({AUDIT_INSERT_COLUMNS})
                    SELECT %s, now(), %s, %s, 'import_create', 'did', id, number, reseller_id,
                           NULL, jsonb_build_object('status', status, 'operator_id', operator_id),
                           %s
                    FROM ins
                    """,
                    [lo, hi, *who],
                )
            except psycopg.errors.UniqueViolation:
                raise ImportConflict(
                    "Nothing was imported: some of the new DIDs were created by someone else "
                    "while the import ran. Run it again."
                ) from None
            done += cur.rowcount
            self._step(done, rep.created)
        changes = [
            ("tag", "set_tag", "tag_in"),
            ("notes", "set_notes", "notes_in"),
            ("after_hold_status", "set_ah", "ah_new"),
            ("operator_id", "set_op", "op_id"),
            ("hold_days", "set_hd", "hd_val"),
        ]
        sets = ", ".join(
            f"{col} = CASE WHEN i.{flag} THEN i.{value} ELSE t.{col} END"
            for col, flag, value in changes
        )

        def snapshot(alias):
            return " || ".join(
                f"(CASE WHEN i.{flag} THEN jsonb_build_object('{col}', {alias}.{col}) "
                "ELSE '{}'::jsonb END)"
                for col, flag, _ in changes
            )

        batches = self._batches("update", "AND fields_change")
        expected = self.sql(
            "SELECT count(*) FROM imp_rows WHERE action = 'update' AND fields_change"
        ).fetchone()[0]
        self._step(0, expected, "Updating DIDs")
        done = 0
        for lo, hi in batches:
            cur = self.sql(
                f"""
                WITH changed AS (
                    UPDATE {TABLE} AS t SET {sets}, updated_at = clock_timestamp()
                    FROM imp_rows i, {TABLE} o
                    WHERE i.action = 'update' AND i.fields_change AND i.rn BETWEEN %s AND %s
                      AND t.id = i.did_id AND o.id = i.did_id
                    RETURNING t.id, t.number, t.reseller_id,
                              {snapshot("o")} AS before, {snapshot("t")} AS after
                )
                INSERT INTO {AUDIT_TABLE} ({AUDIT_INSERT_COLUMNS})
                SELECT %s, now(), %s, %s, 'import_edit', 'did', id, number, reseller_id,
                       before, after, %s
                FROM changed
                """,
                [lo, hi, *who],
            )
            done += cur.rowcount
            self._step(done, expected)
        if done != expected:
            raise ImportConflict(
                f"Nothing was imported: {expected - done:,} of the DIDs to update were deleted "
                "while the import ran. Run it again."
            )
        self.progress(None, "Changing statuses", force=True)
        for target in (Status.RESERVED, Status.IN_STOCK, Status.ARCHIVE):
            if not rep.status_changes.get(target.label):
                continue
            selection = DID.objects.filter(
                pk__in=RawSQL(
                    "SELECT did_id FROM imp_rows WHERE action = 'update' AND move_to = %s",
                    [target.value],
                )
            )
            lifecycle.set_status(selection, target, actor=actor, strict=True)

    def cleanup(self):
        """Drop the temporary tables now (a commit would; a test's savepoint would not)."""
        self.sql("DROP TABLE IF EXISTS imp_raw CASCADE")
        self.sql("DROP TABLE IF EXISTS imp_src, imp_status, imp_after, imp_res, imp_opn, imp_rows")


# --------------------------------------------------------------------------- services


def _checked(spec: ImportSpec, progress: Callable) -> tuple[_Run, ImportReport]:
    from operators.models import Operator

    errors = check_mapping(spec.mapping)
    if errors:
        raise ImportFileError(" ".join(errors))
    if spec.operator_id is not None:
        ops = Operator.objects.filter(pk=spec.operator_id)
        if spec.reseller_id is not None:
            ops = ops.filter(reseller_id=spec.reseller_id)
        if not ops.exists():
            raise ImportFileError("Operator: the default operator is not one of yours any more.")
    if not spec.path.is_file():
        raise ImportFileError("File: the uploaded file is gone; upload it again.")
    for label, value, limit in (("Tag", spec.tag, TAG_MAX), ("Notes", spec.notes, NOTES_MAX)):
        if value and len(value) > limit:
            raise ImportFileError(f"{label}: the default is longer than {limit:,} characters.")
    run = _Run(spec, progress)
    run.load()
    run.lookups()
    run.decide()
    return run, run.report()


def check(spec: ImportSpec, *, progress: Callable = _noop_progress) -> ImportReport:
    """The dry run: what applying would create, update, leave unchanged and refuse."""
    started = time.monotonic()
    with transaction.atomic():
        _run, rep = _checked(spec, progress)
        transaction.set_rollback(True)
    rep.seconds = round(time.monotonic() - started, 3)
    return rep


def apply(
    spec: ImportSpec,
    *,
    actor: Actor,
    only_valid: bool = False,
    progress: Callable = _noop_progress,
    on_applied: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Check the file again and write it, in one transaction.

    All rows (refused with ``ImportRefused`` if any row is refused), or ``only_valid`` rows.
    ``on_applied`` runs inside the transaction, so a job's record commits with its data.
    """
    started = time.monotonic()
    with transaction.atomic():
        run, rep = _checked(spec, progress)
        if rep.refused and not only_valid:
            raise ImportRefused(rep)
        run.write(rep, actor)
        run.cleanup()
        rep.applied = True
        rep.seconds = round(time.monotonic() - started, 3)
        if on_applied is not None:
            on_applied(rep)
    return rep


# --------------------------------------------------------------------------- jobs


def store_upload(uploaded) -> Path:
    """Save an uploaded file under the import folder; return its path."""
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(uploaded.name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return path


def spec_for(job) -> ImportSpec:
    d = job.defaults or {}
    return ImportSpec(
        path=Path(job.file_path),
        kind=job.kind,
        delimiter=job.delimiter,
        has_header=job.has_header,
        mapping=list(job.mapping),
        reseller_id=job.reseller_id,
        operator_id=d.get("operator"),
        status=d.get("status") or Status.RESERVED,
        after_hold=d.get("after_hold") or AfterHold.RESERVED,
        tag=d.get("tag") or "",
        notes=d.get("notes") or "",
        label=f"Import #{job.pk}: {job.original_name}"[:200],
        job_id=job.pk,
        rows_hint=job.rows_total,
    )


def _actor_for(job) -> Actor:
    user = job.user
    if user is None:
        return Actor(username="import", change_set=job.change_set)
    return Actor(user_id=user.pk, username=user.get_username(), change_set=job.change_set)


def _remove_file(job):
    try:
        Path(job.file_path).unlink(missing_ok=True)
    except OSError:
        log.warning("Could not remove the import file %s", job.file_path)


def run_job(job_id: int, mode: str, *, background: bool = False) -> None:
    """Run a job's dry run (``mode`` "check") or apply ("all" or "valid"). Never raises: the
    job records the outcome for the page to show. ``background`` (the Celery task) also
    writes the progress as it goes, for the page's progress bar.

    In the background it is safe to run again (the task is acks-late): a task for a job
    that has moved on does nothing, and one whose worker died runs the job again. The
    outcome is written only while this attempt holds the job (``jobs.services.claim``); an
    apply's outcome commits with its rows, so a job failed as stale meanwhile changes nothing.
    """
    from imports.models import ImportJob
    from jobs import services as jobs

    running = ImportJob.Status.RUNNING
    if background:
        if not ImportJob.objects.filter(pk=job_id, status=running, mode=mode).exists():
            return
        claimed = jobs.claim(ImportJob, job_id, waiting=[])
        if claimed is None:
            return
        mine = {"pk": job_id, "status": running, "backend_pid": claimed.backend_pid}
        ImportJob.objects.filter(**mine).update(message="", rows_done=0, stage="Starting")
    else:
        ImportJob.objects.filter(pk=job_id).update(
            status=running, mode=mode, message="", rows_done=0, stage="Starting"
        )
        mine = {"pk": job_id, "status": running}
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    spec = spec_for(job)

    progress = Progress(
        ImportJob._meta.db_table, job.pk if background else None, done_column="rows_done"
    )

    def record(**fields):
        fields.update(stage="", backend_pid=None, backend_start=None)
        if not ImportJob.objects.filter(**mine).update(**fields):
            raise jobs.JobLost()

    def finish(rep: ImportReport, status: str, message: str = ""):
        fields = {
            "status": status,
            "counts": rep.counts(),
            "errors": rep.errors,
            "rows_total": rep.rows,
            "rows_done": rep.rows,
            "message": message,
        }
        if status == ImportJob.Status.DONE:
            fields["finished_at"] = timezone.now()
        record(**fields)

    def fail(message: str):
        record(status=ImportJob.Status.FAILED, message=message)
        _remove_file(job)

    try:
        try:
            if mode == "check":
                rep = check(spec, progress=progress)
                finish(rep, ImportJob.Status.DRY_RUN)
            else:
                apply(
                    spec,
                    actor=_actor_for(job),
                    only_valid=mode == "valid",
                    progress=progress,
                    on_applied=lambda rep: finish(rep, ImportJob.Status.DONE),
                )
                _remove_file(job)
        except jobs.JobLost:
            raise
        except ImportRefused as exc:
            finish(exc.report, ImportJob.Status.DRY_RUN, str(exc))
        except (ImportConflict, lifecycle.LifecycleError) as exc:
            record(
                status=ImportJob.Status.DRY_RUN if job.counts else ImportJob.Status.MAPPED,
                message=f"{exc} Nothing was imported." if "Nothing" not in str(exc) else str(exc),
            )
        except ImportFileError as exc:
            fail(str(exc))
        except Exception as exc:
            # Unexpected: the traceback goes to the log, the user gets a plain outcome.
            log.exception("Import job %s failed", job_id)
            fail(f"The import failed and nothing was imported ({exc.__class__.__name__}).")
    except jobs.JobLost:
        log.warning("Import job %s: another attempt or the stale check took it over", job_id)
    except DatabaseError:
        log.exception("Import job %s: could not record its outcome", job_id)
    finally:
        progress.close()


def import_csv_for_benchmark(path, *, operator, actor: Actor) -> dict:
    """Dry run + apply of a CSV file (header ``DID,Status,Tag`` or the export's header),
    with ``operator`` as the default operator; returns the counts and the seconds of each."""
    path = Path(path)
    info = inspect_file(path, "csv")
    spec = ImportSpec(
        path=path,
        kind="csv",
        delimiter=info.delimiter,
        has_header=info.has_header,
        mapping=info.mapping,
        reseller_id=operator.reseller_id,
        operator_id=operator.pk,
        status=Status.IN_STOCK,
        after_hold=AfterHold.IN_STOCK,
        label=f"Import: {path.name}",
    )
    started = time.monotonic()
    dry = check(spec)
    checked = time.monotonic()
    rep = apply(spec, actor=actor, only_valid=True)
    done = time.monotonic()
    counts = rep.counts()
    counts.update(
        dry_run=dry.counts(),
        dry_run_seconds=round(checked - started, 3),
        apply_seconds=round(done - checked, 3),
        seconds=round(done - started, 3),
    )
    return counts

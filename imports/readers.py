"""Reading an import's file: .csv, .xls and .xlsx rows as (row number, cells).

Every reader stays within the bounds of one import (``max_rows()`` rows, ``max_columns()``
columns, ``IMPORT_MAX_UNCOMPRESSED_SIZE`` for a workbook) and names the row of a problem in
an ``ImportFileError``. The bounded read of the upload request is ``imports.preview``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import xlrd
from django.conf import settings
from openpyxl.worksheet._reader import WorkSheetParser

from .errors import ImportFileError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_BYTES = 64 * 1024


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


# --------------------------------------------------------------------------- text encodings

# The encodings a user may choose for a CSV that is not UTF-8 (step 1), with their names.
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252 (cp1252, Excel's “CSV” on Windows)",
    "latin-1": "Latin-1 (ISO-8859-1)",
    "utf-16": "UTF-16",
}
# PostgreSQL's names of them, for COPY (UTF-16 is read in Python).
PG_ENCODINGS = {"utf-8": "UTF8", "cp1252": "WIN1252", "latin-1": "LATIN1"}


def is_utf8(encoding: str) -> bool:
    return encoding in ("", "utf-8")


def decoded_text(data: bytes, encoding: str, *, final: bool = True) -> str:
    """``data`` as text in ``encoding``; a byte it cannot hold is an ``ImportFileError``
    naming its line and the encodings to choose from."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(data, final=final)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"File: line {line:,} is not {ENCODINGS.get(encoding, encoding)} text (byte "
            f"0x{data[exc.start : exc.start + 1].hex().upper()}); choose the file's encoding "
            "in step 1, or save it as “CSV UTF-8”."
        ) from None


def detect_encoding(path: Path, chosen: str = "") -> str:
    """A CSV's encoding: the user's choice, else UTF-8 (with or without a byte order mark)
    or UTF-16 by its byte order mark, else Windows-1252 (Excel's “CSV” on Windows) when
    the file's start reads as that; else ``ImportFileError`` asking the user to choose."""
    with open(path, "rb") as f:
        sample = f.read(preview_bytes())
    if chosen:
        if chosen not in ENCODINGS:
            raise ImportFileError(f"Encoding: “{chosen}” is not one of the encodings offered.")
        if chosen == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            return "utf-8"
        decoded_text(sample, chosen, final=False)  # names the line of a bad byte
        return chosen
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and "\x00" not in text:
        return "cp1252"
    raise ImportFileError(
        "File: this is not UTF-8 text; choose its encoding in step 1 (Windows-1252, "
        "Latin-1 or UTF-16), or save it as “CSV UTF-8”."
    )


# --------------------------------------------------------------------------- reading files


def kind_of(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix in (".csv", ".xls", ".xlsx"):
        return suffix[1:]
    raise ImportFileError(f"File: “{name}” is not a .csv, .xls or .xlsx file.")


def cell_text(value) -> str:
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


def csv_lines(path: Path) -> Iterator[str]:
    """The file's lines as text; undecodable bytes name their line."""
    with open(path, "rb") as f:
        yield from decoded_lines(f)


def decoded_lines(raw_lines) -> Iterator[str]:
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


def sniff_delimiter(path: Path, encoding: str = "") -> str:
    """The delimiter of a CSV file: csv.Sniffer on its start, else the commonest one."""
    with open(path, "rb") as f:
        sample_bytes = f.read(SNIFF_BYTES)
    if sample_bytes.startswith(b"\xef\xbb\xbf"):
        sample_bytes = sample_bytes[3:]
    sample = sample_bytes.decode(encoding or "utf-8", errors="ignore").lstrip("\ufeff")
    if len(sample_bytes) == SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = next((line for line in sample.splitlines() if line.strip()), "")
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def too_many_rows() -> ImportFileError:
    n = max_rows()
    return ImportFileError(
        f"File: more than {n:,} rows; one import may hold at most {n:,} rows. "
        "Split it into smaller files."
    )


def too_many_columns(number: int) -> ImportFileError:
    n = max_columns()
    return ImportFileError(
        f"File: row {number:,} has more than {n:,} columns; one import may have at most "
        f"{n:,}. Remove the extra columns."
    )


def bounded(rows) -> Iterator[tuple[int, list[str]]]:
    """``rows`` within the bounds: past ``max_rows()`` rows (a header besides) or with a value
    past ``max_columns()`` columns, ``ImportFileError`` naming the bound. Blank cells past the
    last column are dropped."""
    last = max_rows() + 1
    width = max_columns()
    for number, cells in rows:
        if number > last:
            raise too_many_rows()
        if len(cells) > width:
            if not blank(cells[width:]):
                raise too_many_columns(number)
            cells = cells[:width]
        yield number, cells


def raw_rows(
    path: Path, kind: str, delimiter: str, *, strict: bool = False, encoding: str = ""
) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file as (row number, cells), blank rows included, within the
    bounds of rows and columns (``bounded``) and of time (``timed``)."""
    return timed(bounded(read_rows(path, kind, delimiter, strict=strict, encoding=encoding)))


def timed(rows) -> Iterator[tuple[int, list[str]]]:
    """``rows`` until ``IMPORT_MAX_READ_SECONDS``; then ``ImportFileError`` naming the row
    reached (a file that takes longer to read is not a file of DIDs one import may hold)."""
    limit = getattr(settings, "IMPORT_MAX_READ_SECONDS", 600)
    deadline = time.monotonic() + limit
    for n, row in enumerate(rows):
        if not n % 1024 and time.monotonic() > deadline:
            raise ImportFileError(
                f"File: reading stopped at row {row[0]:,} after {limit:,} seconds; the file is "
                "too large or too slow to read. Split it, or save it as CSV."
            )
        yield row


def read_rows(
    path: Path, kind: str, delimiter: str, *, strict: bool = False, encoding: str = ""
) -> Iterator[tuple[int, list[str]]]:
    """Every record of the file as (row number, cells), blank rows included.

    ``strict`` (the upload's check) decodes line by line, so that undecodable bytes or a NUL
    name their line; the runs after it read at full speed.
    """
    if kind == "csv" and not is_utf8(encoding):
        try:
            with open(path, encoding=encoding, newline="") as f:
                reader = csv.reader(f, delimiter=delimiter or ",")
                yield from enumerate(reader, 1)
        except UnicodeDecodeError:
            raise ImportFileError(
                f"File: row {reader.line_num + 1:,} is not {ENCODINGS[encoding]} text; choose "
                "the file's encoding in step 1, or save it as “CSV UTF-8”."
            ) from None
        except csv.Error as exc:
            raise ImportFileError(f"File: row {reader.line_num} cannot be read: {exc}.") from None
    elif kind == "csv":
        try:
            if strict:
                reader = csv.reader(csv_lines(path), delimiter=delimiter or ",")
                yield from enumerate(reader, 1)
            else:
                with open(path, encoding="utf-8-sig", newline="") as f:
                    reader = csv.reader(f, delimiter=delimiter or ",")
                    yield from enumerate(reader, 1)
        except UnicodeDecodeError:
            for _line in csv_lines(path):  # raises, naming the line
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


def xlsx_archive(path: Path):
    """The workbook's zip archive, once its unzipped size is within
    ``IMPORT_MAX_UNCOMPRESSED_SIZE`` (the sizes its directory declares: unzipping stops there)."""
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
    try:
        refuse_doctype(archive)
    except ImportFileError:
        archive.close()
        raise
    return archive


def refuse_doctype(archive) -> None:
    """``ImportFileError`` if an XML part of the workbook starts with a document type
    declaration: Excel never writes one, and its entities are how a few bytes of XML
    expand to gigabytes ("billion laughs"). Only each part's first bytes are unzipped."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(info) as part:
                head = part.read(4096)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ImportFileError(
                f"File: this is not an Excel .xlsx workbook ({exc.__class__.__name__} in "
                f"{info.filename})."
            ) from None
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise ImportFileError(
                f"File: this is not an Excel .xlsx workbook: {info.filename} declares XML "
                "entities (a DOCTYPE), which Excel never writes. Save the file again from "
                "the spreadsheet, or as CSV."
            )


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, numbered as in the sheet. openpyxl parses the cells; the rows
    are built here from the cells that hold a value, so that a sheet's declared size (or a
    far-away empty cell) costs nothing, and a value past ``max_columns()`` is refused."""
    xlsx_archive(path).close()  # the size bound, before anything is unzipped
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any broken workbook: a message, not a traceback
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
                    raise too_many_columns(number)
                row = [""] * last
                for column, value in values.items():
                    row[column - 1] = cell_text(value)
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
                        cells.append(cell_text(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append("TRUE" if cell.value else "FALSE")
                elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append("")
                else:
                    cells.append(cell_text(cell.value))
            yield r + 1, cells
    finally:
        book.release_resources()


def blank(cells: list[str]) -> bool:
    return all(not cell or cell.isspace() for cell in cells)


def data_rows(
    path: Path, kind: str, delimiter: str, has_header: bool, encoding: str = ""
) -> Iterator[tuple[int, list[str]]]:
    """The file's data rows: blank rows skipped, and the header (first non-blank row)."""
    header_pending = has_header
    for number, cells in raw_rows(path, kind, delimiter, encoding=encoding):
        if blank(cells):
            continue
        if header_pending:
            header_pending = False
            continue
        yield number, cells


def data_size(path: Path, kind: str) -> int:
    """The bytes a run reads: the file's, or an .xlsx's unzipped."""
    try:
        if kind == "xlsx":
            with xlsx_archive(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        return path.stat().st_size
    except (ImportFileError, OSError):
        return 0

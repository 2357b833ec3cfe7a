"""The upload request's bounded read of a file: its first rows (for step 2 and the column
guess) and its row count, exact for a small file and estimated for a large one. The worker's
dry run reads, counts and checks every row (``imports.readers``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError, fromstring, iterparse

from inventory.choices import parse_status

from . import readers
from .errors import ImportFileError
from .readers import max_columns, preview_bytes
from .spec import field_for_header

PREVIEW_ROWS = 10


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
    encoding: str = ""  # a CSV's text encoding ("": UTF-8)
    width: int = 0  # the first row's cells: a row with more (a CSV's: or fewer) is ragged


def guess_mapping(first: list[str], columns: int) -> tuple[bool, list[str]]:
    """(is the first row a header?, a field or "" per column) from the first row."""
    mapping = [""] * columns
    used: set[str] = set()
    for i, cell in enumerate(first[:columns]):
        name = field_for_header(cell)
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


def inspect_file(path: Path, kind: str, delimiter: str = "", encoding: str = "") -> FileInfo:
    """What the upload request learns of a file, with a bounded read: the first rows (for
    step 2 and the column guess), and the row count: exact for a file of at most
    ``preview_bytes()``, else an estimate (the worker's dry run counts them). Checks that
    it decodes as far as it reads; the worker checks the rest."""
    if kind == "csv":
        encoding = readers.detect_encoding(path, encoding)
    if kind == "csv" and not delimiter:
        delimiter = readers.sniff_delimiter(path, encoding)
    if kind == "csv":
        head, rows, exact = _csv_head(path, delimiter, encoding)
    elif kind == "xlsx":
        head, rows, exact = _xlsx_head(path)
    else:
        # .xls: the format bounds a sheet (65,536 rows, 256 columns), read whole by xlrd.
        head, rows, exact = [], 0, True
        for _number, cells in readers.raw_rows(path, kind, delimiter, strict=True):
            if readers.blank(cells):
                continue
            rows += 1
            if len(head) <= PREVIEW_ROWS:
                head.append(cells)
    if not head:
        raise ImportFileError("File: the file is empty; it has no rows.")
    if not exact and rows > 1.5 * readers.max_rows():
        # Far past the bound by its start alone (a sheet that inflates to millions of rows):
        # refused now, not after a worker has read millions of rows.
        raise ImportFileError(
            f"File: about {rows:,} rows by its first {preview_bytes() / 2**20:,.1f} MB; one "
            f"import may hold at most {readers.max_rows():,} rows. Split it into smaller files."
        )
    width = len(head[0])
    columns = min(max_columns(), max(len(r) for r in head))
    has_header, mapping = guess_mapping(head[0], columns)
    if has_header:
        rows -= 1
    preview = [(r + [""] * columns)[:columns] for r in head]
    return FileInfo(
        kind,
        delimiter,
        max(rows, 0),
        columns,
        has_header,
        mapping,
        preview,
        exact,
        encoding if kind == "csv" else "",
        width,
    )


def _csv_head(path: Path, delimiter: str, encoding: str = "") -> tuple[list[list[str]], int, bool]:
    """A CSV file's first rows and its row count, from at most ``preview_bytes()``."""
    budget = preview_bytes()
    with open(path, "rb") as f:
        data = f.read(budget + 1)
    exact = len(data) <= budget
    if not readers.is_utf8(encoding):
        lines = readers.decoded_text(data[:budget], encoding, final=exact).splitlines(True)
        if not exact:
            lines = lines[:-1]  # the last line may be cut
        reader = csv.reader(lines, delimiter=delimiter or ",")
        return _csv_count(path, reader, exact, len(data))
    if not exact:
        data = data[:budget]
        end = data.rfind(b"\n")
        if end < 0:
            raise ImportFileError(
                f"File: the first line is longer than {budget / 2**20:,.1f} MB; this is not a "
                "file of DIDs."
            )
        data = data[: end + 1]
    reader = csv.reader(readers.decoded_lines(io.BytesIO(data)), delimiter=delimiter or ",")
    return _csv_count(path, reader, exact, len(data))


def _csv_count(path: Path, reader, exact: bool, read: int) -> tuple[list[list[str]], int, bool]:
    """The first rows of ``reader`` and its row count (estimated from the ``read`` bytes
    of the file when it was not read whole)."""
    head: list[list[str]] = []
    rows = 0
    try:
        for _number, cells in readers.bounded(enumerate(reader, 1)):
            if readers.blank(cells):
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
        rows = max(rows, round(rows * size / max(read, 1)))
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
        return readers.cell_text(int(value))
    except ValueError:
        try:
            return readers.cell_text(float(value))
        except ValueError:
            return value


def _xlsx_head(path: Path) -> tuple[list[list[str]], int, bool]:
    """An .xlsx's first rows and its row count, reading at most about ``preview_bytes()`` of
    the unzipped sheet (and only the shared strings those rows use)."""
    budget = preview_bytes()
    width = max_columns()
    head: list[list[str]] = []
    rows = 0
    exact = True
    with readers.xlsx_archive(path) as archive:
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
                                raise readers.too_many_columns(int(el.get("r") or rows + 1))
                            cells[column] = text
                    row = [""] * max(cells, default=0)
                    for i, text in cells.items():
                        row[i - 1] = text
                    if not readers.blank(row):
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

"""A streaming XLSX writer: one sheet of numbers and text, written row by row into the
zip file, so memory stays flat at any size.

Why not a library: at 1,000,000 rows of the DID export (11 columns), measured side by side
on the same machine, openpyxl's write-only mode and xlsxwriter's ``constant_memory`` mode
both spend most of their time building each cell's XML through several Python calls per
cell; this writer formats a whole row with one f-string per cell and compresses it at zlib
level 1 (the figures are in the commit that made it, and in the README). What it writes is
the smallest package every spreadsheet opens: content types, the package and workbook
relationships, a workbook with one sheet, a one-style stylesheet, and the sheet.

Every text value is an inline string cell (``t="inlineStr"``): the file holds no formula
cell at all, whatever a text looks like. Integers are number cells; ``None`` is an empty
cell. Characters XML cannot hold (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are
left out; the caller's own rule (``inventory.exporting.neutralise``) has removed them already.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence

MAX_ROWS = 1_048_576  # a sheet's rows, the header included
MAX_COLUMNS = 26  # columns A..Z: enough for one export, and their letters are one each

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

PARTS = {
    "[Content_Types].xml": (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# A text that needs more than copying: a character to escape or leave out, or white space at
# either end (kept only with xml:space="preserve"). One search per text; most need none.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|^\\s|\\s$")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _special_text(value: str) -> str:
    value = _ILLEGAL.sub("", value).translate(_ESCAPES)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


class TooManyRows(ValueError):
    pass


class SheetWriter:
    """Write one sheet named ``sheet`` to the XLSX file ``path``:

        with SheetWriter(path, "DIDs") as out:
            out.write_rows([("ID", "DID"), (1, "+14155550100")])

    ``close`` (or leaving the ``with``) finishes the file; on an error the file is left
    unfinished and the caller removes it."""

    def __init__(self, path, sheet: str, *, compresslevel: int = 1):
        self.rows = 0
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        name = sheet.translate(_ESCAPES).replace('"', "&quot;")
        for part, xml in PARTS.items():
            self._zip.writestr(part, xml)
        self._zip.writestr(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())

    def write_rows(self, rows: Iterable[Sequence[int | str | None]]) -> None:
        parts: list[str] = []
        n = self.rows
        special = _SPECIAL.search
        for row in rows:
            n += 1
            if n > MAX_ROWS:
                raise TooManyRows(f"A sheet holds at most {MAX_ROWS:,} rows.")
            if len(row) > MAX_COLUMNS:
                raise ValueError(f"A row of at most {MAX_COLUMNS} columns.")
            cells = []
            for col, value in zip(_LETTERS, row, strict=False):
                if value is None or value == "":
                    continue
                kind = type(value)
                if kind is int:
                    cells.append(f'<c r="{col}{n}"><v>{value}</v></c>')
                    continue
                if kind is not str:
                    value = str(value)
                if special(value):
                    cells.append(f'<c r="{col}{n}" t="inlineStr">{_special_text(value)}</c>')
                else:
                    cells.append(f'<c r="{col}{n}" t="inlineStr"><is><t>{value}</t></is></c>')
            parts.append(f'<row r="{n}">{"".join(cells)}</row>')
        self.rows = n
        if parts:
            self._sheet.write("".join(parts).encode())

    def close(self) -> None:
        if self._sheet is not None:
            self._sheet.write(b"</sheetData></worksheet>")
            self._sheet.close()
            self._sheet = None
            self._zip.close()

    def abort(self) -> None:
        """Stop without finishing the file (the caller removes it)."""
        if self._sheet is not None:
            self._sheet.close()
            self._sheet = None
        self._zip.close()

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

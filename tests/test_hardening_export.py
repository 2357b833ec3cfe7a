"""Issue 7, item 3: no export cell is ever a live formula, whatever the column and whatever
characters come before the formula, in CSV and XLSX alike (one rule, ``neutralise``)."""

import csv
import io
import os

import pytest
from django.db import connection
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.models import Reseller
from clients.models import Account, Client
from inventory.choices import Status
from inventory.exporting import (
    FORMULA_START,
    SQL_SAFE,
    UNWRITABLE,
    SafeNumber,
    export_csv_rows,
    neutralise,
    neutralise_number,
    write_xlsx,
)
from inventory.models import DID
from operators.models import Operator
from packages.models import Package

from .conftest import World

HYPERLINK = '=HYPERLINK("http://x","y")'
# value as stored -> value as exported
CASES = {
    "=1+1": "'=1+1",
    "\x01=1+1": "'=1+1",  # the control character goes, then the formula is still caught
    "\t=1": "'\t=1",
    "+1": "'+1",
    "-1": "'-1",
    "@SUM(1)": "'@SUM(1)",
    HYPERLINK: "'" + HYPERLINK,
}
MORE_CASES = {
    "\x02\x1f\uffff@x": "'@x",
    "\r=1": "'\r=1",
    "'=1": "''=1",  # one more apostrophe: the import drops exactly one
    "''-1": "'''-1",
    "'\x01=1": "''=1",
    "'plain": "'plain",
    "plain": "plain",
    "a\x01b\x0bc\ufffed": "abcd",
    "line\nbreak": "line\nbreak",
    "\x01": None,
    "": None,
    "\x0c\x0e": None,
    " =1": " =1",
    "1+1": "1+1",
}
TEXT_COLUMNS = [2, 4, 5, 6, 7, 8, 10]  # Operator, Tag, Notes, Client, Account, Package, Reseller


def _sql_safe(value: str | None) -> str | None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {SQL_SAFE % {'expressions': 'v'}} FROM (SELECT %s::text AS v) s", [value]
        )
        return cur.fetchone()[0]


def _sql_safe_number(value: str) -> str | None:
    template = SafeNumber.template % {"expressions": "v"}
    with connection.cursor() as cur:
        cur.execute(f"SELECT {template} FROM (SELECT %s::text AS v) s", [value])
        return cur.fetchone()[0]


@pytest.mark.parametrize("value, expected", [*CASES.items(), *MORE_CASES.items(), (None, None)])
def test_neutralise_removes_what_a_cell_cannot_hold_then_escapes_formulas(value, expected):
    assert neutralise(value) == expected


def test_neutralise_removes_everything_openpyxl_refuses_and_nul():
    refused = [chr(c) for c in range(0x10000) if ILLEGAL_CHARACTERS_RE.search(chr(c))]
    assert refused and all(c in UNWRITABLE for c in refused)
    assert neutralise("\x00=1") == "'=1"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [*CASES, *MORE_CASES, None])
def test_the_sql_rule_for_csv_is_the_python_rule(value):
    assert _sql_safe(value) == neutralise(value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["+14155550100", "0012345", "123", "=1+1", "+1+1", "-1", "\x01=1", "@1", "1\x02"]
)
def test_the_sql_rule_for_numbers_is_the_python_rule(value):
    assert _sql_safe_number(value) == neutralise_number(value)


def test_a_did_stays_exactly_as_stored_but_nothing_else_in_its_column_runs():
    assert neutralise_number("+14155550100") == "+14155550100"
    assert neutralise_number("0012345") == "0012345"
    assert neutralise_number("+1+1") == "'+1+1"
    assert neutralise_number("=1") == "'=1"


@pytest.fixture
def poisoned(db):
    """One reseller per formula case: every name, the tag and the notes of its DID hold it."""
    dids = {}
    for i, value in enumerate(CASES):
        w = World(f"P{i}")
        did = w.did(Status.ACTIVE, number=f"55500{i}")
        Reseller.objects.filter(pk=w.reseller.pk).update(name=value)
        Operator.objects.filter(pk=w.operator.pk).update(name=value)
        Client.objects.filter(pk=w.client.pk).update(name=value)
        Account.objects.filter(pk=w.account.pk).update(name=value)
        Package.objects.filter(pk=w.package.pk).update(name=value)
        DID.objects.filter(pk=did.pk).update(tag=value, notes=value)
        dids[did.number] = value
    World("Plain").did(Status.IN_STOCK, number="+14155550100", notes="+1 spare")
    return dids


def _csv_rows(queryset=None) -> list[list[str]]:
    """The CSV export (the function the view streams) of ``queryset``, all DIDs by default."""
    chunks = export_csv_rows(DID.objects.all() if queryset is None else queryset)
    return list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))


def _xlsx_sheet(queryset=None):
    """The XLSX export (the file the export job offers) of ``queryset``, read back."""
    path = write_xlsx(DID.objects.all() if queryset is None else queryset)
    try:
        return load_workbook(path).active
    finally:
        os.unlink(path)


def test_csv_neutralises_every_text_column(poisoned):
    rows = {r[3]: r for r in _csv_rows()[1:]}

    for number, value in poisoned.items():
        row = rows[number]
        for column in TEXT_COLUMNS:
            assert row[column] == CASES[value], (number, column, row[column])
            assert row[column].startswith("'")
    # A DID starting with + is a number, kept as stored (its notes are not).
    assert rows["+14155550100"][3] == "+14155550100"
    assert rows["+14155550100"][5] == "'+1 spare"


def test_xlsx_has_no_formula_cell_and_no_value_that_starts_one(poisoned):
    ws = _xlsx_sheet()

    rows = {}
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if cell.column != 4 and isinstance(cell.value, str):  # the DID: below
                assert cell.value[0] not in FORMULA_START, (cell.coordinate, cell.value)
        rows[cells[3].value] = cells
    for number, value in poisoned.items():
        cells = rows[number]
        assert cells[0].data_type == "n" and isinstance(cells[0].value, int)
        assert cells[3].data_type == "s"
        for column in TEXT_COLUMNS:
            assert cells[column].data_type == "s"
            assert cells[column].value == CASES[value], (number, column, cells[column].value)
    plus = rows["+14155550100"]
    assert plus[3].value == "+14155550100" and plus[3].data_type == "s"
    assert plus[5].value == "'+1 spare"


def test_csv_and_xlsx_write_the_same_values(poisoned):
    csv_rows = _csv_rows()
    ws = _xlsx_sheet()
    xlsx_rows = [
        ["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)
    ]
    # openpyxl reads back a trailing run of empty cells as absent
    width = len(csv_rows[0])
    xlsx_rows = [row + [""] * (width - len(row)) for row in xlsx_rows]
    assert xlsx_rows == csv_rows


def test_unwritable_characters_never_break_the_xlsx(world):
    world.did(number="600", notes="a\x01b\uffffc\x02", tag="\x01\x02")
    world.did(number="601", notes="\x0b=cmd", tag="#N/A")

    csv_rows = {r[3]: r for r in _csv_rows()[1:]}
    ws = _xlsx_sheet()
    xlsx_rows = {row[3]: row for row in ws.iter_rows(min_row=2, values_only=True)}

    assert csv_rows["600"][4:6] == ["", "abc"] and xlsx_rows["600"][4:6] == (None, "abc")
    assert csv_rows["601"][5] == "'=cmd" == xlsx_rows["601"][5]
    # Written as a string cell, not left to openpyxl's guess (an error value here).
    assert csv_rows["601"][4] == "#N/A" == xlsx_rows["601"][4]
    assert ws.cell(row=3, column=5).data_type == "s"

"""Import DIDs, reading files: delimiters, .xlsx and .xls, blank rows, files without a
header, and PostgreSQL and Python reading a CSV the same way."""

import io

import pytest
from openpyxl import Workbook

from imports import loading, preview, services
from imports.spec import refusal_text
from inventory.choices import Status
from inventory.models import DID
from tests.import_support import (
    FIXTURES,
    apply,
    dry_run,
    job_from,
    numbers,
    refusals,
    spec,
    upload,
)

pytestmark = pytest.mark.usefixtures("import_dir")

# --------------------------------------------------------------------------- file formats


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_the_delimiter_is_detected(as_importer, delimiter, name):
    text = delimiter.join(["DID", "Status", "Notes"]) + "\n"
    text += delimiter.join(["600", "reserved", "a, b"]) + "\n"
    text += delimiter.join(["601", "archive", "c"]) + "\n"

    job = dry_run(as_importer, f"{name}.csv", text)

    assert job.delimiter == delimiter
    assert job.mapping == ["did", "status", "notes"]
    assert job.counts["created"] == 2
    apply(as_importer, job, "all")
    assert numbers() == {"600": Status.RESERVED, "601": Status.ARCHIVE}
    assert DID.objects.get(number="600").notes == "a, b"


def test_a_chosen_delimiter_wins_over_the_guess(as_importer):
    job = job_from(upload(as_importer, "one.csv", "DID;Tag\n700;a,b\n", delimiter="semicolon"))
    assert job.delimiter == ";"
    job = job_from(upload(as_importer, "two.csv", "DID;Tag\n700;a,b\n", delimiter="comma"))
    assert job.delimiter == "," and job.mapping == ["", ""]


def test_xlsx_import_keeps_text_dids_and_reads_number_cells(as_importer):
    wb = Workbook()
    ws = wb.active
    ws.append(["DID", "Status", "Tag"])
    ws.append(["0077", "In Stock", "xlsx"])
    ws.append([4155550100, "reserved", None])
    buf = io.BytesIO()
    wb.save(buf)

    job = dry_run(as_importer, "dids.xlsx", buf.getvalue())
    assert job.kind == "xlsx" and job.mapping == ["did", "status", "tag"]
    apply(as_importer, job, "all")

    assert numbers() == {"0077": Status.IN_STOCK, "4155550100": Status.RESERVED}
    assert DID.objects.get(number="0077").tag == "xlsx"


def test_xls_import_from_the_fixture(as_importer):
    # tests/fixtures/dids.xls was written with xlwt (in a throwaway virtualenv): a text DID
    # with a leading zero, a number cell, a "+" DID and one that is not a number.
    job = dry_run(as_importer, "dids.xls", (FIXTURES / "dids.xls").read_bytes())

    assert job.kind == "xls" and job.mapping == ["did", "status", "tag", "notes", "after_hold"]
    assert (job.counts["created"], job.counts["refused"]) == (3, 1)
    assert refusals(job) == ["Row 5, DID: “abc” is not a number"]
    apply(as_importer, job, "valid")
    assert numbers() == {
        "0100200300": Status.RESERVED,
        "4155550101": Status.IN_STOCK,
        "+4420555": Status.ARCHIVE,
    }
    first = DID.objects.get(number="0100200300")
    assert (first.tag, first.notes, first.after_hold_status) == ("xls", "from xls", "archive")


def test_blank_rows_are_skipped_and_ragged_rows_are_refused_row_by_row(world, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("DID,Status,Tag\n800,reserved,a\n\n801\n,,\n80x,instock,b,extra\n")

    rep = services.check(spec(world, path))

    assert (rep.rows, rep.created, rep.refused) == (3, 1, 2)
    ragged = ": check the delimiter and the quotes"
    assert [refusal_text(e) for e in rep.errors] == [
        f"Row 4: Row: 1 cell; the first row has 3{ragged}",
        f"Row 6: Row: 4 cells; the first row has 3{ragged}; DID: “80x” is not a number",
    ]


def test_a_file_without_a_header_maps_the_did_column(world, tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("900100,reserved\n900101,instock\n")

    info = preview.inspect_file(path, "csv")
    assert (info.has_header, info.mapping, info.rows) == (False, ["did", "status"], 2)
    rep = services.apply(spec(world, path), actor=world.actor)
    assert rep.created == 2
    assert numbers() == {"900100": Status.RESERVED, "900101": Status.IN_STOCK}


def test_postgres_and_python_read_a_csv_the_same_way(world, tmp_path, monkeypatch):
    world.did(Status.IN_STOCK, number="970", tag="old", notes="old")
    path = tmp_path / "quoted.csv"
    path.write_bytes(
        "\ufeffDID,Tag,Notes\n"
        '970,,"two\nlines, and a comma"\n'
        ' 971 ," x ",\n'
        " , ,  \n"
        '972,"say ""hi""",\'=1\n'
        "97z,,\n".encode()
    )

    def outcome():
        rep = services.check(spec(world, path))
        return rep.counts(), rep.errors

    loaded_by_postgres = []
    real = loading.Run.load_csv_in_postgres

    def spy(self):
        loaded_by_postgres.append(real(self))
        return loaded_by_postgres[-1]

    monkeypatch.setattr(loading.Run, "load_csv_in_postgres", spy)
    in_postgres = outcome()
    assert loaded_by_postgres == [True]
    monkeypatch.setattr(loading.Run, "load_csv_in_postgres", lambda self: False)
    in_python = outcome()

    assert in_postgres[0] | {"seconds": 0} == in_python[0] | {"seconds": 0}
    assert in_postgres[1] == in_python[1] == [{"row": 6, "text": "DID: “97z” is not a number"}]
    assert (in_python[0]["created"], in_python[0]["updated"]) == (2, 1)
    services.apply(spec(world, path), actor=world.actor, only_valid=True)
    first = DID.objects.get(number="970")
    assert (first.tag, first.notes) == ("", "two\nlines, and a comma")
    assert DID.objects.get(number="971").tag == "x"
    assert (DID.objects.get(number="972").tag, DID.objects.get(number="972").notes) == (
        'say "hi"',
        "=1",
    )

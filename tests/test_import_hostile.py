# ruff: noqa: E501 - the parts of an .xlsx, as Excel writes them, one XML element a line
"""Import DIDs, hostile files (issue 9, point 5): a zip bomb, XML entity expansion, broken
XML, and sheets whose declared sizes lie. Each file is built here. Each gets a clear
message naming the problem, leaves no upload file behind, and the web request's memory
(Python's allocations, measured with tracemalloc) grows by less than 100 MB."""

import io
import struct
import tracemalloc
import zipfile

import pytest

from imports import readers, services
from imports.errors import ImportFileError
from imports.models import ImportJob
from inventory.models import DID
from tests.import_support import dry_run, upload

pytestmark = pytest.mark.usefixtures("import_dir")

MB = 2**20

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def cell_row(n: int, *values: str) -> bytes:
    cells = b"".join(
        f'<c r="{chr(65 + i)}{n}" t="inlineStr"><is><t>{v}</t></is></c>'.encode()
        for i, v in enumerate(values)
    )
    return f'<row r="{n}">'.encode() + cells + b"</row>"


def workbook(sheet: bytes) -> bytes:
    """An .xlsx of one sheet whose XML is ``sheet``, as Excel lays the parts out."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def sheet_of(rows: bytes, dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return SHEET_HEAD + dim + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def many_rows(n: int) -> bytes:
    return cell_row(1, "DID", "Tag") + b"".join(
        cell_row(i, str(10_000_000 + i), "t") for i in range(2, n + 2)
    )


def zip_bomb() -> bytes:
    """A sheet that inflates about 700 times: 24 MB of rows in a zip of some 100 KB."""
    row = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>'
    return workbook(sheet_of(row * (24 * MB // len(row))))


def entity_expansion() -> bytes:
    """The "billion laughs": ten entities of ten, a few hundred bytes that expand to GBs."""
    lol = ['<!ENTITY a0 "lollollollollollollollollollol">']
    lol += [f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    dtd = ("<!DOCTYPE worksheet [" + "".join(lol) + "]>").encode()
    sheet = SHEET_HEAD.replace(b"\n", b"\n" + dtd + b"\n", 1)
    return workbook(
        sheet
        + b"<sheetData>"
        + cell_row(1, "DID")
        + cell_row(2, "&a9;")
        + b"</sheetData></worksheet>"
    )


def broken_xml() -> bytes:
    return workbook(SHEET_HEAD + b"<sheetData>" + cell_row(1, "DID") + b"<row r='2'><c <<>")


def lying_zip_size() -> bytes:
    """A workbook whose zip directory says its sheet is 200 bytes unzipped; it is 2 MB."""
    data = bytearray(workbook(sheet_of(many_rows(40_000))))
    name = b"xl/worksheets/sheet1.xml"
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(signature + b"")
        while at >= 0:
            name_len = struct.unpack_from("<H", data, at + (28 if offset == 24 else 26))[0]
            start = at + (46 if offset == 24 else 30)
            if bytes(data[start : start + name_len]) == name:
                struct.pack_into("<I", data, at + offset, 200)
            at = data.find(signature, at + 4)
    return bytes(data)


def uploaded_with_memory(client, name, content):
    """The upload's response and the peak of Python's allocations while it ran."""
    tracemalloc.start()
    try:
        response = upload(client, name, content)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (zip_bomb, "MB unzipped; the most one import may be is 8 MB unzipped"),
        (entity_expansion, "File: this is not an Excel .xlsx workbook"),
        (broken_xml, "File: this is not an Excel .xlsx workbook"),
        (lying_zip_size, "File: this"),
    ],
    ids=["zip bomb", "entity expansion", "broken xml", "lying zip directory"],
)
def test_a_hostile_workbook_gets_a_clear_message_and_leaves_nothing_behind(
    as_importer, import_dir, settings, build, message
):
    settings.IMPORT_MAX_UNCOMPRESSED_SIZE = 8 * MB
    content = build()
    assert len(content) < 3 * MB

    response, peak = uploaded_with_memory(as_importer, "hostile.xlsx", content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not any(import_dir.iterdir())  # no upload file left behind
    assert peak < 100 * MB


def test_the_worker_refuses_xml_entities_too(tmp_path):
    path = tmp_path / "lol.xlsx"
    path.write_bytes(entity_expansion())
    with pytest.raises(ImportFileError, match="File: "):
        list(readers.raw_rows(path, "xlsx", ""))


def test_a_sheet_that_declares_a_million_rows_and_holds_two_reads_two(as_importer):
    sheet = sheet_of(cell_row(1, "DID") + cell_row(2, "555") + cell_row(3, "556"), "A1:XFD1048576")
    job = dry_run(as_importer, "dimension.xlsx", workbook(sheet))
    assert (job.counts["rows"], job.counts["created"]) == (2, 2)


def test_a_sheet_that_declares_two_rows_and_holds_more_reads_them_all(as_importer):
    sheet = sheet_of(many_rows(500), "A1:B2")
    job = dry_run(as_importer, "small-dimension.xlsx", workbook(sheet))
    assert (job.counts["rows"], job.counts["created"]) == (500, 500)


def test_a_sheet_past_the_row_bound_is_refused_by_the_dry_run_and_its_file_removed(
    as_importer, import_dir, settings
):
    """The upload reads a bounded sample (its count is an estimate); the full read, in
    the run, stops at the bound with a message, and the file goes."""
    settings.IMPORT_MAX_ROWS = 4_000
    settings.IMPORT_PREVIEW_BYTES = 64 * 1024
    response, peak = uploaded_with_memory(
        as_importer, "rows.xlsx", workbook(sheet_of(many_rows(5_000)))
    )
    assert response.status_code == 302 and peak < 100 * MB
    job = ImportJob.objects.get()
    assert 2_000 < job.rows_total < 10_000  # an estimate from the sample
    services.run_inline(job, "check")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "more than 4,000 rows" in job.message
    assert not any(import_dir.iterdir())
    assert not DID.objects.exists()


def test_reading_stops_past_the_time_bound(tmp_path, settings):
    settings.IMPORT_MAX_READ_SECONDS = 0
    path = tmp_path / "slow.csv"
    path.write_text("DID\n" + "".join(f"{n}\n" for n in range(3_000)))
    with pytest.raises(ImportFileError, match="reading stopped at row"):
        list(readers.raw_rows(path, "csv", ","))


def test_a_sheet_far_past_the_row_bound_by_its_start_is_refused_at_upload(
    as_importer, import_dir, settings
):
    """The issue's file: a few MB that inflate to millions of rows. Its first rows tell."""
    settings.IMPORT_MAX_ROWS = 1_000
    settings.IMPORT_PREVIEW_BYTES = 64 * 1024
    content = workbook(sheet_of(many_rows(20_000)))
    response, peak = uploaded_with_memory(as_importer, "inflates.xlsx", content)
    assert response.status_code == 200 and peak < 100 * MB
    assert "one import may hold at most 1,000 rows" in response.content.decode()
    assert not ImportJob.objects.exists() and not any(import_dir.iterdir())

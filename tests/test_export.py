"""Export DIDs: columns, order, scoping, the search, all pages, formula neutralisation, XLSX."""

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from accounts.models import User
from inventory.choices import Status
from inventory.exporting import HEADER, export_csv_rows
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, update_dids

EXPORT = "/dids/export/"
REFERENCE_HEADER = [
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
]


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def as_a(client, world):
    client.force_login(world.user)
    return client


@pytest.fixture
def admin(db):
    return User.objects.create_user("boss", password="x", role=User.Role.ADMIN)


def test_csv_has_the_reference_columns_statuses_and_names(as_a, world):
    reserved = world.did(Status.RESERVED, number="100", tag="gold", notes="first")
    active = world.did(Status.ACTIVE, number="101")
    held = world.did(Status.ON_HOLD, number="102")
    stock = world.did(Status.IN_STOCK, number="0103")
    archived = world.did(Status.ARCHIVE, number="+44104")

    response = as_a.get(EXPORT)

    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    today = dt.date.today().isoformat()
    assert disposition.startswith("attachment;")
    assert re.search(rf'filename="dids-{today}-\d{{6}}\.csv"', disposition)
    rows = rows_of(response)
    # The reference system's columns, then the two a round trip needs.
    assert rows[0] == [*REFERENCE_HEADER, "Hold Days", "Hold Until"] == list(HEADER)
    # No hold days of their own; only the held DID has a hold end.
    held.refresh_from_db()
    hold_end = held.hold_until.astimezone(dt.UTC).isoformat(timespec="seconds")
    assert [r[11:] for r in rows[1:]] == [["", ""], ["", ""], ["", hold_end], ["", ""], ["", ""]]
    assert [r[:11] for r in rows[1:]] == [
        [str(reserved.pk), "reserved", "Op A", "100", "gold", "first", "", "", "", "instock", "A"],
        [
            str(active.pk),
            "active",
            "Op A",
            "101",
            "",
            "",
            "Client A",
            "acc_A",
            "Pack A",
            "instock",
            "A",
        ],
        [
            str(held.pk),
            "hold",
            "Op A",
            "102",
            "",
            "",
            "Client A",
            "acc_A",
            "Pack A",
            "instock",
            "A",
        ],
        [str(stock.pk), "instock", "Op A", "0103", "", "", "", "", "", "instock", "A"],
        [str(archived.pk), "archive", "Op A", "+44104", "", "", "", "", "", "instock", "A"],
    ]


def test_a_reseller_exports_only_its_own_dids_and_an_admin_all(client, world, other_world, admin):
    world.did(number="200")
    other_world.did(number="300")

    client.force_login(world.user)
    assert [r[3] for r in rows_of(client.get(EXPORT))[1:]] == ["200"]
    client.force_login(other_world.user)
    assert [r[3] for r in rows_of(client.get(EXPORT))[1:]] == ["300"]
    client.force_login(admin)
    assert [r[3] for r in rows_of(client.get(EXPORT))[1:]] == ["200", "300"]


def test_the_export_is_the_search_in_the_lists_order(as_a, world):
    for number, status in [
        ("500", Status.RESERVED),
        ("400", Status.IN_STOCK),
        ("600", Status.RESERVED),
        ("450", Status.ARCHIVE),
    ]:
        world.did(status, number=number)

    reserved = rows_of(as_a.get(EXPORT, {"status": "reserved"}))
    assert [r[3] for r in reserved[1:]] == ["500", "600"]
    by_did_desc = rows_of(as_a.get(EXPORT, {"sort": "-did"}))
    assert [r[3] for r in by_did_desc[1:]] == ["600", "500", "450", "400"]
    prefix = rows_of(as_a.get(EXPORT, {"did": "4", "did_match": "prefix", "sort": "did"}))
    assert [r[3] for r in prefix[1:]] == ["400", "450"]


def test_every_page_of_the_search_is_exported(as_a, world):
    create_dids(parse("1000-1059"), operator=world.operator, actor=world.actor)
    page = as_a.get("/dids/", {"per_page": "20"})
    assert len(page.context["page"].rows) == 20

    rows = rows_of(as_a.get(EXPORT, {"per_page": "20"}))

    assert [r[3] for r in rows[1:]] == [str(n) for n in range(1000, 1060)]


def test_an_invalid_search_is_a_400_naming_the_field(as_a, world):
    world.did(number="700")

    bad_did = as_a.get(EXPORT, {"did": "12a"})
    assert bad_did.status_code == 400
    assert "DID: “12a” is not a number" in bad_did.content.decode()
    bad_operator = as_a.get(EXPORT, {"operator": "999999"})
    assert bad_operator.status_code == 400
    assert "Operator:" in bad_operator.content.decode()
    bad_format = as_a.get(EXPORT, {"format": "pdf"})
    assert bad_format.status_code == 400
    assert "Format:" in bad_format.content.decode()


def test_cells_a_spreadsheet_would_run_get_an_apostrophe_but_dids_stay(as_a, world):
    values = {
        "801": "=1+1",
        "802": "+cmd|' /C calc'!A0",
        "803": "-2",
        "804": "@SUM(A1)",
        "805": "\tx",
        "806": "\rx",
        "807": "'=already quoted",
        "808": "plain, with a comma",
        "809": "'just an apostrophe",
    }
    for number, notes in values.items():
        did = world.did(number=number)
        update_dids([did.pk], {"notes": notes}, actor=world.actor)
    world.did(number="+4420700")
    evil = world.did(number="810")
    update_dids([evil.pk], {"tag": "=HYPERLINK()"}, actor=world.actor)

    rows = {r[3]: r for r in rows_of(as_a.get(EXPORT))[1:]}

    assert rows["801"][5] == "'=1+1"
    assert rows["802"][5] == "'+cmd|' /C calc'!A0"
    assert rows["803"][5] == "'-2"
    assert rows["804"][5] == "'@SUM(A1)"
    assert rows["805"][5] == "'\tx"
    assert rows["806"][5] == "'\rx"
    assert rows["807"][5] == "''=already quoted"
    assert rows["808"][5] == "plain, with a comma"
    assert rows["809"][5] == "'just an apostrophe"
    assert rows["810"][4] == "'=HYPERLINK()"
    # The DID keeps its leading +, and the ID is a plain number.
    assert rows["+4420700"][3] == "+4420700"
    assert rows["+4420700"][0].isdigit()


@pytest.fixture
def eager(settings, tmp_path):
    from config.celery import app

    settings.EXPORT_DIR = tmp_path / "exports"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_xlsx_opens_with_openpyxl_and_dids_keep_leading_zeros(
    as_a, world, eager, django_capture_on_commit_callbacks
):
    first = world.did(Status.RESERVED, number="0012345", tag="=danger")
    world.did(Status.ACTIVE, number="+4412")

    # An XLSX is written by a background job (eager here); its page offers the file.
    with django_capture_on_commit_callbacks(execute=True):
        started = as_a.get(EXPORT, {"format": "xlsx"})
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    response = as_a.get(started["Location"] + "download/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.search(r'filename="dids-[\d-]+\.xlsx"', response["Content-Disposition"])
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [*REFERENCE_HEADER, "Hold Days", "Hold Until"]
    assert rows[1][:5] == (first.pk, "reserved", "Op A", "0012345", "'=danger")
    assert ws.cell(row=2, column=4).data_type == "s"
    assert rows[2][3] == "+4412" and rows[2][1] == "active" and rows[2][8] == "Pack A"


def test_export_csv_rows_streams_in_chunks(world):
    create_dids(parse("3000000-3004999"), operator=world.operator, actor=world.actor)

    chunks = list(export_csv_rows(DID.objects.all(), chunk_bytes=16 * 1024))

    assert len(chunks) > 5  # header, then many bounded chunks: never the whole file at once
    assert max(len(c) for c in chunks[1:]) < 64 * 1024
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 5001 and rows[-1][3] == "3004999"


def test_the_export_carries_a_dids_own_hold_days_and_hold_end(as_a, world):
    held = world.did(Status.ON_HOLD, number="555")
    DID.objects.filter(pk=held.pk).update(hold_days=9, hold_until="2031-03-04T05:06:07Z")
    rows = rows_of(as_a.get(EXPORT))
    row = next(r for r in rows[1:] if r[0] == str(held.pk))
    assert row[11:] == ["9", "2031-03-04T05:06:07+00:00"]

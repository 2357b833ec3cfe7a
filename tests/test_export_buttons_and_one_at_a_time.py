"""Export DIDs (issue 12, point 6): the list offers CSV and XLSX; the XLSX is written by a
streaming writer (``core.xlsx``) in a background job; a user's exports run one at a time, a
second one is refused naming (and linking) the one that waits or runs."""

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from core.xlsx import MAX_ROWS, SheetWriter, TooManyRows
from inventory.choices import Status
from jobs import services as jobs
from jobs.models import Job

from .jobs_support import EXPORT, eager, folders  # noqa: F401

LIST = "/dids/"


def _messages(response) -> list[str]:
    return [str(m.message) for m in get_messages(response.wsgi_request)]


def test_the_list_offers_csv_and_xlsx_of_the_current_search(as_a, world):
    world.did(Status.IN_STOCK, tag="gold")
    html = as_a.get(LIST, {"tag": "gold", "sort": "-did", "page": "1"}).content.decode()
    links = dict(re.findall(r'<a class="btn" href="([^"]+)" id="export-(csv|xlsx)"', html))
    links = {fmt: href.replace("&amp;", "&") for href, fmt in links.items()}
    assert links == {
        "csv": f"{EXPORT}?tag=gold&sort=-did&format=csv",
        "xlsx": f"{EXPORT}?tag=gold&sort=-did&format=xlsx",
    }
    assert ">Export DIDs<" in html


@pytest.mark.parametrize("waiting_kind", [Job.Kind.EXPORT_XLSX, Job.Kind.EXPORT_CSV])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_second_export_is_refused_naming_the_running_one(
    as_a, world, waiting_kind, fmt, django_capture_on_commit_callbacks
):
    world.did(Status.IN_STOCK)
    running = Job.objects.create(kind=waiting_kind, user=world.user, status=Job.Status.QUEUED)
    with django_capture_on_commit_callbacks() as queued:
        response = as_a.get(EXPORT, {"format": fmt, "tag": "x"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?tag=x"
    label = Job.Kind(waiting_kind).label
    url = reverse("jobs:job_detail", args=[running.pk])
    assert _messages(response) == [
        f"Export DIDs: Your {label} #{running.pk} is still waiting for a worker; one runs at "
        f'a time. Wait for it to finish, then start another. <a href="{url}" '
        f'id="running-export">Open {label} #{running.pk}</a>.'
    ]
    assert Job.objects.count() == 1 and not queued
    # The list shows the message with its link.
    html = as_a.get(response["Location"]).content.decode()
    assert f'href="{url}" id="running-export"' in html


def test_exports_of_other_users_and_finished_ones_do_not_block(
    as_a, world, other_world, django_capture_on_commit_callbacks
):
    Job.objects.create(kind=Job.Kind.EXPORT_XLSX, user=other_world.user, status="running")
    Job.objects.create(kind=Job.Kind.EXPORT_XLSX, user=world.user, status=Job.Status.DONE)
    Job.objects.create(kind=Job.Kind.MASS_EDIT, user=world.user, status=Job.Status.QUEUED)
    with django_capture_on_commit_callbacks() as queued:
        response = as_a.get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    assert len(queued) == 1
    # A small CSV streams when no export of the user waits or runs.
    response = as_a.get(EXPORT, {"format": "csv"})
    assert response.status_code == 302  # the XLSX job just started waits: refused
    Job.objects.filter(kind=Job.Kind.EXPORT_XLSX, user=world.user).update(status="done")
    assert as_a.get(EXPORT, {"format": "csv"}).status_code == 200


def test_the_rule_is_decided_by_jobs_start_too(world):
    """Not only the page: any caller of ``jobs.start`` (the API, a second tab that raced the
    page's check) is refused while an export of the user waits or runs."""
    first = jobs.start(Job.Kind.EXPORT_CSV, user=world.user, params={}, total=0)
    with pytest.raises(jobs.AlreadyRunning) as refused:
        jobs.start(Job.Kind.EXPORT_XLSX, user=world.user, params={}, total=0)
    assert refused.value.job == first
    assert isinstance(refused.value, jobs.TooManyJobs)
    # Other kinds are not limited by it.
    jobs.start(Job.Kind.MASS_EDIT, user=world.user, params={}, total=0)


def test_the_xlsx_job_writes_a_workbook_with_string_cells(
    as_a, world, eager, django_capture_on_commit_callbacks
):
    world.did(Status.IN_STOCK, number="0012", tag="@sum", notes=" spaced & <tagged> ")
    with django_capture_on_commit_callbacks(execute=True):
        started = as_a.get(EXPORT, {"format": "xlsx"})
    job = Job.objects.get()
    assert job.status == Job.Status.DONE and job.ok, job.message
    data = b"".join(as_a.get(started["Location"] + "download/").streaming_content)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "DIDs"
    row = list(ws[2])
    assert [c.value for c in row[3:6]] == ["0012", "'@sum", " spaced & <tagged> "]
    assert all(c.data_type in ("s", "n") for c in row if c.value is not None)


# --------------------------------------------------------------------------- core.xlsx


def test_sheet_writer_writes_a_well_formed_package(tmp_path):
    path = tmp_path / "t.xlsx"
    with SheetWriter(path, 'A "sheet" & <more>') as out:
        out.write_rows([("ID", "Text"), (1, "=1+1"), (2, None), (3, "a\x01b\uffff"), (4, "")])
        out.write_rows([(True, " x ")])
    with zipfile.ZipFile(path) as z:
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} <= set(
            z.namelist()
        )
        for name in z.namelist():
            ElementTree.fromstring(z.read(name))  # every part is well-formed XML
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # never a formula cell
    wb = load_workbook(path)
    ws = wb.active
    assert ws.title == 'A "sheet" & <more>'
    assert list(ws.iter_rows(values_only=True)) == [
        ("ID", "Text"),
        (1, "=1+1"),
        (2, None),
        (3, "ab"),
        (4, None),
        ("True", " x "),
    ]
    assert ws["B2"].data_type == "s" and ws["A2"].data_type == "n"


def test_sheet_writer_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    monkeypatch.setattr("core.xlsx.MAX_ROWS", 3)
    with pytest.raises(TooManyRows), SheetWriter(tmp_path / "t.xlsx", "S") as out:
        out.write_rows([(1,), (2,), (3,), (4,)])
    assert MAX_ROWS == 1_048_576

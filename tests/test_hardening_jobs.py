"""Issue 7, items 6 and 7: heavy work runs in the worker (exports, import checks) with a
per-user limit of jobs; a request does a bounded amount of work; a job whose worker was
killed ends failed ("nothing was changed"), can be cancelled, and loses its upload file;
re-delivered tasks are harmless; tasks are acks-late and reject-on-worker-lost."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from imports import readers
from imports.models import ImportJob
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from jobs import services as jobs
from jobs.models import Job

# The fixtures are imported to be used by name; `folders` is autouse.
from .jobs_support import (  # noqa: F401
    EXPORT,
    LIMIT_MESSAGE,
    eager,
    error_messages,
    folders,
    job_of,
    long_ago,
    other_session,
    running_import,
    upload,
)

# --------------------------------------------------------------------------- exports


def test_an_xlsx_export_is_a_job_whose_file_downloads_to_its_user_only(
    client, world, other_world, eager, django_capture_on_commit_callbacks, folders
):
    client.force_login(world.user)
    create_dids(parse("100-104"), operator=world.operator, actor=world.actor, tag="x")
    other_world.did(number="999")

    with django_capture_on_commit_callbacks() as queued:
        response = client.get(EXPORT, {"format": "xlsx", "tag": "x"})
    job = Job.objects.get()
    # The request only queued the job: no workbook was built inside it.
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.kind == Job.Kind.EXPORT_XLSX and job.status == Job.Status.QUEUED
    assert len(queued) == 1 and not job.file_path
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="job-download"' in page and "hidden" in page.split('id="job-download"')[1][:200]

    queued[0]()  # the worker's turn
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.ok, job.message
    assert job.message.startswith("Exported 5 DIDs.")
    path = Path(job.file_path)
    assert path.is_file() and path.parent == folders / "exports"
    progress = client.get(f"/jobs/{job.pk}/progress/").json()
    assert progress["download_url"] == f"/jobs/{job.pk}/download/"

    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="dids-' in download["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    numbers = [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert numbers == ["100", "101", "102", "103", "104"]  # the search, not B's 999

    client.force_login(other_world.user)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/", f"/jobs/{job.pk}/download/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    assert path.is_file()

    # Removing the job removes its file.
    client.force_login(world.user)
    client.post(f"/jobs/{job.pk}/cancel/")
    assert not Job.objects.exists() and not path.exists()


def test_a_csv_export_streams_up_to_the_bound_and_past_it_is_a_job(
    as_a, world, settings, eager, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_THRESHOLD = 3
    create_dids(parse("200-202"), operator=world.operator, actor=world.actor)

    response = as_a.get(EXPORT)
    assert response.status_code == 200 and response.streaming
    assert not Job.objects.exists()

    create_dids(parse("203"), operator=world.operator, actor=world.actor)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_a.get(EXPORT)
    job = Job.objects.get()
    assert response.status_code == 302 and job.kind == Job.Kind.EXPORT_CSV
    assert job.status == Job.Status.DONE and job.total == 4, job.message
    body = b"".join(as_a.get(f"/jobs/{job.pk}/download/").streaming_content).decode("utf-8-sig")
    assert [line.split(",")[3] for line in body.splitlines()[1:]] == ["200", "201", "202", "203"]


def test_old_export_files_are_removed_by_the_sweep(world, settings, folders):
    path = folders / "old.xlsx"
    path.write_bytes(b"x")
    job = Job.objects.create(
        kind=Job.Kind.EXPORT_XLSX,
        user=world.user,
        status=Job.Status.DONE,
        file_path=str(path),
        finished_at=timezone.now() - dt.timedelta(hours=settings.JOB_FILE_TTL_HOURS + 1),
    )
    assert jobs.sweep() == {"stale": 0, "files": 1}
    job.refresh_from_db()
    assert not path.exists() and job.file_path == ""


# --------------------------------------------------------------------------- the per-user limit


def test_a_third_job_is_refused_with_a_message(
    as_a, world, settings, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_THRESHOLD = 10
    Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=world.user,
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    # An import running in the worker takes a slot too: it is a job like the others.
    running_import(world, Path("/nonexistent.csv"), status=Job.Status.QUEUED)

    # An XLSX export: refused, back to the list with an error, no job.
    with django_capture_on_commit_callbacks() as queued:
        response = as_a.get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith("/dids/")
    assert error_messages(response) == [LIMIT_MESSAGE]
    assert Job.objects.count() == 2 and not queued
    as_a.get(response["Location"])  # the list shows (and so uses up) the message

    # New DIDs over the threshold: the form again, with the error (not a success).
    response = as_a.post(
        "/dids/new/",
        {
            "numbers": "1000-1099",
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    assert response.status_code == 200 and LIMIT_MESSAGE in response.content.decode()
    assert error_messages(response) == [LIMIT_MESSAGE]
    assert Job.objects.count() == 2 and not DID.objects.exists()

    # An import large enough for the worker: refused at its dry run, nothing queued.
    settings.IMPORT_BACKGROUND_ROWS = 1
    job = job_of(upload(as_a, world, "big.csv", b"DID\n1\n2\n3\n"))
    with django_capture_on_commit_callbacks() as queued:
        response = as_a.post(
            f"/dids/import/{job.pk}/columns/", {"col_0": "did", "has_header": "on"}
        )
    assert error_messages(response) == [LIMIT_MESSAGE] and not queued
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPED

    # One of the two finishes: the next job is accepted.
    Job.objects.filter(user=world.user).update(status=Job.Status.DONE)
    with django_capture_on_commit_callbacks() as queued:
        response = as_a.get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    assert len(queued) == 1 and Job.objects.count() == 3


def test_a_stale_job_does_not_hold_a_slot_and_other_users_are_not_counted(world, other_world):
    Job.objects.create(
        kind=Job.Kind.MASS_EDIT, user=world.user, status="running", heartbeat_at=long_ago()
    )
    Job.objects.create(kind=Job.Kind.MASS_EDIT, user=world.user, status="queued")
    for _ in range(2):
        Job.objects.create(kind=Job.Kind.MASS_EDIT, user=other_world.user, status="queued")

    job = jobs.start(Job.Kind.EXPORT_XLSX, user=world.user, params={}, total=0)

    assert job.status == Job.Status.QUEUED
    assert Job.objects.filter(status="failed", message=jobs.STALE_MESSAGE).count() == 1
    with pytest.raises(jobs.TooManyJobs, match=LIMIT_MESSAGE):
        jobs.start(Job.Kind.EXPORT_XLSX, user=world.user, params={}, total=0)


# --------------------------------------------------------------------------- bounded uploads


def test_a_large_csv_upload_reads_only_its_first_rows_in_the_request(
    as_a, world, monkeypatch, settings, django_capture_on_commit_callbacks, eager
):
    settings.IMPORT_PREVIEW_BYTES = 64 * 1024
    rows = 200_000
    content = ("DID,Tag\n" + "".join(f"{7_000_000 + i},bulk\n" for i in range(rows))).encode()
    assert len(content) > 20 * settings.IMPORT_PREVIEW_BYTES

    def full_read(*args, **kwargs):
        raise AssertionError("the request read the whole file")

    decoded = []
    real_decoded = readers.decoded_lines

    def counting(lines):
        for line in real_decoded(lines):
            decoded.append(1)
            yield line

    monkeypatch.setattr(readers, "read_rows", full_read)
    monkeypatch.setattr(readers, "decoded_lines", counting)
    job = job_of(upload(as_a, world, "big.csv", content))

    assert len(decoded) < 10_000  # a bounded sample of the 200,001 lines
    assert job.preview[:2] == [["DID", "Tag"], ["7000000", "bulk"]]
    assert job.mapping == ["did", "tag"] and job.has_header
    assert abs(job.rows_total - rows) < rows // 10  # an estimate from the sample

    # Counting and checking every row is the worker's dry run.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks() as queued:
        as_a.post(
            f"/dids/import/{job.pk}/columns/", {"col_0": "did", "col_1": "tag", "has_header": "on"}
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and len(queued) == 1
    queued[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN, job.message
    assert job.rows_total == rows and job.counts["created"] == rows


def _xlsx_with_rows(n: int) -> bytes:
    """An .xlsx whose sheet repeats one row ``n`` times: tiny zipped, large unzipped."""
    wb = Workbook()
    ws = wb.active
    ws.append(["DID", "Tag"])
    ws.append(["5550000", "same"])
    buf = io.BytesIO()
    wb.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index('<row r="2"')
                end = text.index("</row>", start) + len("</row>")
                row = text[start:end]
                rows = "".join(
                    row.replace('r="2"', f'r="{i}"').replace("A2", f"A{i}").replace("B2", f"B{i}")
                    for i in range(2, n + 2)
                )
                text = text[:start] + rows + text[end:]
                text = text.replace('<dimension ref="A1:B2"/>', "")
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_a_tiny_xlsx_of_many_rows_is_not_read_in_the_request_and_is_bounded_in_the_worker(
    as_a, world, monkeypatch, settings, django_capture_on_commit_callbacks, eager
):
    settings.IMPORT_PREVIEW_BYTES = 16 * 1024
    settings.IMPORT_MAX_ROWS = 50_000
    content = _xlsx_with_rows(60_000)
    assert len(content) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 4 * 1024 * 1024

    import openpyxl

    def no_workbook(*args, **kwargs):
        raise AssertionError("the request loaded the whole workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", no_workbook)
    monkeypatch.setattr(readers, "read_rows", no_workbook)
    job = job_of(upload(as_a, world, "bomb.xlsx", content))
    monkeypatch.undo()

    assert job.preview[:2] == [["DID", "Tag"], ["5550000", "same"]]
    assert job.rows_total > 20_000  # estimated: it goes to the worker, not the request
    upload_file = Path(job.file_path)
    with django_capture_on_commit_callbacks(execute=True):
        as_a.post(
            f"/dids/import/{job.pk}/columns/", {"col_0": "did", "col_1": "tag", "has_header": "on"}
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message == (
        "File: more than 50,000 rows; one import may hold at most 50,000 rows. "
        "Split it into smaller files."
    )
    assert not upload_file.exists() and not DID.objects.exists()


def test_columns_past_the_bound_are_refused_in_the_request(as_a, world, settings):
    settings.IMPORT_MAX_COLUMNS = 3
    response = upload(as_a, world, "wide.csv", b"DID,a,b,c\n1,2,3,4\n")
    assert response.status_code == 200
    assert "File: row 1 has more than 3 columns" in response.content.decode()
    assert not ImportJob.objects.exists()
    # Blank cells past the bound are no columns.
    job_of(upload(as_a, world, "ok.csv", b"DID,a,b,,\n1,2,3,,\n"))

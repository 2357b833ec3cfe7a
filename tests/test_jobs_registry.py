"""One background-job system (issue 8, item 6): ``jobs`` imports no domain app, the domain apps
register their handlers, a Jobs page lists a reseller's jobs, and progress moves with the
work."""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from imports.errors import ImportFileError
from imports.models import ImportJob
from inventory import jobs as inventory_jobs
from inventory import lifecycle, outcomes
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from jobs import registry
from jobs import services as jobs
from jobs import views as job_views
from jobs.models import Job
from jobs.selectors import active_jobs

from .jobs_support import running_import

DOMAIN_APPS = {
    "accounts",
    "clients",
    "operators",
    "packages",
    "subscriptions",
    "inventory",
    "imports",
    "api",
}
JOBS_DIR = Path(__file__).resolve().parent.parent / "jobs"


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):  # every import, at module level or inside a function
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_jobs_imports_no_domain_app():
    files = sorted(JOBS_DIR.rglob("*.py"))
    assert JOBS_DIR / "services.py" in files and JOBS_DIR / "views.py" in files
    offending = [
        f"{path.relative_to(JOBS_DIR)}: {name}"
        for path in files
        for name in imported_modules(ast.parse(path.read_text(), str(path)))
        if name.split(".")[0] in DOMAIN_APPS
    ]
    assert offending == []


def test_the_apps_register_their_kinds_and_their_user_errors():
    imports = {Job.Kind.IMPORT_CHECK, Job.Kind.IMPORT_APPLY}
    for kind in Job.Kind:
        entry = registry.handler_for(kind)
        assert entry.label == kind.label
        if kind in imports:
            assert entry.handler.__module__ == "imports.services"
            assert entry.is_user_error(ImportFileError("File: no"))
        else:
            assert entry.handler.__module__ == "inventory.jobs"
            assert entry.is_user_error(lifecycle.LifecycleError("no"))
        assert not entry.is_user_error(RuntimeError("crash"))


def test_a_job_runs_the_handler_its_app_registered(world, monkeypatch):
    seen = []

    def handler(job, progress):
        seen.append(job.pk)
        return "Did the thing."

    monkeypatch.setitem(registry.KINDS, "probe", registry.Registration("probe", handler, "Probe"))
    job = Job.objects.create(kind="probe", user=world.user, reseller=world.reseller, total=1)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert seen == [job.pk]
    assert (job.status, job.ok, job.message) == ("done", True, "Did the thing.")


def test_a_job_of_an_unknown_kind_fails_with_a_message(world):
    job = Job.objects.create(kind="nonesuch", user=world.user, reseller=world.reseller, total=1)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not job.ok
    assert job.message == (
        "Nothing was changed. No handler is registered for a job of kind “nonesuch”."
    )
    assert job.backend_pid is None and job.finished_at is not None


def test_an_imports_run_is_a_registered_job_that_counts_against_the_limit(world, tmp_path):
    for kind in (Job.Kind.IMPORT_CHECK, Job.Kind.IMPORT_APPLY):
        entry = registry.handler_for(kind)
        assert entry.on_end is not None and entry.produced is not None
    assert active_jobs(world.user) == 0
    running_import(world, tmp_path / "x.csv", status=Job.Status.RUNNING)
    assert active_jobs(world.user) == 1


# --------------------------------------------------------------------------- the Jobs page


def _done_job(w, user=None, **fields):
    return Job.objects.create(
        kind=fields.pop("kind", Job.Kind.MASS_EDIT),
        user=user or w.user,
        reseller=w.reseller,
        total=10,
        done=10,
        status=fields.pop("status", Job.Status.DONE),
        ok=True,
        message=fields.pop("message", "Mass Edit: 10 DIDs set to Archive."),
        back_url="/dids/?tag=x",
        **fields,
    )


def rows_of(page: str) -> set[str]:
    return {part.split('"')[0] for part in page.split('data-job="')[1:]}


def test_the_jobs_page_lists_the_resellers_jobs_newest_first_with_links(client, world, other_world):
    mine = _done_job(world)
    failed = _done_job(world, status=Job.Status.FAILED, message="Nothing was changed. No.")
    colleague = User.objects.create_user("colleague-A", password="x", reseller=world.reseller)
    theirs = _done_job(world, user=colleague)
    other = _done_job(other_world)

    client.force_login(world.user)
    page = client.get(reverse("jobs:job_list")).content.decode()
    assert rows_of(page) == {str(mine.pk), str(failed.pk), str(theirs.pk)}
    order = [page.index(f'data-job="{j.pk}"') for j in (theirs, failed, mine)]
    assert order == sorted(order)  # newest first
    assert 'href="/jobs/"' in page and ">Jobs</a>" in page  # the top navigation
    assert f'href="/jobs/{mine.pk}/"' in page and 'href="/dids/?tag=x"' in page
    assert "Mass Edit: 10 DIDs set to Archive." in page and "Nothing was changed. No." in page
    assert f'href="/jobs/{theirs.pk}/"' not in page  # listed; only its own user opens it
    assert f'href="/jobs/{other.pk}/"' not in page

    page = client.get(reverse("jobs:job_list"), {"status": "failed"}).content.decode()
    assert rows_of(page) == {str(failed.pk)}
    page = client.get(reverse("jobs:job_list"), {"kind": "export_csv"}).content.decode()
    assert rows_of(page) == set() and "No jobs match this search." in page


def _import_job(w, tmp_path, message, **fields):
    """A finished import run: its ``ImportJob`` and the ``Job`` it ran as."""
    imported, job = running_import(w, tmp_path / "dids.csv", status=Job.Status.DONE, **fields)
    Job.objects.filter(pk=job.pk).update(ok=True, message=message)
    ImportJob.objects.filter(pk=imported.pk).update(status="done", message=message)
    return imported, job


def test_imports_are_listed_with_the_jobs(client, world, other_world, tmp_path):
    job = _done_job(world)
    mine, mine_job = _import_job(world, tmp_path, "Imported 5 DIDs.")
    _import_job(other_world, tmp_path, "Imported B's DIDs.")
    client.force_login(world.user)
    page = client.get(reverse("jobs:job_list")).content.decode()
    assert rows_of(page) == {str(job.pk), str(mine_job.pk)}
    assert "Imported 5 DIDs." in page and "Imported B's DIDs." not in page
    assert f'href="{reverse("imports:did_import_job", args=[mine.pk])}"' in page
    page = client.get(reverse("jobs:job_list"), {"kind": "import_apply"}).content.decode()
    assert rows_of(page) == {str(mine_job.pk)}
    page = client.get(reverse("jobs:job_list"), {"kind": "mass_edit"}).content.decode()
    assert rows_of(page) == {str(job.pk)}
    page = client.get(reverse("jobs:job_list"), {"status": "failed"}).content.decode()
    assert "No jobs" in page and not rows_of(page)


def test_the_jobs_page_pages_newest_first_with_the_shared_pager(
    client, world, monkeypatch, tmp_path
):
    for n in range(3):
        _done_job(world, message=f"job {n}")
        _import_job(world, tmp_path, f"import {n}")
    monkeypatch.setattr(job_views.JobListView, "page_sizes", (4, 20))
    client.force_login(world.user)
    first = client.get(reverse("jobs:job_list")).content.decode()
    assert "Rows 1 - 4 of 6" in first
    following = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(reverse("jobs:job_list") + following.replace("&amp;", "&"))
    pages = [first, second.content.decode()]
    newest_first = ["import 2", "job 2", "import 1", "job 1", "import 0", "job 0"]
    shown = [[m for m in newest_first if m in page] for page in pages]
    assert shown == [newest_first[:4], newest_first[4:]]


def test_an_admin_sees_every_resellers_jobs(as_admin, world, other_world):
    a, b = _done_job(world), _done_job(other_world)
    page = as_admin.get(reverse("jobs:job_list")).content.decode()
    assert rows_of(page) == {str(a.pk), str(b.pk)}
    assert f'href="/jobs/{a.pk}/"' in page and f'href="/jobs/{b.pk}/"' in page


def test_an_exports_row_links_its_file(client, world, settings, tmp_path):
    settings.EXPORT_DIR = tmp_path
    path = tmp_path / "job-1.csv"
    path.write_text("ID\n")
    job = _done_job(
        world, kind=Job.Kind.EXPORT_CSV, file_path=str(path), file_name="dids.csv", message="ok"
    )
    client.force_login(world.user)
    page = client.get(reverse("jobs:job_list")).content.decode()
    assert f'href="/jobs/{job.pk}/download/"' in page and "Download dids.csv" in page


# --------------------------------------------------------------------------- progress


class Recorder:
    """Stands in for ``jobs.progress.Progress``: records what the work reports."""

    calls: list = []

    def __init__(self, table, row_id, **kwargs):
        pass

    def __call__(self, done=None, stage=None, force=False):
        Recorder.calls.append((done, stage))

    def update(self, **columns):
        pass

    def close(self):
        pass


class Rollback(Exception):
    pass


@pytest.fixture
def recorded(monkeypatch):
    Recorder.calls = []
    monkeypatch.setattr(jobs, "Progress", Recorder)
    return Recorder.calls


def test_a_background_mass_edit_reports_progress_after_each_chunk(world, monkeypatch, recorded):
    create_dids(parse("1000-1024"), operator=world.operator, actor=world.actor)
    first = world.did(Status.ACTIVE)
    create_dids(parse("2000-2024"), operator=world.operator, actor=world.actor)
    second = world.did(Status.ACTIVE)
    total = DID.objects.count()
    assert total == 52
    # What the same Mass Edit says inline (one statement), rolled back.
    try:
        with transaction.atomic():
            result = lifecycle.change_status(
                DID.objects.all(), Status.ARCHIVE, actor=world.actor, strict=False
            )
            inline = outcomes.update_outcome(set_status="archive", status_result=result)
            raise Rollback
    except Rollback:
        pass

    monkeypatch.setattr(inventory_jobs, "CHUNK", 20)  # 52 DIDs: 3 chunks
    job = Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=world.user,
        reseller=world.reseller,
        total=total,
        params={"action": "update", "q": "", "ids": None, "set_status": "archive", "changes": {}},
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.message
    reported = [done for done, _stage in recorded if done]
    assert reported == [17, 34, 52]  # after each chunk, before the job is Done
    assert job.message == inline.message and not job.ok
    assert "2 Active DIDs cannot become Archive" in job.message
    assert first.number in job.message and second.number in job.message
    assert DID.objects.filter(status="archive").count() == 50


def test_a_background_mass_edit_is_all_or_nothing(world, monkeypatch, recorded):
    create_dids(parse("1000-1049"), operator=world.operator, actor=world.actor)
    monkeypatch.setattr(inventory_jobs, "CHUNK", 20)
    real = inventory_jobs.update_dids
    calls = []

    def fails_on_the_third_chunk(selection, changes, *, actor):
        calls.append(1)
        if len(calls) == 3:
            raise lifecycle.LifecycleError("Refused: the third chunk.")
        return real(selection, changes, actor=actor)

    monkeypatch.setattr(inventory_jobs, "update_dids", fails_on_the_third_chunk)
    job = Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=world.user,
        reseller=world.reseller,
        total=50,
        params={"action": "update", "q": "", "ids": None, "changes": {"tag": "t"}},
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (
        job.status == "failed" and job.message == "Nothing was changed. Refused: the third chunk."
    )
    assert len(calls) == 3 and not DID.objects.filter(tag="t").exists()


def test_a_background_delete_reports_after_each_chunk(world, monkeypatch, recorded):
    create_dids(parse("1000-1049"), operator=world.operator, actor=world.actor)
    monkeypatch.setattr(inventory_jobs, "CHUNK", 20)
    job = Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=world.user,
        reseller=world.reseller,
        total=50,
        params={"action": "delete", "q": "", "ids": None},
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == ("done", "Deleted 50 DIDs.")
    assert [done for done, _stage in recorded if done] == [16, 33, 50]
    assert not DID.objects.exists()


def test_an_export_reports_the_rows_written(world, recorded, settings, tmp_path):
    settings.EXPORT_DIR = tmp_path
    create_dids(parse("1000-1004"), operator=world.operator, actor=world.actor)
    for kind in (Job.Kind.EXPORT_XLSX, Job.Kind.EXPORT_CSV):
        recorded.clear()
        job = Job.objects.create(kind=kind, user=world.user, reseller=world.reseller, params={})
        jobs.run(job.pk)
        job.refresh_from_db()
        assert job.status == "done" and job.message.startswith("Exported 5 DIDs."), kind
        assert (5, None) in recorded, (kind, recorded)

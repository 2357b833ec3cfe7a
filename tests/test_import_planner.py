"""Import DIDs, the plan and its writes (``imports.services``): all or nothing, changes only
where the file says so, the task, the benchmark's import, progress and batched writes."""

import pytest
from django.db import connection, transaction

from audit.models import AuditRecord
from audit.services import Actor
from bench.figures_import import import_csv
from imports import planner, progress, services, writer
from imports.choices import Status as JobStatus
from imports.models import ImportJob
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, update_dids
from jobs.models import Job
from jobs.progress import Progress
from operators.models import Operator
from tests.import_support import (
    numbers,
    spec,
)

pytestmark = pytest.mark.usefixtures("import_dir")


def test_apply_is_all_or_nothing_when_a_late_step_fails(world, tmp_path, monkeypatch):
    world.did(Status.IN_STOCK, number="400")
    path = tmp_path / "late.csv"
    path.write_text("DID,Status,Tag\n400,archive,x\n401,reserved,y\n")

    def refuse(*args, **kwargs):
        raise lifecycle.IllegalTransition("DID 400 changed meanwhile.")

    monkeypatch.setattr(lifecycle, "set_status", refuse)
    with pytest.raises(lifecycle.IllegalTransition):
        services.apply(spec(world, path), actor=world.actor)

    assert not DID.objects.filter(number="401").exists()
    assert DID.objects.get(number="400").tag == ""
    assert not AuditRecord.objects.filter(action__startswith="import_").exists()


def test_existing_dids_change_only_where_the_file_says_so(world, tmp_path):
    other = Operator.objects.create(name="Second", reseller=world.reseller)
    world.did(Status.IN_STOCK, number="500", tag="keep", notes="keep")
    world.did(Status.RESERVED, number="501", tag="keep", notes="keep")
    path = tmp_path / "fields.csv"
    path.write_text(
        "DID,Operator,After Hold,Hold days,Notes\n500,Second,archive,7,new notes\n501,,,,\n"
    )

    rep = services.apply(spec(world, path, tag="default tag"), actor=world.actor)

    assert (rep.updated, rep.unchanged) == (2, 0)  # 501: its notes become empty
    first = DID.objects.get(number="500")
    assert (first.operator_id, first.after_hold_status, first.hold_days) == (
        other.pk,
        "archive",
        7,
    )
    assert (first.tag, first.notes, first.status) == ("keep", "new notes", Status.IN_STOCK)
    second = DID.objects.get(number="501")
    assert (second.tag, second.notes, second.status) == ("keep", "", Status.RESERVED)


def test_the_import_runs_as_a_job_through_the_one_job_runner(
    world, tmp_path, eager, monkeypatch, django_capture_on_commit_callbacks
):
    from jobs.tasks import run_job

    path = tmp_path / "t.csv"
    path.write_text("DID\n910\n")
    job = ImportJob.objects.create(
        user=world.user,
        reseller=world.reseller,
        file_path=str(path),
        original_name="t.csv",
        kind="csv",
        delimiter=",",
        has_header=True,
        mapping=["did"],
        rows_total=1,
        defaults={"operator": world.operator.pk, "status": "reserved"},
    )
    monkeypatch.setattr(services, "background_rows", lambda: 0)  # a large file: the worker
    with django_capture_on_commit_callbacks(execute=True):
        services.start(job, "check")
    job.refresh_from_db()
    check = job.job
    assert check.kind == Job.Kind.IMPORT_CHECK and check.status == Job.Status.DONE
    assert check.ok and "1 to create" in check.message
    assert job.status == ImportJob.Status.DRY_RUN and job.counts["created"] == 1

    assert run_job.delay(check.pk).get() == "done"  # re-delivered: does nothing
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN and not DID.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.start(job, "all")
    job.refresh_from_db()
    assert job.job.kind == Job.Kind.IMPORT_APPLY and job.job.status == Job.Status.DONE
    assert job.status == ImportJob.Status.DONE
    assert numbers() == {"910": Status.RESERVED}


# --------------------------------------------------------------------------- the benchmark hook


def test_import_csv_for_benchmark_runs_a_dry_run_and_applies(world, tmp_path):
    create_dids(parse("960"), operator=world.operator, actor=world.actor)
    did = DID.objects.get(number="960")
    update_dids([did.pk], {"tag": "old"}, actor=world.actor)
    path = tmp_path / "bench.csv"
    path.write_text("DID,Status,Tag\n960,reserved,new\n961,instock,t\n962,archive,t\n")

    counts = import_csv(path, operator=world.operator, actor=Actor.for_user(world.user))

    assert (counts["created"], counts["updated"], counts["refused"]) == (2, 1, 0)
    assert counts["dry_run"]["created"] == 2 and counts["seconds"] >= 0
    assert numbers() == {"960": Status.RESERVED, "961": Status.IN_STOCK, "962": Status.ARCHIVE}
    with connection.cursor() as cur:  # the temporary tables are gone with the transaction
        cur.execute("SELECT to_regclass('pg_temp.imp_rows') IS NULL")
        assert cur.fetchone()[0] in (True, None)


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_outside_the_imports_transaction(world, tmp_path):
    job = Job.objects.create(kind=Job.Kind.IMPORT_CHECK, user=world.user, total=100)
    progress = Progress(Job._meta.db_table, job.pk)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            progress(40, "Reading the file", force=True)
            job.refresh_from_db()
            assert (job.done, job.stage) == (40, "Reading the file")
            raise RuntimeError("the import rolls back")
    finally:
        progress.close()
    job.refresh_from_db()
    assert (job.done, job.stage, job.percent) == (40, "Reading the file", 40)


def test_large_writes_go_in_batches_of_rows(world, tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "WRITE_BATCH", 2)
    create_dids(parse("980-984"), operator=world.operator, actor=world.actor)
    path = tmp_path / "batches.csv"
    lines = [f"{n},t{n}" for n in range(980, 990)]  # 5 to update, 5 to create
    path.write_text("DID,Tag\n" + "\n".join(lines) + "\n")
    steps = []

    rep = services.apply(
        spec(world, path, rows_hint=10),
        actor=world.actor,
        progress=lambda done=None, stage=None, force=False: steps.append((stage, done)),
    )

    assert (rep.created, rep.updated) == (5, 5)
    assert dict(DID.objects.values_list("number", "tag")) == {
        str(n): f"t{n}" for n in range(980, 990)
    }


def test_an_import_job_moves_only_as_its_table_says():
    assert services.can_move(JobStatus.UPLOADED, JobStatus.MAPPED)
    assert not services.can_move(JobStatus.UPLOADED, JobStatus.RUNNING)  # columns first
    assert services.can_move(JobStatus.DRY_RUN, JobStatus.RUNNING)  # apply a checked file
    assert services.can_move(JobStatus.RUNNING, JobStatus.MAPPED)  # a conflict: columns again
    assert all(not services.can_move(JobStatus.DONE, s) for s in JobStatus)  # applied stays
    assert set(services.MOVES) == set(JobStatus)


# --------------------------------------------------------------------------- progress that moves


@pytest.mark.parametrize("kind", ["csv", "xlsx"])  # imp_src: PostgreSQL's view, or a table
def test_a_large_file_is_planned_in_ranges_as_in_one_statement(world, tmp_path, monkeypatch, kind):
    create_dids(parse("700-701"), operator=world.operator, actor=world.actor)
    cells = ["700", "702", "703", "12a", "704", "705", "706", "702", "707", "701"]
    path = tmp_path / f"ranges.{kind}"
    if kind == "csv":
        path.write_text("DID,Tag\n" + "".join(f"{c},t\n" for c in cells))
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(["DID", "Tag"])
        for c in cells:
            sheet.append([c, "t"])
        book.save(path)

    def checked(batch):
        monkeypatch.setattr(planner, "PLAN_BATCH", batch)
        steps = []
        rep = services.check(
            spec(world, path, rows_hint=10),
            progress=lambda done=None, stage=None, force=False: steps.append((stage, done)),
        )
        stages = [stage for stage, _ in steps]
        during = [done for stage, done in steps[stages.index("Checking the rows") + 1 :]]
        return rep, during

    in_ranges, during = checked(3)
    whole, _ = checked(100_000)
    assert during == [3, 6, 9, 10]  # rows 2-4, 5-7, 8-10, 11: the bar moves
    assert {**in_ranges.counts(), "seconds": 0} == {**whole.counts(), "seconds": 0}
    assert in_ranges.errors == whole.errors
    assert (in_ranges.created, in_ranges.updated, in_ranges.refused) == (6, 2, 2)
    refused = [e["row"] for e in in_ranges.errors]
    assert refused == [5, 9]  # "12a"; 702 again, its first row in another range


def test_a_runs_stages_fill_one_bar_that_never_moves_back():
    calls = []
    staged = progress.Staged(
        lambda done, stage, force=False: calls.append(done), 10, progress.APPLY_STAGES
    )
    staged(0, "Reading the file")
    staged(10)
    staged(stage="Checking the rows")
    staged(5)
    staged(0, "Creating DIDs")
    staged(4)
    staged(0, "Updating DIDs")
    staged(2)
    staged(stage="Changing statuses")
    assert calls == [0, 10, 10, 15, 20, 24, 30, 32, 40]

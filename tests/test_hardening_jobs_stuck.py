"""Issue 7, item 7: a job whose worker was killed ends failed ("nothing was changed"), can be
cancelled and loses its upload file; re-delivered tasks are harmless; tasks are acks-late and
reject-on-worker-lost, and worker connections are bounded."""

import dataclasses

import pytest
from django.db import connections
from django.utils import timezone

from imports.models import ImportJob
from inventory.models import DID
from jobs import registry
from jobs import services as jobs
from jobs.models import Job

# The fixtures are imported to be used by name; `folders` is autouse.
from .jobs_support import (  # noqa: F401
    eager,
    error_messages,
    folders,
    long_ago,
    other_session,
    running_import,
)

# --------------------------------------------------------------------------- stuck jobs


def test_a_killed_workers_job_ends_failed_is_cancelled_and_its_session_ended(
    as_a, world, other_session
):
    job = Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=world.user,
        status=Job.Status.RUNNING,
        total=100,
        heartbeat_at=timezone.now(),
        backend_pid=other_session.pid,
        backend_start=other_session.started,
    )
    # Beating: it runs, and Cancel says so.
    response = as_a.post(f"/jobs/{job.pk}/cancel/")
    assert error_messages(response) == ["Cancel: this job is running; wait for it to finish."]
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and other_session.alive()

    # No heartbeat for longer than JOB_STALE_AFTER: the page shows it failed.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago())
    page = as_a.get(f"/jobs/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not job.ok
    assert job.message == "The worker stopped; nothing was changed."
    assert "The worker stopped; nothing was changed." in page
    assert not other_session.alive()  # its locks went with its session

    response = as_a.post(f"/jobs/{job.pk}/cancel/")
    assert response.status_code == 302 and not Job.objects.filter(pk=job.pk).exists()


def test_a_killed_workers_import_ends_failed_loses_its_file_and_can_be_cancelled(
    as_a, world, folders, other_session
):
    path = folders / "upload.csv"
    path.write_text("DID\n1\n")
    imported, job = running_import(
        world,
        path,
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now(),
        backend_pid=other_session.pid,
        backend_start=other_session.started,
    )
    response = as_a.post(f"/dids/import/{imported.pk}/cancel/")
    assert error_messages(response) == ["Cancel: this import is running or applied already."]
    assert path.exists()

    # No heartbeat: the job's progress (the one endpoint the import page polls) says failed,
    # and the import follows: failed, its file gone, the worker's session ended.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago())
    progress = as_a.get(f"/jobs/{job.pk}/progress/").json()
    assert progress["status"] == "failed"
    assert progress["message"] == "The worker stopped; nothing was changed."
    imported.refresh_from_db()
    assert imported.status == ImportJob.Status.FAILED
    assert imported.message == "The worker stopped; nothing was changed."
    assert not path.exists() and not other_session.alive()
    page = as_a.get(f"/dids/import/{imported.pk}/").content.decode()
    assert "The worker stopped; nothing was changed." in page

    response = as_a.post(f"/dids/import/{imported.pk}/cancel/")
    assert response.status_code == 302 and not ImportJob.objects.filter(pk=imported.pk).exists()


def test_the_beat_sweep_fails_stale_jobs_and_only_those(world, settings, folders):
    assert settings.CELERY_BEAT_SCHEDULE["jobs-sweep"]["task"] == "jobs.tasks.sweep"
    stale = Job.objects.create(
        kind=Job.Kind.MASS_EDIT, user=world.user, status="running", heartbeat_at=long_ago()
    )
    beating = Job.objects.create(
        kind=Job.Kind.MASS_EDIT, user=world.user, status="running", heartbeat_at=timezone.now()
    )
    # Waiting for a worker (never beat): not stale, nor is its import.
    waiting, waiting_job = running_import(world, folders / "x.csv", status=Job.Status.QUEUED)
    stale_import, stale_job = running_import(
        world, folders / "y.csv", status=Job.Status.RUNNING, heartbeat_at=long_ago()
    )
    from jobs.tasks import sweep

    assert sweep.apply().get() == {"stale": 2, "files": 0}
    for job in (stale, beating, waiting, waiting_job, stale_import, stale_job):
        job.refresh_from_db()
    assert (stale.status, stale.message) == ("failed", jobs.STALE_MESSAGE)
    assert beating.status == "running" and waiting_job.status == "queued"
    assert waiting.status == ImportJob.Status.RUNNING
    assert (stale_job.status, stale_import.status) == ("failed", ImportJob.Status.FAILED)


def test_a_waiting_import_can_be_cancelled(as_a, world, folders):
    path = folders / "w.csv"
    path.write_text("DID\n1\n")
    imported, job = running_import(world, path, mode="check", status=Job.Status.QUEUED)
    as_a.post(f"/dids/import/{imported.pk}/cancel/")
    assert not ImportJob.objects.exists() and not path.exists()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    # The task arriving later finds nothing to do.
    assert jobs.run(job.pk).status == Job.Status.CANCELLED
    assert not ImportJob.objects.exists()


# --------------------------------------------------------------------------- re-delivery


def test_a_redelivered_task_for_a_finished_job_does_nothing(world, eager):
    from jobs.tasks import run_job

    params = {
        "numbers": "300-309",
        "operator_id": world.operator.pk,
        "status": "in_stock",
        "after_hold": "in_stock",
    }
    for status in ("done", "failed", "cancelled"):
        job = Job.objects.create(
            kind=Job.Kind.CREATE_DIDS,
            user=world.user,
            total=10,
            params=params,
            status=status,
            message="as it was",
        )
        assert run_job.delay(job.pk).get() == status
        job.refresh_from_db()
        assert job.status == status and job.message == "as it was"
    assert not DID.objects.exists()

    from pathlib import Path

    imported, job = running_import(world, Path("/nonexistent.csv"), status=Job.Status.DONE)
    ImportJob.objects.filter(pk=imported.pk).update(status="done", message="as it was")
    assert run_job.delay(job.pk).get() == "done"
    imported.refresh_from_db()
    assert imported.status == "done" and imported.message == "as it was"


def test_a_redelivered_task_for_a_running_job_ends_the_old_session_and_runs_it(
    world, other_session
):
    job = Job.objects.create(
        kind=Job.Kind.CREATE_DIDS,
        user=world.user,
        total=10,
        params={
            "numbers": "400-409",
            "operator_id": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
        status=Job.Status.RUNNING,
        heartbeat_at=timezone.now(),
        backend_pid=other_session.pid,
        backend_start=other_session.started,
    )

    jobs.run(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message == "Created 10 DIDs."
    assert DID.objects.count() == 10 and not other_session.alive()
    assert job.backend_pid is None


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_lost_its_job_commits_nothing(monkeypatch, other_session):
    """The stale check failed the job while its (slow, not dead) worker ran: that worker's
    work rolls back, so "nothing was changed" stays true."""
    from .conftest import World

    world = World("A")
    job = Job.objects.create(
        kind=Job.Kind.CREATE_DIDS,
        user=world.user,
        total=5,
        params={
            "numbers": "500-504",
            "operator_id": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    entry = registry.handler_for(Job.Kind.CREATE_DIDS)
    real = entry.handler

    def slow(job, progress):
        message = real(job, progress)
        # Meanwhile, elsewhere (and committed): the stale check fails the job.
        other_session.conn.execute(
            "UPDATE jobs_job SET status = 'failed', message = %s WHERE id = %s",
            [jobs.STALE_MESSAGE, job.pk],
        )
        return message

    monkeypatch.setitem(registry.KINDS, entry.kind, dataclasses.replace(entry, handler=slow))
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.message == jobs.STALE_MESSAGE
    assert not DID.objects.exists()


# --------------------------------------------------------------------------- Celery, sessions


def test_tasks_are_acks_late_and_rejected_when_their_worker_is_lost(settings):
    from config.celery import app
    from jobs.tasks import run_job, sweep

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    for task in (run_job, sweep):
        registered = app.tasks[task.name]
        assert registered.acks_late is True, task.name
        assert registered.reject_on_worker_lost is True, task.name


def test_worker_connections_get_a_statement_timeout(db, monkeypatch, settings):
    from jobs import worker

    settings.WORKER_STATEMENT_TIMEOUT = 1234
    conn = connections.create_connection("default")
    try:
        conn.ensure_connection()  # not in a worker: the server's defaults
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "0"
    finally:
        conn.close()

    monkeypatch.setattr(worker, "_in_worker", True)
    conn = connections.create_connection("default")
    try:
        conn.ensure_connection()
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "1234s"
            cur.execute("SHOW idle_in_transaction_session_timeout")
            assert cur.fetchone()[0] == "10min"
            cur.execute("SHOW client_connection_check_interval")
            assert cur.fetchone()[0] == "2s"
    finally:
        conn.close()

"""Starting and running background jobs. The work itself is the same service a small request
calls inline (``create_dids``, ``change_status``, ``update_dids``, ``delete_dids``, the
exports): one transaction, all or nothing; the job only adds a queue and a progress bar.
The domain apps register the handlers (``jobs.registry``); ``run`` dispatches through it,
and this module imports no domain app.

Jobs are safe to run again. The Celery tasks are acks-late and reject-on-worker-lost, so a
task whose worker died is delivered again: ``run`` does nothing for a job that is done,
failed or cancelled, and restarts one that was running (its worker's transaction rolled
back, so it changed nothing; its database session is ended first). The outcome is written
only by the attempt that holds the job (its database session is on the row), inside the
work's transaction for the writes, so a job failed as stale meanwhile stays "nothing changed".

A job that stopped beating (``JOB_STALE_AFTER``) is failed by ``fail_stale``: from the
``jobs.tasks.sweep`` beat task, and whenever its page is viewed.

How many jobs a user may have waiting or running at once (``JOBS_PER_USER``, and one of a
kind's ``one_at_a_time`` group: one export) is decided by ``reserve_slot``, and only there.

A job that ends without its handler's outcome (failed, stale, cancelled) is handed to its
app's ``on_end`` (``ended``), so that the app's own record of the work follows.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from urllib.parse import urlencode

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from . import registry
from .models import Job
from .progress import Progress
from .selectors import active_job_of, active_jobs

log = logging.getLogger(__name__)

STALE_MESSAGE = "The worker stopped; nothing was changed."
FAILED_PREFIX = "Nothing was changed. "
CANCELLED_MESSAGE = "Cancelled; nothing was changed."


def threshold() -> int:
    """Above this many DIDs, New DIDs and Mass Edit run in the background; above this many
    rows, so does a CSV export (XLSX exports always do)."""
    return settings.BACKGROUND_THRESHOLD


# --------------------------------------------------------------------------- the per-user limit


class TooManyJobs(Exception):
    """The user has ``JOBS_PER_USER`` jobs waiting or running; ``str()`` says so."""

    def __init__(self, limit: int):
        self.limit = limit
        noun = "job" if limit == 1 else "jobs"
        super().__init__(f"You already have {limit:,} {noun} running; wait for one to finish.")


class AlreadyRunning(TooManyJobs):
    """The user's ``job`` of the same one-at-a-time group (the exports) waits or runs; ``str()``
    names it. A ``TooManyJobs``, so every caller that refuses the one refuses the other."""

    def __init__(self, job: Job):
        self.job = job
        self.limit = 1
        state = "waiting for a worker" if job.status == Job.Status.QUEUED else "running"
        Exception.__init__(
            self,
            f"Your {registry.label_for(job.kind, job.get_kind_display())} #{job.pk} is still "
            f"{state}; one runs at a time. Wait for it to finish, then start another.",
        )


def check_one_at_a_time(user, kind: str) -> None:
    """Raise ``AlreadyRunning`` if ``user`` has a job of ``kind``'s one-at-a-time group
    waiting or running. ``reserve_slot`` calls it under its lock; a request that does the same
    kind of work inline (a small export) calls it too, so it does not run beside a job."""
    running = active_job_of(user, registry.kinds_one_at_a_time(kind))
    if running is not None:
        raise AlreadyRunning(running)


def jobs_per_user() -> int:
    return getattr(settings, "JOBS_PER_USER", 2)


def reserve_slot(user, kind: str = "") -> None:
    """Raise ``TooManyJobs`` if ``user`` may not start another background job now, or
    ``AlreadyRunning`` if it is of ``kind``'s one-at-a-time group and one of those waits or
    runs.

    The one place that decides it. Call it inside the transaction that then creates (or
    queues) the job: it locks the user's row, so two requests cannot both take the last
    slot. Stale jobs are failed first (in their own transaction), so a dead worker does not
    hold a slot.
    """
    if user is None or user.pk is None:
        return
    assert connection.in_atomic_block, "reserve_slot needs the transaction that starts the job"
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    limit = jobs_per_user()
    if active_jobs(user) >= limit:
        raise TooManyJobs(limit)
    if kind:
        check_one_at_a_time(user, kind)


# The Celery task that runs a job (``jobs.tasks.run_job``), found by name in the app's task
# registry: the task (above this module) calls ``run``, so this module does not import it.
RUN_TASK = "jobs.tasks.run_job"


def queue(job_id: int):
    """Send job ``job_id`` to the worker (run at once when tasks are eager)."""
    return current_app.tasks[RUN_TASK].delay(job_id)


def start(kind: str, *, user, params: dict, total: int, back_url: str = "") -> Job:
    """Queue a job for ``user``; ``TooManyJobs`` if the user has enough running already."""
    fail_stale(user=user)
    with transaction.atomic():
        reserve_slot(user, kind)
        job = Job.objects.create(
            kind=kind,
            user=user,
            reseller_id=getattr(user, "reseller_id", None),
            params=params,
            total=total,
            back_url=back_url,
            stage="Waiting for a worker",
        )
        transaction.on_commit(lambda: queue(job.pk))
    return job


# --------------------------------------------------------------------------- running


class JobLost(Exception):
    """Another attempt took the job over, or it was failed as stale: this attempt's work
    must not commit."""


def backend() -> tuple[int, dt.datetime]:
    """This connection's database session: its pid and start time (pg_stat_activity)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        return cur.fetchone()


def end_backend(pid: int | None, started: dt.datetime | None) -> bool:
    """End the database session of a dead (or superseded) attempt, so that its locks go now
    and not when its last query ends. Only that session: the pid with that start time (a
    pid alone may have been reused). Returns whether a session was ended."""
    if not pid or started is None:
        return False
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # the sessions as they are now
            cur.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE pid = %s AND backend_start = %s AND pid <> pg_backend_pid()",
                [pid, started],
            )
            row = cur.fetchone()
    except DatabaseError:
        log.warning("Could not end the database session %s of a stopped job", pid)
        return False
    return bool(row and row[0])


def claim(pk: int) -> Job | None:
    """Take job ``pk`` for this attempt: returns the job, or None when there is nothing to
    do (it is gone, finished, failed or cancelled, or another attempt took it).

    A Running job with a session on it is a re-delivered task whose worker died: its
    session is ended and the job starts again.
    """
    job = Job.objects.filter(pk=pk).first()
    if job is None or job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
        return None
    if job.status == Job.Status.RUNNING and job.backend_pid:
        log.warning("Job %s: its worker stopped; running it again", pk)
        end_backend(job.backend_pid, job.backend_start)
    pid, started = backend()
    now = timezone.now()
    taken = Job.objects.filter(
        pk=pk, status=job.status, backend_pid=job.backend_pid, backend_start=job.backend_start
    ).update(status=Job.Status.RUNNING, backend_pid=pid, backend_start=started, heartbeat_at=now)
    if not taken:
        return None
    job.refresh_from_db()
    return job


def failure_message(exc: BaseException, entry) -> str:
    """What a failed job says: the error's own words when they are for the user (one of its
    app's ``user_errors``, or no app for its kind), else only the kind of error: an
    unexpected error's text (SQL, paths) is for the log."""
    if entry is None or entry.is_user_error(exc):
        return f"{FAILED_PREFIX}{exc}"
    return f"{FAILED_PREFIX}The job failed ({exc.__class__.__name__}); the error is logged."


def run(job_id: int) -> Job | None:
    """Run job ``job_id`` (the Celery task's body); safe to call again for the same job."""
    job = claim(job_id)
    if job is None:
        return Job.objects.filter(pk=job_id).first()
    mine = {"pk": job.pk, "status": Job.Status.RUNNING, "backend_pid": job.backend_pid}
    Job.objects.filter(**mine).update(stage="Starting", done=0)
    progress = Progress(Job._meta.db_table, job.pk)
    extra: dict = {}
    entry = None
    try:
        entry = registry.handler_for(job.kind)  # UnknownKind: the job fails, saying so
        with transaction.atomic():
            result = entry.handler(job, progress)
            message, extra = result if isinstance(result, tuple) else (result, {})
            extra = dict(extra)
            # Done, but with refusals or fewer DIDs than promised, is not shown as a success:
            # the handler says so with ``ok=False``, or a message with ``ok`` (an Outcome).
            ok = extra.pop("ok", getattr(message, "ok", True))
            finished = Job.objects.filter(**mine).update(
                status=Job.Status.DONE,
                ok=ok,
                done=job.total,
                stage="Done",
                message=str(message),
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
                backend_pid=None,
                backend_start=None,
                **extra,
            )
            if not finished:
                raise JobLost()
    except JobLost:
        log.warning("Job %s: another attempt or the stale check took it; rolled back", job.pk)
        remove_file(extra.get("file_path"))
    except Exception as exc:  # noqa: BLE001 - the user sees why; the transaction rolled back
        remove_file(extra.get("file_path"))
        if entry is None or not entry.is_user_error(exc):
            log.exception("Job %s failed", job.pk)
        try:
            if Job.objects.filter(**mine).update(
                status=Job.Status.FAILED,
                ok=False,
                message=failure_message(exc, entry),
                stage="",
                finished_at=timezone.now(),
                backend_pid=None,
                backend_start=None,
            ):
                ended(job.pk)
        except DatabaseError:
            log.exception("Job %s: could not record its failure", job.pk)
    finally:
        progress.close()
    job.refresh_from_db()
    return job


# --------------------------------------------------------------------------- files


def export_dir() -> Path:
    """Where a job's file (an export) is written; the download serves files from here only."""
    return Path(getattr(settings, "EXPORT_DIR", settings.BASE_DIR / "var" / "exports"))


def job_file(job: Job, suffix: str) -> Path:
    """A new file for ``job``'s output under ``export_dir()``; the handler returns its path
    as the job's ``file_path`` (removed with the job, or after ``JOB_FILE_TTL_HOURS``)."""
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"job-{job.pk}-{uuid.uuid4().hex}{suffix}"


# --------------------------------------------------------------------------- stale jobs, files


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "JOB_STALE_AFTER", 600))


def file_ttl_hours() -> int:
    return getattr(settings, "JOB_FILE_TTL_HOURS", 24)


def remove_file(path) -> None:
    if not path:
        return
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:
        log.warning("Could not remove %s", path)


def ended(pk: int) -> None:
    """Tell job ``pk``'s app that it ended without its handler's outcome (``on_end``)."""
    job = Job.objects.filter(pk=pk).first()
    entry = registry.KINDS.get(job.kind) if job is not None else None
    if entry is None or entry.on_end is None:
        return
    try:
        with transaction.atomic():
            entry.on_end(job)
    except Exception:  # noqa: BLE001 - the job's own outcome is recorded already
        log.exception("Job %s: its app could not follow its end", pk)


def fail_stale(*, user=None, pk: int | None = None) -> int:
    """Fail every Running job whose worker has not written a heartbeat for
    ``JOB_STALE_AFTER``: "The worker stopped; nothing was changed." Its database session is
    ended (its locks go at once) and its file removed. Narrowed to ``user``, or to one job
    (``pk``). Returns how many jobs were failed."""
    cutoff = timezone.now() - stale_after()
    failed = 0
    qs = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff)
    if user is not None:
        qs = qs.filter(user=user)
    if pk is not None:
        qs = qs.filter(pk=pk)
    for job in qs:
        # Conditional: a worker that finished meanwhile keeps its outcome.
        if not Job.objects.filter(
            pk=job.pk, status=Job.Status.RUNNING, heartbeat_at__lt=cutoff
        ).update(
            status=Job.Status.FAILED,
            ok=False,
            message=STALE_MESSAGE,
            stage="",
            finished_at=timezone.now(),
            backend_pid=None,
            backend_start=None,
            file_path="",
            file_name="",
        ):
            continue
        failed += 1
        log.warning("Job %s: no heartbeat since %s; failed", job.pk, cutoff)
        end_backend(job.backend_pid, job.backend_start)
        remove_file(job.file_path)  # an export's partial file
        ended(job.pk)
    return failed


def cancel_waiting(pk: int) -> bool:
    """Cancel job ``pk`` if no worker has taken it yet; whether it was cancelled."""
    if not Job.objects.filter(pk=pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED,
        message=CANCELLED_MESSAGE,
        stage="",
        finished_at=timezone.now(),
    ):
        return False
    ended(pk)
    return True


def cancel(job: Job) -> str:
    """Cancel a waiting job, or remove a finished one with its file. Returns the message for
    the user; ``ValueError`` (a message) for a job that is running."""
    fail_stale(pk=job.pk)
    job.refresh_from_db()
    if job.status == Job.Status.QUEUED:
        if cancel_waiting(job.pk):
            return f"Cancelled {job}; nothing was changed."
        job.refresh_from_db()
    if job.status == Job.Status.RUNNING:
        raise ValueError("Cancel: this job is running; wait for it to finish.")
    remove_file(job.file_path)
    job.delete()
    return f"Removed {job}" + (" and its file." if job.file_path else ".")


def remove_old_files() -> int:
    """Remove export files older than ``JOB_FILE_TTL_HOURS`` (the job stays, without its
    file). Returns how many files were removed."""
    cutoff = timezone.now() - dt.timedelta(hours=file_ttl_hours())
    removed = 0
    for job in Job.objects.filter(finished_at__lt=cutoff).exclude(file_path=""):
        remove_file(job.file_path)
        Job.objects.filter(pk=job.pk).update(file_path="")
        removed += 1
    return removed


def sweep() -> dict:
    """The periodic task's body: fail stale jobs, remove old export files."""
    return {"stale": fail_stale(), "files": remove_old_files()}


def query_of(params: dict) -> str:
    return urlencode(params, doseq=True)

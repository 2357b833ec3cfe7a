"""Import DIDs, the services: check (the dry run), apply, and a job's run.

The rows of a file are read once per run and loaded with ``COPY`` into a temporary table
(``imports.loading``); everything after that is set-based SQL: the plan decides every row
(``imports.planner``), the dry run stops there, and applying writes the plan
(``imports.writer``) in one transaction: everything or nothing, unless the user chose to
apply only the valid rows. All audit rows of one import share the job's change set.

Row semantics: a DID not in the inventory is created (Reserved, In Stock or Archive only);
an existing DID gets the file's values where the file gives one; a row that says what the DID
already is changes nothing. So a file exported by ``inventory.exporting`` imports back as
all unchanged. Rows are numbered as in the file (a header is row 1).

An ``ImportJob`` moves only as ``MOVES`` allows (``can_move``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import Actor
from config.limits import NOTES_MAX, TAG_MAX
from config.text import count
from inventory import lifecycle
from inventory.choices import AfterHold, Status
from jobs import services as jobs
from jobs.models import Job
from operators.models import Operator

from . import names, planner, plans, preview, readers, writer
from .choices import Status as JobStatus
from .errors import ImportConflict, ImportFileError, ImportRefused
from .loading import Run
from .models import ImportJob
from .progress import Staged, stages_of
from .refused import refused_path, write_refused
from .spec import ImportReport, ImportSpec, check_mapping, no_progress

log = logging.getLogger(__name__)

# An import job's statuses as a table: {status: the statuses it may move to}. Uploaded, it
# waits for its columns; Columns chosen or Checked, it runs (a dry run, or an apply of a
# checked file); a run ends Checked, Applied, back where it was (a conflict) or Failed. An
# applied job stays applied. Cancel deletes a job that is not applied or running.
MOVES: dict[str, frozenset[str]] = {
    JobStatus.UPLOADED: frozenset({JobStatus.MAPPED}),
    JobStatus.MAPPED: frozenset({JobStatus.MAPPED, JobStatus.RUNNING}),
    JobStatus.DRY_RUN: frozenset({JobStatus.MAPPED, JobStatus.RUNNING}),
    JobStatus.FAILED: frozenset({JobStatus.MAPPED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.DRY_RUN, JobStatus.DONE, JobStatus.MAPPED, JobStatus.FAILED}
    ),
    JobStatus.DONE: frozenset(),
}


def can_move(source: str, target: str) -> bool:
    """Whether an import job in ``source`` may move to ``target`` (``MOVES``)."""
    return target in MOVES.get(source, ())


def background_rows() -> int:
    """Files with more data rows than this run in the background (Celery)."""
    return getattr(settings, "IMPORT_BACKGROUND_ROWS", 20_000)


def import_dir() -> Path:
    return Path(getattr(settings, "IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))


def checked(
    spec: ImportSpec, progress: Callable, actor: Actor | None = None
) -> tuple[Run, ImportReport]:
    """The run, loaded (with step 2's choices for its names applied) and planned, and its
    report; ``ImportFileError`` for a bad choice."""
    errors = check_mapping(spec.mapping)
    if errors:
        raise ImportFileError(" ".join(errors))
    if spec.operator_id is not None:
        ops = Operator.objects.filter(pk=spec.operator_id)
        if spec.reseller_id is not None:
            ops = ops.filter(reseller_id=spec.reseller_id)
        if not ops.exists():
            raise ImportFileError("Operator: the default operator is not one of yours any more.")
    if not spec.path.is_file():
        raise ImportFileError("File: the uploaded file is gone; upload it again.")
    for label, value, limit in (("Tag", spec.tag, TAG_MAX), ("Notes", spec.notes, NOTES_MAX)):
        if value and len(value) > limit:
            raise ImportFileError(f"{label}: the default is longer than {limit:,} characters.")
    run = Run(spec, progress)
    run.load()
    names.apply_choices(run, actor or Actor.system("import"))
    planner.plan(run)
    rep = planner.report(run)
    if rep.refused or spec.names:
        rep.unknown = names.unknown(run)
    return run, rep


def planned(
    spec: ImportSpec, progress: Callable, actor: Actor | None = None
) -> tuple[Run, ImportReport]:
    """The apply's plan: the dry run's, kept (``imports.plans``), when it was made with the
    same choices and is still current; else the file read and planned again."""
    run = Run(spec, progress)
    rep = plans.reuse(run)
    if rep is not None:
        progress(0, "Reading the file", force=True)
        progress(stage="Checking the rows", force=True)
        return run, rep
    return checked(spec, progress, actor)


def check(
    spec: ImportSpec, *, progress: Callable = no_progress, actor: Actor | None = None
) -> ImportReport:
    """The dry run: what applying would create, update, leave unchanged and refuse, and the
    file's names that match nothing. Step 2's creations are made and rolled back with the
    rest. The refused rows are written to ``refused_path`` (with a Reason column)."""
    started = time.monotonic()
    refused = refused_path(spec.path)
    refused.unlink(missing_ok=True)
    plans.drop(spec.path)
    with transaction.atomic():
        run, rep = checked(spec, progress, actor)
        if rep.refused:
            write_refused(run, refused)
        if plans.keepable(spec) and rep.rows > rep.refused:
            # Nothing but temporary tables was written: the kept plan commits, alone.
            plans.keep(run, rep)
        else:
            transaction.set_rollback(True)
    rep.seconds = round(time.monotonic() - started, 3)
    return rep


def apply(
    spec: ImportSpec,
    *,
    actor: Actor,
    only_valid: bool = False,
    progress: Callable = no_progress,
    on_applied: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Check the file again and write it, in one transaction.

    All rows (refused with ``ImportRefused`` if any row is refused), or ``only_valid`` rows.
    ``on_applied`` runs inside the transaction, so a job's record commits with its data.
    """
    started = time.monotonic()
    with transaction.atomic():
        run, rep = planned(spec, progress, actor)
        if rep.refused and not only_valid:
            raise ImportRefused(rep)
        if rep.rows == rep.refused:  # no row at all, or none valid: nothing to apply
            raise ImportRefused(rep, nothing_valid=True)
        try:
            with transaction.atomic():
                writer.write(run, rep, actor)
        except IntegrityError as exc:  # a name the plan uses was deleted meanwhile
            raise ImportConflict(
                "Nothing was imported: an operator, client, account or subscription the file "
                "names changed while the import ran. Run it again."
            ) from exc
        plans.done_with(run)
        run.cleanup()
        rep.applied = True
        rep.seconds = round(time.monotonic() - started, 3)
        if on_applied is not None:
            on_applied(rep)
    return rep


def store_upload(uploaded) -> Path:
    """Save an uploaded file under the import folder; return its path."""
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(uploaded.name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return path


def spec_for(job) -> ImportSpec:
    d = job.defaults or {}
    return ImportSpec(
        path=Path(job.file_path),
        kind=job.kind,
        delimiter=job.delimiter,
        has_header=job.has_header,
        mapping=list(job.mapping),
        reseller_id=job.reseller_id,
        operator_id=d.get("operator"),
        status=d.get("status") or Status.RESERVED,
        after_hold=d.get("after_hold") or AfterHold.RESERVED,
        tag=d.get("tag") or "",
        notes=d.get("notes") or "",
        label=f"Import #{job.pk}: {job.original_name}"[:200],
        job_id=job.pk,
        rows_hint=job.rows_total,
        width=d.get("width") or 0,
        encoding=d.get("encoding") or "",
        names=d.get("names") or {},
    )


def actor_for(job) -> Actor:
    user = job.user
    if user is None:
        return Actor(username="import", change_set=job.change_set)
    return Actor(user_id=user.pk, username=user.get_username(), change_set=job.change_set)


def no_rows_text(rep: ImportReport) -> str:
    """What a dry run of a file without data rows says: there is nothing to apply."""
    if rep.rows:
        return ""
    return "The file has no data rows (only a header, or only blank rows): nothing to import."


def remove_file(job, *, refused: bool = False):
    """The upload goes, with its kept plan; with ``refused``, its refused rows too."""
    plans.drop(Path(job.file_path))
    try:
        Path(job.file_path).unlink(missing_ok=True)
        if refused:
            refused_path(Path(job.file_path)).unlink(missing_ok=True)
    except OSError:
        log.warning("Could not remove the import file %s", job.file_path)


def outcome_text(job: ImportJob, rep: ImportReport) -> str:
    """What a finished run says: the dry run's or the import's counts."""
    if rep.applied:
        return (
            f"Imported {job.original_name}: created {rep.created:,}, updated {rep.updated:,}, "
            f"unchanged {rep.unchanged:,}"
            + (f", skipped {count(rep.refused, 'refused row')}." if rep.refused else ".")
        )
    return (
        f"Checked {job.original_name} (dry run): {count(rep.rows, 'row')}, "
        f"{rep.created:,} to create, {rep.updated:,} to update, {rep.unchanged:,} unchanged, "
        f"{rep.refused:,} refused."
    )


def run_job(job_id: int, mode: str, *, progress: Callable = no_progress) -> tuple[str, bool]:
    """Run an import's dry run (``mode`` "check") or apply ("all" or "valid") and record its
    outcome on the ``ImportJob``; returns the outcome's message and whether it is a success.

    A refusal or a conflict is an outcome (the job goes back to be checked or mapped again).
    ``ImportFileError`` and anything unexpected are raised: the caller fails the import
    (``fail``; in the worker, ``jobs`` does, through ``job_ended``). An apply's outcome is
    written inside its transaction, so it commits with its rows.
    """
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    spec = spec_for(job)

    def record(**fields):
        ImportJob.objects.filter(pk=job_id).update(**fields)

    def finish(rep: ImportReport, status: str, message: str = ""):
        fields = {
            "status": status,
            "counts": rep.counts(),
            "errors": rep.errors,
            "rows_total": rep.rows,
            "message": message,
        }
        if status == JobStatus.DONE:
            fields["finished_at"] = timezone.now()
        record(**fields)

    try:
        if mode == "check":
            rep = check(spec, progress=progress, actor=actor_for(job))
            finish(rep, JobStatus.DRY_RUN, no_rows_text(rep))
        else:
            rep = apply(
                spec,
                actor=actor_for(job),
                only_valid=mode == "valid",
                progress=progress,
                on_applied=lambda rep: finish(rep, JobStatus.DONE),
            )
            remove_file(job)
        return outcome_text(job, rep), True
    except ImportRefused as exc:
        finish(exc.report, JobStatus.DRY_RUN, str(exc))
        return str(exc), False
    except (ImportConflict, lifecycle.LifecycleError) as exc:
        message = f"{exc} Nothing was imported." if "Nothing" not in str(exc) else str(exc)
        record(status=JobStatus.DRY_RUN if job.counts else JobStatus.MAPPED, message=message)
        return message, False


def fail(job_id: int, message: str) -> None:
    """The import failed: it says why, and its file goes (it is uploaded again)."""
    ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=message)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        remove_file(job, refused=True)


def run_inline(job: ImportJob, mode: str) -> None:
    """Run ``mode`` in this request; never raises: the job records the outcome."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, mode=mode, message="", job=None
    )
    try:
        run_job(job.pk, mode)
    except ImportFileError as exc:
        fail(job.pk, str(exc))
    except Exception as exc:
        # Unexpected: the traceback goes to the log, the user gets a plain outcome.
        log.exception("Import job %s failed", job.pk)
        fail(job.pk, f"The import failed and nothing was imported ({exc.__class__.__name__}).")


def run_in_worker(job: Job, progress) -> tuple[str, dict]:
    """The handler of the import's background jobs (``jobs.registry``): runs inside the
    job's transaction, so its record commits with the job's outcome, or not at all."""
    import_id, mode = job.params.get("import_id"), job.params.get("mode")
    running = {"pk": import_id, "job": job, "status": JobStatus.RUNNING, "mode": mode}
    if not ImportJob.objects.filter(**running).exists():
        return "This import was cancelled or has moved on; nothing was done.", {"ok": False}
    rows = job.total // len(stages_of(mode))
    message, ok = run_job(import_id, mode, progress=Staged(progress, rows, stages_of(mode)))
    return message, {"ok": ok}


def job_ended(job: Job) -> None:
    """A background run ended without an outcome: cancelled before a worker took it (the
    import goes back a step), or failed, or its worker stopped (the import fails)."""
    imp = ImportJob.objects.filter(job=job, status=JobStatus.RUNNING).first()
    if imp is None:
        return
    if job.status == Job.Status.CANCELLED:
        back = JobStatus.DRY_RUN if imp.counts and imp.mode != "check" else JobStatus.MAPPED
        ImportJob.objects.filter(pk=imp.pk).update(status=back, message=job.message)
    else:
        fail(imp.pk, job.message.removeprefix(jobs.FAILED_PREFIX))


def runs_inline(job: ImportJob) -> bool:
    """A small file (at most ``background_rows()`` rows, and at most ``preview_bytes()`` to
    read) runs in the request; any other in the worker. So a request reads a bounded amount."""
    return (
        job.rows_total <= background_rows()
        and readers.data_size(Path(job.file_path), job.kind) <= readers.preview_bytes()
    )


def start(job: ImportJob, mode: str) -> None:
    """Run ``mode`` ("check", "all", "valid") now, or queue it if the file is large.
    ``jobs.TooManyJobs`` if the user has enough jobs running already."""
    if runs_inline(job):
        run_inline(job, mode)
        return
    kind = Job.Kind.IMPORT_CHECK if mode == "check" else Job.Kind.IMPORT_APPLY
    with transaction.atomic():
        queued = jobs.start(
            kind,
            user=job.user,
            params={"import_id": job.pk, "mode": mode},
            total=max(job.rows_total, 1) * len(stages_of(mode)),
            back_url=reverse("imports:did_import_job", args=[job.pk]),
        )
        job.status = JobStatus.RUNNING
        job.mode = mode
        job.message = ""
        job.job = queued
        job.save(update_fields=["status", "mode", "message", "job"])


def upload(
    uploaded, *, user, kind: str, delimiter: str, defaults: dict, encoding: str = ""
) -> ImportJob:
    """Step 1: store the file and read its start (a bounded read: the first rows and a row
    count, exact for a small file, else an estimate; the worker's dry run reads, counts and
    checks every row). ``ImportFileError`` (the file removed) if it cannot be read: any
    failure to read it, however the file is broken, is one."""
    path = store_upload(uploaded)
    try:
        info = preview.inspect_file(path, kind, delimiter, encoding)
    except ImportFileError:
        path.unlink(missing_ok=True)
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed or malicious file: say so, keep nothing
        path.unlink(missing_ok=True)
        log.warning("Import upload %s could not be read", uploaded.name, exc_info=True)
        raise ImportFileError(
            f"File: this file cannot be read as a {kind} file ({exc.__class__.__name__}); "
            "save it again from the spreadsheet, or as CSV, and upload it again."
        ) from None
    defaults = {**defaults, "width": info.width, "encoding": info.encoding}
    return ImportJob.objects.create(
        user=user,
        reseller_id=user.reseller_id,
        file_path=str(path),
        original_name=Path(uploaded.name).name[:255],
        kind=kind,
        delimiter=info.delimiter,
        has_header=info.has_header,
        defaults=defaults,
        mapping=info.mapping,
        rows_total=info.rows,
        preview=info.preview,
    )


def choose_columns(job: ImportJob, *, mapping: list[str], has_header: bool) -> None:
    """Step 2: the columns' fields, then the dry run (``start``; ``jobs.TooManyJobs``)."""
    if has_header != job.has_header:
        job.rows_total += -1 if has_header else 1
    job.mapping = mapping
    job.has_header = has_header
    job.status = JobStatus.MAPPED
    job.counts = {}
    job.errors = []
    job.save()
    start(job, "check")


def names_offered(job: ImportJob) -> dict[str, list[str]]:
    """The names step 2 offers a choice for: those of the last dry run that match nothing,
    and those chosen before (which a creation or a pick made match)."""
    unknown = (job.counts or {}).get("unknown") or {}
    chosen = (job.defaults or {}).get("names") or {}
    offered = {}
    for kind in names.KINDS:
        listed = list(unknown.get(kind) or [])
        listed += [raw for raw in chosen.get(kind) or {} if raw not in listed]
        if listed:
            offered[kind] = listed
    return offered


def choose_names(job: ImportJob, choices: dict[str, dict[str, str]]) -> None:
    """Step 2's names: for each unknown name, "" (leave its rows refused), "new" (create
    it) or an existing object's id; then the dry run again (``start``)."""
    job.defaults = {**(job.defaults or {}), "names": choices}
    job.status = JobStatus.MAPPED
    job.save(update_fields=["defaults", "status"])
    start(job, "check")


CANCEL_REFUSED = "Cancel: this import is running or applied already."


def cancel(job: ImportJob) -> str | None:
    """Forget an import that has not been applied, with its file; ``None``, or why not. One
    whose worker stopped (failed as stale first) or that no worker has started yet (its
    job is cancelled) can be cancelled too."""
    if job.job_id is not None:
        jobs.fail_stale(pk=job.job_id)
    job.refresh_from_db()
    if job.status == JobStatus.DONE:
        return CANCEL_REFUSED
    waiting = job.job_id is not None and jobs.cancel_waiting(job.job_id)
    if job.status == JobStatus.RUNNING and not waiting:
        return CANCEL_REFUSED
    # Conditional: a run that started meanwhile keeps the import (and cancel says so).
    gone = ImportJob.objects.filter(pk=job.pk).exclude(
        status__in=[JobStatus.RUNNING, JobStatus.DONE]
    )
    if not gone.delete()[0]:
        return CANCEL_REFUSED
    if job.file_path:
        remove_file(job, refused=True)
    return None

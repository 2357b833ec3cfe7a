"""The DID inventory's background jobs: New DIDs, Mass Edit and the exports.

Each handler runs the same service a small request calls inline, in the one transaction
``jobs.services.run`` opens (all or nothing), and tells ``progress`` how far it got as the
work advances. ``register()`` (called from ``InventoryConfig.ready``) hands them to
``jobs.registry``; ``jobs`` itself imports nothing of the inventory.

Mass Edit runs its set-based statements in chunks of ``CHUNK`` selected DIDs, by id range,
so that its progress moves; the inline (and benchmark) path runs each statement once.
"""

from __future__ import annotations

import dataclasses
import shutil

from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from audit.services import Actor
from config.text import count
from jobs import registry
from jobs import services as jobs
from jobs.models import Job
from operators.models import Operator

from . import exporting, lifecycle, outcomes
from .choices import Status
from .numbers import NumberSpecError, parse
from .selectors import selection_for
from .services import (
    DIDsExist,
    begin_mass_edit,
    create_dids,
    created_message,
    delete_dids,
    update_dids,
)
from .tables import DIDTable

# Selected DIDs per statement of a background Mass Edit.
CHUNK = 25_000

# Errors whose message is for the user: the job fails saying it, and no crash is logged.
USER_ERRORS = (lifecycle.LifecycleError, NumberSpecError, DIDsExist)


# --------------------------------------------------------------------------- New DIDs


def run_create_dids(job: Job, progress) -> str:
    p = job.params
    operator = Operator.objects.get(pk=p["operator_id"])
    progress(0, "Creating DIDs", force=True)
    result = create_dids(  # in chunks, reporting after each one
        parse(p["numbers"]),
        operator=operator,
        status=p["status"],
        after_hold=p["after_hold"],
        tag=p.get("tag", ""),
        notes=p.get("notes", ""),
        skip_existing=p.get("skip_existing", False),
        actor=Actor.for_user(job.user),
        progress=progress,
    )
    return created_message(result)


# --------------------------------------------------------------------------- Mass Edit


def id_ranges(qs, size: int | None = None) -> list[tuple[int | None, int | None]]:
    """``[low, high)`` id ranges that together cover every id (the first open below, the last
    open above), each holding ``size`` (default ``CHUNK``) DIDs of ``qs`` now, the last one
    the rest. One range (no bounds) for a selection of at most ``size``."""
    size = size or CHUNK
    sql, params = qs.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ({sql}) s) w "
            "WHERE n %% %s = 1 ORDER BY id",
            [*params, size],
        )
        starts = [row[0] for row in cur.fetchall()]
    bounds: list[int | None] = [None, *starts[1:], None]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _part(qs, low: int | None, high: int | None):
    if low is not None:
        qs = qs.filter(id__gte=low)
    if high is not None:
        qs = qs.filter(id__lt=high)
    return qs


def merge_results(results: list, trigger) -> lifecycle.MoveResult:
    """The ``MoveResult`` of one statement over the whole selection, from its chunks': counts
    added, refusals of the same reason made one (its first examples, in id order)."""
    merged = lifecycle.MoveResult(trigger=trigger)
    by_reason: dict[str, object] = {}
    for result in results:
        merged.moved += result.moved
        merged.unchanged += result.unchanged
        merged.change_set = merged.change_set or result.change_set
        for refusal in result.refusals:
            seen = by_reason.get(refusal.reason)
            if seen is None:
                by_reason[refusal.reason] = dataclasses.replace(refusal)
                continue
            by_reason[refusal.reason] = dataclasses.replace(
                seen,
                count=seen.count + refusal.count,
                examples=(list(seen.examples) + list(refusal.examples))[:3],
            )
    merged.refusals = list(by_reason.values())
    return merged


class Steps:
    """Tells ``progress`` the share of ``total`` done after each of ``steps`` chunks."""

    def __init__(self, progress, total: int, steps: int):
        self.progress, self.total, self.steps, self.done = progress, total, max(steps, 1), 0

    def __call__(self) -> None:
        self.done += 1
        self.progress(min(self.total, self.total * self.done // self.steps))


def run_mass_edit(job: Job, progress):
    p = job.params
    qs = selection_for(job.user, QueryDict(p.get("q", "")), p.get("ids"))
    actor = Actor.for_user(job.user)
    promised = outcomes.promised_count(p.get("promised"))
    set_status = p.get("set_status") or ""
    changes = dict(p.get("changes") or {})
    progress(0, "Selecting DIDs", force=True)
    ranges = id_ranges(qs)
    # An allowance counts a subscription's DIDs across the whole selection: Set Status to
    # Active runs as one statement, as inline.
    status_ranges = [(None, None)] if set_status == Status.ACTIVE else ranges
    if p["action"] == "delete":
        passes = len(ranges)
    else:
        passes = (len(status_ranges) if set_status else 0) + (len(ranges) if changes else 0)
    step = Steps(progress, job.total, passes)
    begin_mass_edit(actor, deleting=p["action"] == "delete")

    if p["action"] == "delete":
        progress(stage="Deleting DIDs", force=True)
        results = []
        for low, high in ranges:
            results.append(delete_dids(_part(qs, low, high), actor=actor, strict=False))
            step()
        return outcomes.delete_outcome(merge_results(results, "delete"), promised)
    result = edited = None
    if set_status:
        progress(stage="Changing statuses", force=True)
        results = []
        for low, high in status_ranges:
            part = _part(qs, low, high)
            results.append(lifecycle.change_status(part, set_status, actor=actor, strict=False))
            step()
        result = merge_results(results, results[0].trigger)
    if changes:
        progress(stage="Editing fields", force=True)
        edited = 0
        for low, high in ranges:
            edited += update_dids(_part(qs, low, high), dict(changes), actor=actor)
            step()
    return outcomes.update_outcome(
        set_status=set_status, status_result=result, edited=edited, promised=promised
    )


# --------------------------------------------------------------------------- exports


def _exported(n: int, name: str) -> str:
    return f"Exported {count(n, 'DID')}. Download {name} below; it is kept for " + (
        f"{count(jobs.file_ttl_hours(), 'hour')}."
    )


def run_export_xlsx(job: Job, progress) -> tuple[str, dict]:
    search = QueryDict(job.params.get("q", ""))
    qs, order_by = selection_for(job.user, search), DIDTable.order_for(search)
    progress(stage="Counting the DIDs", force=True)
    n = qs.count()
    progress.update(total=n)
    progress(0, "Writing the XLSX file", force=True)
    # ExportTooLarge: the job fails, saying why.
    written = exporting.write_xlsx(qs, order_by, progress=lambda rows: progress(min(rows, n)))
    path = jobs.job_file(job, ".xlsx")
    try:
        shutil.move(written, path)
    except BaseException:
        jobs.remove_file(written)
        raise
    name = job.params.get("file_name") or f"dids-{job.pk}.xlsx"
    return _exported(n, name), {"file_path": str(path), "file_name": name, "total": n}


def run_export_csv(job: Job, progress) -> tuple[str, dict]:
    search = QueryDict(job.params.get("q", ""))
    qs, order_by = selection_for(job.user, search), DIDTable.order_for(search)
    progress(stage="Counting the DIDs", force=True)
    n = qs.count()
    progress.update(total=n)
    progress(0, "Writing the CSV file", force=True)
    path = jobs.job_file(job, ".csv")
    lines = 0
    try:
        with open(path, "wb") as out:
            for chunk in exporting.export_csv_rows(qs, order_by):
                out.write(chunk)
                lines += chunk.count(b"\n")
                progress(min(max(lines - 1, 0), n))
    except BaseException:
        jobs.remove_file(path)
        raise
    name = job.params.get("file_name") or f"dids-{job.pk}.csv"
    return _exported(n, name), {"file_path": str(path), "file_name": name, "total": n}


# --------------------------------------------------------------------------- registration


def the_dids(job: Job) -> str:
    """What New DIDs and Mass Edit produced: the DID Inventory (their search, if kept)."""
    return job.back_url or reverse("inventory:did_list")


# A user's exports run one at a time: four big ones at once held the worker and the database
# for minutes.
EXPORTS = "export"


def register() -> None:
    for kind, handler, produced, group in (
        (Job.Kind.CREATE_DIDS, run_create_dids, the_dids, ""),
        (Job.Kind.MASS_EDIT, run_mass_edit, the_dids, ""),
        (Job.Kind.EXPORT_XLSX, run_export_xlsx, None, EXPORTS),  # the job page offers the file
        (Job.Kind.EXPORT_CSV, run_export_csv, None, EXPORTS),
    ):
        registry.register(
            kind,
            handler,
            label=kind.label,
            user_errors=USER_ERRORS,
            produced=produced,
            produced_label="DID Inventory",
            one_at_a_time=group,
        )

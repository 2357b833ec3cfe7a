"""Starting and running background jobs. The work itself is the same service a small request
calls inline (``create_dids``, ``change_status``, ``update_dids``, ``delete_dids``): one
transaction, all or nothing; the job only adds a queue and a progress bar."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from audit.services import Actor

from .models import Job
from .progress import Progress

log = logging.getLogger(__name__)


def threshold() -> int:
    """Above this many DIDs, New DIDs and Mass Edit run in the background."""
    return settings.BACKGROUND_THRESHOLD


def start(kind: str, *, user, params: dict, total: int, back_url: str = "") -> Job:
    job = Job.objects.create(
        kind=kind,
        user=user,
        reseller_id=getattr(user, "reseller_id", None),
        params=params,
        total=total,
        back_url=back_url,
        stage="Waiting for a worker",
    )
    from .tasks import run_job

    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job


def run(job_id: int) -> Job:
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.status != Job.Status.QUEUED:
        return job
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, stage="Starting")
    progress = Progress(Job._meta.db_table, job.pk)
    try:
        message = HANDLERS[job.kind](job, progress)
    except Exception as exc:  # noqa: BLE001 - the user sees why; the transaction rolled back
        if not _is_user_error(exc):
            log.exception("Job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            ok=False,
            message=f"Nothing was changed. {exc}",
            finished_at=timezone.now(),
        )
    else:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE,
            # A handler may return an ``inventory.outcomes.Outcome``: done, but with refusals
            # or fewer DIDs than promised, is not shown as a success.
            ok=getattr(message, "ok", True),
            done=job.total,
            stage="Done",
            message=str(message),
            finished_at=timezone.now(),
        )
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _is_user_error(exc: Exception) -> bool:
    from inventory.lifecycle import LifecycleError
    from inventory.numbers import NumberSpecError
    from inventory.services import DIDsExist

    return isinstance(exc, LifecycleError | NumberSpecError | DIDsExist)


def _create_dids(job: Job, progress) -> str:
    from inventory.numbers import parse
    from inventory.services import create_dids, created_message
    from operators.models import Operator

    p = job.params
    operator = Operator.objects.get(pk=p["operator_id"])
    progress(0, "Creating DIDs", force=True)
    result = create_dids(
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


def _mass_edit(job: Job, progress):
    from inventory import lifecycle, outcomes
    from inventory.services import delete_dids, update_dids
    from inventory.views import selection_for

    p = job.params
    qs = selection_for(job.user, QueryDict(p.get("q", "")), p.get("ids"))
    actor = Actor.for_user(job.user)
    promised = outcomes.promised_count(p.get("promised"))
    with transaction.atomic():
        if p["action"] == "delete":
            progress(stage="Deleting DIDs", force=True)
            return outcomes.delete_outcome(delete_dids(qs, actor=actor, strict=False), promised)
        result = edited = None
        if p.get("set_status"):
            progress(stage="Changing statuses", force=True)
            result = lifecycle.change_status(qs, p["set_status"], actor=actor, strict=False)
        if p.get("changes"):
            progress(stage="Editing fields", force=True)
            edited = update_dids(qs, dict(p["changes"]), actor=actor)
        return outcomes.update_outcome(
            set_status=p.get("set_status") or "",
            status_result=result,
            edited=edited,
            promised=promised,
        )


HANDLERS = {Job.Kind.CREATE_DIDS: _create_dids, Job.Kind.MASS_EDIT: _mass_edit}


def query_of(params: dict) -> str:
    return urlencode(params, doseq=True)

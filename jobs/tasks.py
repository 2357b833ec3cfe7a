"""The jobs' Celery tasks. Acks-late and reject-on-worker-lost (also the app's defaults, in
settings): a task whose worker is killed goes back to the queue, and ``services.run`` makes
running it again safe."""

from celery import shared_task

from . import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="jobs.tasks.run_job", **RELIABLE)
def run_job(job_id: int) -> str:
    """Runs one background job by id; the service does the work and records the outcome."""
    job = services.run(job_id)
    return job.status if job is not None else "gone"


@shared_task(name="jobs.tasks.sweep", **RELIABLE)
def sweep() -> dict:
    """Fail jobs whose worker stopped (no heartbeat for JOB_STALE_AFTER), remove old export
    files (JOB_FILE_TTL_HOURS)."""
    return services.sweep()

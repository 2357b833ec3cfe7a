"""The background "Import DIDs" task: takes a job id and calls the service. It is queued by
``imports.services.start`` (by its name, ``services.RUN_TASK``)."""

from celery import shared_task

from . import services


@shared_task(name=services.RUN_TASK, acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: int, mode: str) -> None:
    """Dry run (``mode`` "check") or apply ("all" / "valid") an import job. Acks-late: a task
    whose worker died runs again, and ``run_job`` makes that safe."""
    services.run_job(job_id, mode, background=True)

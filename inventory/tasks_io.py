"""The background "Import DIDs" task: takes a job id and calls the service."""

from celery import shared_task


@shared_task(name="inventory.tasks_io.run_import", acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: int, mode: str) -> None:
    """Dry run (``mode`` "check") or apply ("all" / "valid") an import job. Acks-late: a task
    whose worker died runs again, and ``run_job`` makes that safe."""
    from .importing import run_job

    run_job(job_id, mode, background=True)

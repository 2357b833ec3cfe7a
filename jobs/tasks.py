from celery import shared_task

from . import services


@shared_task(name="jobs.tasks.run_job")
def run_job(job_id: int) -> str:
    """Runs one background job by id; the service does the work and records the outcome."""
    return services.run(job_id).status

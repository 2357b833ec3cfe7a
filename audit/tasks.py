from celery import shared_task

from . import partitions


@shared_task(name=partitions.MAINTAIN_TASK)
def maintain() -> dict:
    """Daily: the coming months' partitions exist; months past ``AUDIT_RETENTION_DAYS`` are
    dropped."""
    return {"created": partitions.ensure(), "dropped": partitions.purge()}

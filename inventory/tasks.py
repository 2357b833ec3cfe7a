from celery import shared_task

from . import lifecycle


@shared_task(name="inventory.tasks.expire_holds")
def expire_holds() -> int:
    """Every On Hold DID whose hold has ended goes to its after-hold status."""
    return lifecycle.expire_holds().moved

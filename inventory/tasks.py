from celery import shared_task

from . import lifecycle


@shared_task(name="inventory.tasks.expire_holds")
def expire_holds() -> int:
    """Every On Hold DID whose hold has ended goes to its after-hold status."""
    return lifecycle.expire_holds().moved


# "Import DIDs" runs large files in the background; imported so that the worker registers it.
from .tasks_io import run_import  # noqa: E402, F401

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from audit.services import Actor

from . import lifecycle

log = logging.getLogger(__name__)

# DIDs released per statement (and per savepoint) by the hold sweep.
HOLD_BATCH = 5_000
# Failed statements after which one sweep gives up: past that the fault is not one bad DID
# but the database or the code, and retrying DID by DID would only flood the log.
HOLD_FAILURES_MAX = 50


def sweep_holds(*, now=None, actor: Actor | None = None, batch: int | None = None) -> int:
    """Release every On Hold DID whose hold has ended, in batches of ``batch`` DIDs (in id
    order), each in its own savepoint. A batch that fails is split in halves and retried, down
    to single DIDs, so a bad DID is logged and skipped (it stays On Hold, due again on the next
    run) and every other DID is still released. Returns how many DIDs were released."""
    now = now or timezone.now()
    actor = actor or Actor.system(lifecycle.HOLD_EXPIRY_TASK)
    batch = batch or HOLD_BATCH
    state = {"moved": 0, "failures": 0}
    due = lifecycle.holds_due(now).order_by("id")
    last = 0
    while state["failures"] < HOLD_FAILURES_MAX:
        ids = list(due.filter(id__gt=last).values_list("id", flat=True)[:batch])
        if not ids:
            break
        last = ids[-1]
        _release(ids, now, actor, state)
    else:
        log.error(
            "Hold expiry: %d statements failed; this run stopped, the next one starts again.",
            state["failures"],
        )
    return state["moved"]


def _release(ids: list[int], now, actor: Actor, state: dict) -> None:
    if state["failures"] >= HOLD_FAILURES_MAX:
        return
    try:
        with transaction.atomic():
            state["moved"] += lifecycle.expire_holds(now=now, actor=actor, ids=ids).moved
        return
    except Exception:
        state["failures"] += 1
        if len(ids) == 1:
            log.exception(
                "Hold expiry: DID id %s failed and was skipped; it stays On Hold and is tried "
                "again on the next run.",
                ids[0],
            )
            return
        log.warning(
            "Hold expiry: a batch of %d DIDs (ids %s-%s) failed; retrying it in halves.",
            len(ids),
            ids[0],
            ids[-1],
            exc_info=True,
        )
    half = len(ids) // 2
    _release(ids[:half], now, actor, state)
    _release(ids[half:], now, actor, state)


@shared_task(name=lifecycle.HOLD_EXPIRY_TASK)
def expire_holds() -> int:
    """Every On Hold DID whose hold has ended goes to its after-hold status. A batch that
    fails is logged and skipped; the others are still released."""
    return sweep_holds()

"""What a move would do, without doing it: counts and refusals built from the engine's own
sets. Confirmation pages and delete pages call these instead of deciding for themselves."""

from __future__ import annotations

from ..choices import Status
from .engine import Selection, count_by_status, selection_sql, status_refusals
from .errors import MoveResult, Refusal
from .moves import subscription_refusals
from .table import DELETABLE, MANUAL_TRIGGER, Trigger, sources

DELETE = "delete"  # the MoveResult.trigger of a delete, which is no status move


def preview_change_status(selection: Selection, status: str) -> MoveResult:
    """What ``change_status`` would do, without doing it: counts and refusals."""
    target = Status(status)
    trigger = MANUAL_TRIGGER[target]
    legal = sources(trigger, target)
    sel_sql, sel_params = selection_sql(selection)
    refusals, unchanged, movable = status_refusals(
        sel_sql, sel_params, legal, target.label, trigger
    )
    result = MoveResult(trigger=trigger, unchanged=unchanged, refusals=refusals)
    blocked_by_subscription: list[Refusal] = []
    if trigger == Trigger.ACTIVATE:
        blocked_by_subscription = subscription_refusals(sel_sql, sel_params)
        result.refusals = blocked_by_subscription + result.refusals
    result.moved = movable - sum(r.count for r in blocked_by_subscription)
    return result


def delete_refusal(status: str, count: int, examples=()) -> Refusal:
    """Why ``count`` DIDs in ``status`` cannot be deleted."""
    return Refusal(
        reason=f"{Status(status).label} DIDs cannot be deleted: they are assigned",
        count=count,
        examples=list(examples or []),
    )


def preview_delete(selection: Selection) -> MoveResult:
    """What ``inventory.services.delete_dids`` would do: how many DIDs would go (``moved``)
    and, per status that may not be deleted, a refusal."""
    result = MoveResult(trigger=DELETE)
    sel_sql, sel_params = selection_sql(selection)
    for status, count, _none in count_by_status(sel_sql, sel_params, examples=False):
        if status in DELETABLE:
            result.moved += count
        else:
            result.refusals.append(delete_refusal(status, count))
    return result

"""What a Mass Edit tells its user afterwards, inline or from a background job alike.

The confirmation page promised a count ("10 DIDs will become Archive"); the apply may move
fewer, because rows changed in between (another user, an import, a periodic task). Then the
message says how many were applied, how many were not, and why. A message that reports any
refusal or shortfall is not a success: ``Outcome.ok`` is False and it is shown as a warning
(something was applied) or an error (nothing was).
"""

from __future__ import annotations

from dataclasses import dataclass

from config import text

from .choices import Status


@dataclass
class Outcome:
    message: str
    ok: bool  # everything asked for was done: a success message
    applied: int  # DIDs changed (moved, deleted or edited)

    def __str__(self) -> str:
        return self.message

    @property
    def level(self) -> str:
        """The ``django.contrib.messages`` level name to show the message with."""
        if self.ok:
            return "success"
        return "warning" if self.applied else "error"


def promised_count(raw) -> int | None:
    """The count the confirmation page promised (its hidden ``promised`` field), or None."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _refused(refusals) -> str:
    return "; ".join(map(str, refusals))


def _shortfall(promised: int | None, applied: int) -> int:
    return promised - applied if promised is not None and applied < promised else 0


def delete_outcome(result, promised: int | None = None) -> Outcome:
    """``result``: the ``MoveResult`` of ``delete_dids(strict=False)``."""
    missing = _shortfall(promised, result.moved)
    if missing:
        they = "it" if missing == 1 else "they"
        msg = (
            f"Delete: {result.moved:,} of {text.count(promised, 'DID')} deleted; "
            f"{missing:,} {text.was_were(missing)} not deleted because {they} changed after the "
            f"confirmation: {they} {text.is_are(missing)} assigned now, or no longer there."
        )
        if result.refusals:
            msg += f" Refused: {_refused(result.refusals)}."
    else:
        msg = f"Deleted {text.count(result.moved, 'DID')}."
        if result.refusals:
            msg += f" Refused {result.refused:,}: {_refused(result.refusals)}."
    return Outcome(msg, ok=not (missing or result.refusals), applied=result.moved)


def update_outcome(
    *,
    set_status: str = "",
    status_result=None,
    edited: int | None = None,
    promised: int | None = None,
) -> Outcome:
    """``status_result``: the ``MoveResult`` of ``change_status(strict=False)`` for
    ``set_status``; ``edited``: how many DIDs ``update_dids`` changed (None: no field edit).

    "Mass Edit: 10 DIDs set to Archive, 10 DIDs edited." when all went as promised; else
    "Mass Edit: Set Status to Archive: 8 of 10 DIDs changed; 2 were not changed because they
    changed after the confirmation and are no longer in a status that can move to Archive.
    Refused: 2 Active DIDs cannot become Archive: ... 10 DIDs edited."
    """
    parts: list[str] = []
    missing = 0
    refusals = []
    applied = 0
    if set_status and status_result is not None:
        label = Status(set_status).label
        moved = status_result.moved
        applied += moved
        missing = _shortfall(promised, moved)
        refusals = status_result.refusals
        if missing:
            they = "it" if missing == 1 else "they"
            parts.append(
                f"Set Status to {label}: {moved:,} of {text.count(promised, 'DID')} changed; "
                f"{missing:,} {text.was_were(missing)} not changed because {they} changed "
                f"after the confirmation and {text.is_are(missing)} no longer in a status that "
                f"can move to {label}."
            )
            if refusals:
                parts.append(f"Refused: {_refused(refusals)}.")
        else:
            parts.append(f"{text.count(moved, 'DID')} set to {label}")
            if refusals:
                parts.append("refused " + _refused(refusals))
    if edited is not None:
        applied += edited
        parts.append(f"{text.count(edited, 'DID')} edited" + ("." if missing else ""))
    message = "Mass Edit: " + (" ".join(parts) if missing else ", ".join(parts) + ".")
    return Outcome(message, ok=not (missing or refusals), applied=applied)


def move_outcome(result, done: str) -> Outcome:
    """``result``: the ``MoveResult`` of a bulk move with ``strict=False``; ``done``: the move
    in the past tense ("blocked"). "Blocked 3 DIDs." or "Blocked 2 DIDs. Refused 1: 1 On Hold
    DID cannot become Blocked (4155550100)." """
    msg = f"{done[:1].upper()}{done[1:]} {text.count(result.moved, 'DID')}."
    if result.refusals:
        msg += f" Refused {result.refused:,}: {_refused(result.refusals)}."
    return Outcome(msg, ok=not result.refusals, applied=result.moved)

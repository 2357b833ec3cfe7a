"""What a lifecycle move returns or raises: refusals, results and the named exceptions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .table import Trigger

BUSY_MESSAGE = "The DIDs are being changed by someone else right now; try again."


class LifecycleError(Exception):
    """A refused lifecycle move. ``str()`` is a message a user can act on."""

    def __init__(self, message: str, *, number: str | None = None, refusals=None):
        super().__init__(message)
        self.number = number
        self.refusals = refusals or []


class IllegalTransition(LifecycleError):
    pass


class SubscriptionNotActive(LifecycleError):
    pass


class AllowanceExceeded(LifecycleError):
    pass


class TagNotAllowed(LifecycleError):
    pass


class ResellerMismatch(LifecycleError):
    pass


class AccountMismatch(LifecycleError):
    pass


class DIDAssigned(LifecycleError):
    pass


class DIDsBusy(LifecycleError):
    """A set-based move met a deadlock twice in a row: other work is changing the same DIDs.
    Nothing of the move was applied; trying again later will do."""


# --------------------------------------------------------------------------- results


@dataclass
class Refusal:
    """``count`` DIDs were refused for ``reason``; ``examples`` names a few of them.
    ``reason_single``, when given, is the reason worded for one DID named in an error."""

    reason: str
    count: int
    examples: list[str] = field(default_factory=list)
    reason_single: str = ""

    @property
    def phrase(self) -> str:
        """The count and the reason, in the right number: "1 Active DID cannot ...: it is
        assigned", "1,200 Active DIDs cannot ...: they are assigned"."""
        return f"{self.count:,} {_singular(self.reason) if self.count == 1 else self.reason}"

    def __str__(self) -> str:
        names = ", ".join(self.examples)
        more = f" (e.g. {names})" if names and self.count > 1 else (f" ({names})" if names else "")
        return f"{self.phrase}{more}"


# A refusal's reason is written for many DIDs ("Active DIDs cannot be deleted: they are
# assigned"); these make it read right for one.
_ONE = (
    (re.compile(r"\bthey are\b"), "it is"),
    (re.compile(r"\bthem\b"), "it"),
    (re.compile(r"\btheir\b"), "its"),
)


def _singular(reason: str) -> str:
    reason = reason.replace(" DIDs ", " DID ", 1)  # the subject only ("only In Stock DIDs can")
    for pattern, one in _ONE:
        reason = pattern.sub(one, reason)
    return reason


@dataclass
class MoveResult:
    trigger: Trigger
    moved: int = 0
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    change_set: object = None

    @property
    def refused(self) -> int:
        return sum(r.count for r in self.refusals)

    def __add__(self, other: MoveResult) -> MoveResult:
        return MoveResult(
            trigger=self.trigger,
            moved=self.moved + other.moved,
            unchanged=self.unchanged + other.unchanged,
            refusals=self.refusals + other.refusals,
            change_set=self.change_set,
        )


def raise_for(refusals: list[Refusal], error_cls=IllegalTransition, single_number=None):
    """Raise ``error_cls`` for ``refusals``, if any: one DID's own reason when a single DID was
    asked for, else every refusal counted."""
    if not refusals:
        return
    if single_number is not None and len(refusals) == 1 and refusals[0].count == 1:
        msg = f"DID {single_number}: {refusals[0].reason_single}"
    else:
        msg = "Refused, nothing changed: " + "; ".join(str(r) for r in refusals) + "."
    raise error_cls(msg, number=single_number, refusals=refusals)

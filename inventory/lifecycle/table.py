"""The lifecycle table of PRODUCT.md as data, and every status set derived from it.

``TRANSITIONS`` is the only list of moves that exist. Code outside this package never
writes a status set of its own: which statuses a DID may start in, be deleted in, be
assigned from, be routed in or count against a package's allowance are all read here.
"""

from __future__ import annotations

from enum import StrEnum

from ..choices import AfterHold, Status


class Trigger(StrEnum):
    SET_STATUS = "set_status"
    ASSIGN = "assign"
    BLOCK = "block"
    ACTIVATE = "activate"
    HOLD = "hold"
    SUBSCRIPTION_CANCEL = "subscription_cancel"
    SUBSCRIPTION_EXPIRE = "subscription_expire"
    SUBSCRIPTION_REACTIVATE = "subscription_reactivate"
    EXPIRE_HOLD = "expire_hold"
    RELEASE = "release"


S = Status
T = Trigger

# PRODUCT.md's first row: "reserved / in_stock / archive | each other".
_AMONG_EACH_OTHER = (S.RESERVED, S.IN_STOCK, S.ARCHIVE)

# (from, to, trigger): the only moves that exist.
TRANSITIONS: frozenset[tuple[Status, Status, Trigger]] = frozenset(
    {(a, b, T.SET_STATUS) for a in _AMONG_EACH_OTHER for b in _AMONG_EACH_OTHER if a != b}
    | {(S.IN_STOCK, S.ACTIVE, T.ASSIGN)}
    | {(S.ACTIVE, S.BLOCKED, T.BLOCK)}
    | {(S.BLOCKED, S.ACTIVE, T.ACTIVATE), (S.ON_HOLD, S.ACTIVE, T.ACTIVATE)}
    | {
        (a, S.ON_HOLD, t)
        for a in (S.ACTIVE, S.BLOCKED)
        for t in (T.HOLD, T.SUBSCRIPTION_CANCEL, T.SUBSCRIPTION_EXPIRE)
    }
    | {(S.ON_HOLD, S.ACTIVE, T.SUBSCRIPTION_REACTIVATE)}
    # On hold -> the DID's own after-hold status (checked per DID: to == after_hold_status).
    | {(S.ON_HOLD, b, t) for b in AfterHold.values for t in (T.EXPIRE_HOLD, T.RELEASE)}
)

# What a user's "Set Status to" means for each target status.
MANUAL_TRIGGER: dict[Status, Trigger] = {
    S.RESERVED: T.SET_STATUS,
    S.IN_STOCK: T.SET_STATUS,
    S.ARCHIVE: T.SET_STATUS,
    S.BLOCKED: T.BLOCK,
    S.ACTIVE: T.ACTIVATE,
    S.ON_HOLD: T.HOLD,
}


def is_legal(source: str, target: str, trigger: str) -> bool:
    return (Status(source), Status(target), Trigger(trigger)) in TRANSITIONS


def sources(trigger: Trigger, target: Status | None = None) -> frozenset[Status]:
    """The statuses a DID may be in for ``trigger`` (to ``target``, if given)."""
    return frozenset(
        a for a, b, t in TRANSITIONS if t == trigger and (target is None or b == target)
    )


def targets(source: str) -> frozenset[Status]:
    """Every status reachable from ``source`` by some trigger."""
    return frozenset(b for a, b, _t in TRANSITIONS if a == source)


def results(trigger: Trigger) -> frozenset[Status]:
    """Every status a ``trigger`` move can lead to."""
    return frozenset(b for _a, b, t in TRANSITIONS if t == trigger)


def can(source: str, trigger: str) -> bool:
    """Whether the table has a ``trigger`` move out of ``source``: what pages offer a DID."""
    return any(a == source and t == trigger for a, _b, t in TRANSITIONS)


def manual_targets(source: str) -> list[Status]:
    """Statuses a user may pick in "Set Status to" for a DID in ``source``."""
    return [
        target
        for target, trigger in MANUAL_TRIGGER.items()
        if (Status(source), target, trigger) in TRANSITIONS
    ]


# --------------------------------------------------------------------------- status sets

# Not assigned: a user moves a DID freely among these ("Set Status to", edit, import).
UNASSIGNED: frozenset[Status] = sources(T.SET_STATUS)
# Assigned: linked to a client, an account and a subscription (the DB constraint
# ``did_assigned_iff_linked`` says the same).
ASSIGNED: frozenset[Status] = frozenset(Status) - UNASSIGNED
# A DID enters the inventory (New DIDs, import) unassigned.
INITIAL: frozenset[Status] = UNASSIGNED
# Only an unassigned DID may be deleted.
DELETABLE: frozenset[Status] = UNASSIGNED
# What "assign to an account" takes.
ASSIGNABLE: frozenset[Status] = sources(T.ASSIGN)
# What assigning gives, and the only status a switch may route (PRODUCT.md: "Only active
# DIDs are routable").
ROUTABLE: frozenset[Status] = results(T.ASSIGN)
# DIDs linked to a subscription count against its package's allowance.
COUNTED_AGAINST_ALLOWANCE: frozenset[Status] = ASSIGNED
# Put On Hold by hand, or when their subscription is cancelled or expires.
HOLDABLE: frozenset[Status] = sources(T.HOLD)
# Released to their after-hold status, now or when the hold ends.
RELEASABLE: frozenset[Status] = sources(T.RELEASE)

# The names the callers knew before the sets had short ones.
INITIAL_STATUSES = INITIAL
DELETABLE_STATUSES = DELETABLE


def values(statuses: frozenset[Status]) -> list[str]:
    """A status set as a sorted list of values: an SQL parameter (``status = ANY(%s)``) or a
    ``status__in`` filter."""
    return sorted(s.value for s in statuses)

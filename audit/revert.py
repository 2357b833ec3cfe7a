"""Reverting a change set: a new change set that restores the earlier values of the objects
that have not changed since, and lists the others with the reason.

``audit`` knows no domain rule: each app registers the reverter of its object type
(``audit.registry.register_reverter``); a DID's goes through the lifecycle. This module
hands each reverter the entries of its type, in one transaction, and adds up what they did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from config import text

from . import registry, services


@dataclass
class Refused:
    """``count`` objects were not reverted for ``reason``; ``examples`` names a few."""

    reason: str
    count: int
    examples: list[str] = field(default_factory=list)
    said: str = ""  # the whole sentence, when the refusing service worded it already

    def __str__(self) -> str:
        if self.said:
            return self.said
        names = ", ".join(self.examples)
        more = f" (e.g. {names})" if names and self.count > 1 else (f" ({names})" if names else "")
        return f"{self.count:,} {self.reason}{more}"


@dataclass
class Reverted:
    restored: int = 0
    deleted: int = 0
    refusals: list[Refused] = field(default_factory=list)
    change_set: object = None

    def __add__(self, other: Reverted) -> Reverted:
        return Reverted(
            self.restored + other.restored,
            self.deleted + other.deleted,
            self.refusals + other.refusals,
            self.change_set or other.change_set,
        )

    @property
    def refused(self) -> int:
        return sum(r.count for r in self.refusals)

    @property
    def message(self) -> str:
        done = []
        if self.restored:
            done.append(f"{text.count(self.restored, 'object')} restored")
        if self.deleted:
            done.append(f"{text.count(self.deleted, 'created DID')} deleted")
        msg = "Reverted: " + ", ".join(done) + "." if done else "Nothing was reverted."
        if self.refusals:
            msg += " Not reverted: " + "; ".join(str(r) for r in self.refusals) + "."
        return msg


def revertible(object_types) -> bool:
    """Whether some object type of a change set has a reverter (the others' changes are
    listed as not revertible when it is reverted)."""
    return bool(set(object_types) & set(registry.REVERTERS))


def revert(entries_by_type: dict, *, actor, reverting) -> Reverted:
    """Revert the entries of change set ``reverting`` (its public id; ``{object_type:
    entries}``, each a queryset of the entries the user may see) as ``actor``'s new change
    set, a "revert", in one transaction."""
    result = Reverted(change_set=actor.change_set)
    with transaction.atomic():
        services.open_change_set(actor, "revert", message=f"Revert of change set {reverting}")
        for object_type, entries in sorted(entries_by_type.items()):
            reverter = registry.REVERTERS.get(object_type)
            if reverter is None:
                count = entries.count()
                label = registry.kind(object_type).label
                result.refusals.append(
                    Refused(
                        f"{label} {'change' if count == 1 else 'changes'} cannot be reverted", count
                    )
                )
                continue
            result = result + reverter(entries, actor=actor)
    return result

"""DID statuses and the spellings accepted for them on input."""

from __future__ import annotations

import re

from django.db import models


class Status(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    IN_STOCK = "in_stock", "In Stock"
    ACTIVE = "active", "Active"
    BLOCKED = "blocked", "Blocked"
    ON_HOLD = "on_hold", "On Hold"
    ARCHIVE = "archive", "Archive"


class AfterHold(models.TextChoices):
    """Where a DID goes when its hold ends."""

    IN_STOCK = "in_stock", "In Stock"
    RESERVED = "reserved", "Reserved"
    ARCHIVE = "archive", "Archive"


# Also the spellings seen in the reference system's exports.
_ALIASES = {
    "instock": Status.IN_STOCK,
    "hold": Status.ON_HOLD,
    "onhold": Status.ON_HOLD,
    "ohhold": Status.ON_HOLD,
    "block": Status.BLOCKED,
    "archived": Status.ARCHIVE,
}
for _s in Status:
    _ALIASES[re.sub(r"[\s_\-]", "", _s.value.lower())] = _s
    _ALIASES[re.sub(r"[\s_\-]", "", _s.label.lower())] = _s

# The names the reference system writes in its exports (and we write in ours).
EXPORT_NAMES = {
    Status.RESERVED: "reserved",
    Status.IN_STOCK: "instock",
    Status.ACTIVE: "active",
    Status.BLOCKED: "blocked",
    Status.ON_HOLD: "hold",
    Status.ARCHIVE: "archive",
}


def parse_status(text: str | None) -> Status | None:
    """Return the status a user meant, or None. Case, spaces, '_' and '-' are ignored."""
    if text is None:
        return None
    key = re.sub(r"[\s_\-]", "", str(text).lower())
    return _ALIASES.get(key)

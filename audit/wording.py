"""The Audit Log in words a person reads.

An entry holds an object's type and id and the before and after of its changed fields; its
change set holds the action code. This module turns them into sentences: "Assigned to Rose
Orig | rose_orig under package Pack", "Status In Stock → Archive", "Notes “a” → “b”", with
names instead of ids and dates in the product's format. Names come from ``Names``, resolved
for a whole page at once (one query per kind of object, ``audit.registry``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

from . import registry
from .display import VALUE_CHARS, clip

# The stored status values this wording tells apart. ``audit`` imports no domain app (the layer
# contract), so it names them here; the statuses and their moves are decided by
# ``inventory.lifecycle``, and ``tests/test_audit_pages.py`` checks these sentences.
ON_HOLD = "on_hold"
BLOCKED = "blocked"
ACTIVE = "active"

# Every action code written across the apps, as the Audit Log names it.
ACTION_LABELS = {
    "create": "Created",
    "edit": "Edited",
    "update": "Updated",
    "delete": "Deleted",
    "import_create": "Imported (new DIDs)",
    "import_edit": "Imported (changes)",
    "import": "Import DIDs",
    "new_dids": "New DIDs",
    "mass_edit": "Mass Edit",
    "mass_delete": "Mass Edit (delete)",
    "purge": "Retention purge",
    "set_status": "Set Status",
    "assign": "Assigned",
    "block": "Blocked",
    "activate": "Activated",
    "hold": "Put On Hold",
    "release": "Released",
    "expire_hold": "Hold ended",
    "subscription_cancel": "Subscription cancelled",
    "subscription_expire": "Subscription expired",
    "subscription_reactivate": "Subscription reactivated",
    "revoke": "Token revoked",
    "token_create": "Token created",
    "token_revoke": "Token revoked",
    "revert": "Revert",
}


def action_label(code: str) -> str:
    code = code or ""
    return ACTION_LABELS.get(code) or code.replace("_", " ").capitalize()


def action_choices(codes: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(code, label) of every known action, and of ``codes`` besides, sorted by label."""
    every = set(ACTION_LABELS) | {c for c in codes if c}
    return sorted(((c, action_label(c)) for c in every), key=lambda p: (p[1].lower(), p[0]))


# --------------------------------------------------------------------------- names


class Names:
    """``{kind: {id: name}}`` for one page, resolved set-based: ``collect`` every id the page
    shows (objects and the ids their fields hold), then ``resolve`` once."""

    def __init__(self):
        self.wanted: dict[str, set[int]] = defaultdict(set)
        self.known: dict[str, dict[int, str]] = {}

    def want(self, kind: str, value) -> None:
        if value is None or value == "":
            return
        try:
            self.wanted[kind].add(int(value))
        except (TypeError, ValueError):
            return

    def collect(self, object_type: str, object_id, *sides) -> None:
        self.want(object_type, object_id)
        fields = registry.kind(object_type).fields
        for side in sides:
            if not isinstance(side, dict):
                continue
            for key, value in side.items():
                spec = fields.get(key)
                if spec is not None and spec.ref:
                    self.want(spec.ref, value)
                    if spec.ref == "subscription":
                        self.want("subscription_package", value)

    def resolve(self) -> Names:
        for kind, ids in self.wanted.items():
            names = registry.kind(kind).names
            self.known[kind] = names(ids) if names and ids else {}
        return self

    def name(self, kind: str, value) -> str:
        try:
            key = int(value)
        except (TypeError, ValueError):
            return clip(value)
        found = self.known.get(kind, {}).get(key)
        return found if found is not None else f"{registry.kind(kind).label} #{key}"

    def url(self, kind: str, value) -> str:
        k = registry.kind(kind)
        if k.url is None or value is None:
            return ""
        try:
            key = int(value)
        except (TypeError, ValueError):
            return ""
        # A deleted object has no page.
        if k.names is not None and key not in self.known.get(kind, {}):
            return ""
        return k.url(key)


# --------------------------------------------------------------------------- values


def moment(value) -> str:
    """A timestamp (a ``datetime`` or its ISO text) in the product's format, local time."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return clip(value)
        value = parsed
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    return clip(value)


def value_text(object_type: str, key: str, value, names: Names) -> str:
    """One field's value as a person reads it."""
    if value is None or value == "":
        return "—"
    spec = registry.kind(object_type).fields.get(key)
    if spec is None:
        return clip(value)
    if spec.choices:
        return str(spec.choices.get(value, value))
    if spec.ref:
        return names.name(spec.ref, value)
    if spec.moment:
        return moment(value)
    return clip(value)


def field_label(object_type: str, key: str) -> str:
    spec = registry.kind(object_type).fields.get(key)
    return spec.label if spec is not None else key.replace("_id", "").replace("_", " ").capitalize()


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def changes(object_type: str, before, after, names: Names) -> list[Change]:
    """Each changed field: its label, its value before and after, in words."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    # In the order the object's kind lists its fields (JSON keeps no order of its own).
    order = {k: i for i, k in enumerate(registry.kind(object_type).fields)}
    keys = sorted(set(before) | set(after), key=lambda k: (order.get(k, len(order)), k))
    return [
        Change(
            k,
            field_label(object_type, k),
            value_text(object_type, k, before.get(k), names) if k in before else "—",
            value_text(object_type, k, after.get(k), names) if k in after else "—",
        )
        for k in keys
        # An entry holds the changed fields only; a record of a whole snapshot (written
        # before entries did) skips the fields that stayed, unless cut too short to tell.
        if before.get(k) != after.get(k)
        or not before
        or not after
        or len(str(before.get(k))) > VALUE_CHARS
    ]


# --------------------------------------------------------------------------- sentences


def describe(action: str, object_type: str, before, after, names: Names) -> str:
    """What happened to one object, in one sentence."""
    before = before if isinstance(before, dict) else None
    after = after if isinstance(after, dict) else None
    k = registry.kind(object_type)
    if before is None and after is not None:
        status = after.get("status")
        how = "Imported" if action == "import_create" else "Created"
        if status is not None and "status" in k.fields:
            return f"{how} {value_text(object_type, 'status', status, names)}"
        return how
    if after is None and before is not None:
        return "Deleted"
    if before is None and after is None:
        return action_label(action)
    old, new = before.get("status"), after.get("status")
    if old is not None and new is not None and old != new:
        return _status_sentence(action, object_type, before, after, names)
    changed = [c.label for c in changes(object_type, before, after, names)]
    if action in ("revoke", "token_revoke"):
        return "Revoked"
    return "Edited " + ", ".join(changed) if changed else action_label(action)


def _status_sentence(action, object_type, before, after, names) -> str:
    def status(v):
        return value_text(object_type, "status", v, names)

    old, new = before["status"], after["status"]
    if object_type == "did":
        if after.get("account_id") and not before.get("account_id"):
            text = f"Assigned to {names.name('account', after['account_id'])}"
            if after.get("subscription_id"):
                package = names.name("subscription_package", after["subscription_id"])
                text += f" under package {package}"
            return text
        if new == ON_HOLD:
            text = "Put On Hold"
            if after.get("hold_until"):
                text += f" until {moment(after['hold_until'])}"
            reason = {
                "subscription_cancel": " (subscription cancelled)",
                "subscription_expire": " (subscription expired)",
            }.get(action, "")
            return text + reason
        if old == ON_HOLD and "client_id" in after and after.get("client_id") is None:
            if action == "expire_hold":
                return f"Hold ended: released to {status(new)}"
            return f"Released to {status(new)}"
        if new == BLOCKED:
            return "Blocked"
        if new == ACTIVE:
            if action == "subscription_reactivate":
                return f"{status(old)} → Active (subscription reactivated)"
            return f"Activated ({status(old)} → Active)"
    return f"Status {status(old)} → {status(new)}"

"""Writing the audit log. Every service that changes data takes an ``Actor`` and records
through here (or, on set-based paths, through ``INSERT ... SELECT`` with ``actor.sql_params``)
inside its own transaction. Nothing relies on signals, so bulk paths cannot skip the log."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditRecord

AUDIT_TABLE = AuditRecord._meta.db_table
AUDIT_INSERT_COLUMNS = (
    "change_set, created_at, user_id, username, action, object_type, object_id, "
    "object_repr, reseller_id, before, after, message"
)


@dataclass(frozen=True)
class Actor:
    """Who acts, and the change set that groups every record of this one action."""

    user_id: int | None = None
    username: str = "system"
    change_set: uuid.UUID = field(default_factory=uuid.uuid4)

    @classmethod
    def for_user(cls, user, change_set: uuid.UUID | None = None) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(change_set=change_set or uuid.uuid4())
        return cls(
            user_id=user.pk, username=user.get_username(), change_set=change_set or uuid.uuid4()
        )

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(username=name)


def _json(value):
    if value is None:
        return None
    # Round-trip through Django's encoder so dates, decimals and UUIDs are stored as text.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: int | None,
    object_repr: str = "",
    reseller_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
) -> AuditRecord:
    return AuditRecord.objects.create(
        change_set=actor.change_set,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(object_repr)[:200],
        reseller_id=reseller_id,
        before=_json(before),
        after=_json(after),
        message=message,
    )


def record_created(actor: Actor, obj, *, reseller_id: int | None, after: dict) -> AuditRecord:
    """The "create" record of a model instance: its type is the model's name, its label
    ``str(obj)``."""
    return record(
        actor,
        action="create",
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj),
        reseller_id=reseller_id,
        after=after,
    )


def snapshot(instance, fields) -> dict:
    return {name: getattr(instance, name) for name in fields}

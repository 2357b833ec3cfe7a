"""Writing the audit log: one change set per user action, one compact entry per changed object
(``audit.models``). Every service that changes data takes an ``Actor`` and records through
here inside its own transaction. Nothing relies on signals, so no path can skip the log.

Who acts
    ``Actor.for_user(request.user)`` in a view; in a task ``Actor.system(name)`` with the
    task's name (``"inventory.tasks.expire_holds"``), which the log shows as its user.
    ``actor.change_set`` is the change set's public id (a UUID): every write made with the
    same actor lands in the same change set, whichever service makes it.
    ``actor.request_id`` is the request being served (``audit.middleware``).

One object at a time
    ``record(actor, action=..., object_type=..., object_id=..., object_repr=..., reseller_id=
    ..., before={...}, after={...}, message=...)``: the change set is opened (created on the
    actor's first write, with ``action``, ``message`` and this object as its main object)
    and one entry written, in one statement. ``before`` None is a creation, ``after`` None a
    deletion; for a change only the fields that differ are kept. ``record_created(actor,
    obj, reseller_id=..., after=...)`` is the creation of a model instance; ``snapshot(obj,
    fields)`` the dict of its fields.

Many objects at once (set-based, in the statement that changes them)
    ::

        cs = open_change_set(actor, "set_status", message="")
        tail, tail_params = entries_sql(cs, "moved", object_type="did", kind=Kind.UPDATE,
                                        count_key=status_count_key("did"))
        before, after = changed_sql("o", "t", ["status", "hold_until"], always=["status"])
        cur.execute(f'''
            WITH moved AS (
                UPDATE inventory_did AS t SET ... FROM inventory_did AS o WHERE ...
                RETURNING t.id, t.reseller_id, {before} AS before, {after} AS after
            ) {tail}''', [*params, *tail_params])
        cur.rowcount  # the entries written: one per moved row

    ``entries_sql`` is the tail of a ``WITH <source> AS (... RETURNING id, reseller_id,
    before, after)`` statement (the column names can be changed): it adds the change set's
    counts and writes one entry per source row, in that same statement. ``count_key`` is an
    SQL expression over the source's columns naming each row's kind of change (default
    ``'<object_type>.create'`` / ``.update`` / ``.delete`` by ``kind``).

The change set's ``counts`` are ``{"<object_type>.<kind>": n}`` with kind ``create``,
``update``, ``delete`` or ``<from>><to>`` for a status change (``"did.in_stock>archive"``);
``total`` is their sum. Its ``reseller_id`` is the one reseller all its entries belong to
(None when they belong to none or to several). Reads are in ``audit.selectors``; the monthly
partitions and retention in ``audit.partitions``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from .choices import Kind
from .models import ChangeSet, Entry

__all__ = [
    "Actor",
    "ChangeSetRef",
    "Kind",
    "changed_sql",
    "entries_sql",
    "open_change_set",
    "record",
    "record_created",
    "snapshot",
    "status_count_key",
]

CHANGE_SET_TABLE = ChangeSet._meta.db_table
ENTRY_TABLE = Entry._meta.db_table
ENTRY_COLUMNS = (
    "change_set_id, created_at, object_id, reseller_id, kind, object_type, before, after"
)
KIND_WORD = {Kind.CREATE: "create", Kind.UPDATE: "update", Kind.DELETE: "delete"}

# The request being served (set by ``audit.middleware.RequestIdMiddleware``).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_id", default="")


@dataclass(frozen=True)
class Actor:
    """Who acts, and the change set that groups every entry of this one action."""

    user_id: int | None = None
    username: str = "system"
    change_set: uuid.UUID = field(default_factory=uuid.uuid4)
    request_id: str = field(default_factory=REQUEST_ID.get)

    @classmethod
    def for_user(cls, user, change_set: uuid.UUID | None = None) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(change_set=change_set or uuid.uuid4())
        return cls(
            user_id=user.pk, username=user.get_username(), change_set=change_set or uuid.uuid4()
        )

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """A task or command acting on its own: ``name`` is what the log shows as its user."""
        return cls(username=name)


@dataclass(frozen=True)
class ChangeSetRef:
    """An opened change set: its row id (what entries refer to), public id and time (every
    entry's ``created_at``, the partition key), and the table its entries go to: its month's
    partition when that exists (inserting there skips routing each row through the
    partitioned table, which costs about as much as the row itself), else ``audit_entry``."""

    id: int
    uuid: uuid.UUID
    created_at: dt.datetime
    entry_table: str = ENTRY_TABLE


# On the actor's first write the change set is created; later writes keep its action and
# main object, fill its message if it had none, and add their counts.
_UPSERT = f"""
    INSERT INTO {CHANGE_SET_TABLE} AS c (uuid, created_at, user_id, username, action,
        reseller_id, message, counts, total, request_id, object_type, object_id, object_repr)
    VALUES (%s, now(), %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s)
    ON CONFLICT (uuid) DO UPDATE SET
        message = CASE WHEN c.message = '' THEN EXCLUDED.message ELSE c.message END,
        object_type = CASE WHEN c.object_type = '' THEN EXCLUDED.object_type
                           ELSE c.object_type END,
        object_id = CASE WHEN c.object_type = '' THEN EXCLUDED.object_id ELSE c.object_id END,
        object_repr = CASE WHEN c.object_type = '' THEN EXCLUDED.object_repr
                           ELSE c.object_repr END,
        counts = CASE WHEN EXCLUDED.total = 0 THEN c.counts
                      ELSE audit_counts_add(c.counts, EXCLUDED.counts) END,
        total = c.total + EXCLUDED.total,
        reseller_id = CASE WHEN EXCLUDED.total = 0 THEN c.reseller_id
                           WHEN c.total = 0 THEN EXCLUDED.reseller_id
                           WHEN c.reseller_id = EXCLUDED.reseller_id THEN c.reseller_id END
    RETURNING c.id, c.uuid, c.created_at,
        to_regclass('{ENTRY_TABLE}_' || to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY_MM'))
"""


def _upsert_params(
    actor: Actor,
    action,
    message,
    object_type,
    object_id,
    object_repr,
    *,
    reseller_id=None,
    counts: dict | None = None,
) -> list:
    return [
        actor.change_set,
        actor.user_id,
        actor.username[:150],
        str(action)[:48],
        reseller_id,
        message,
        json.dumps(counts or {}),
        sum((counts or {}).values()),
        actor.request_id[:64],
        object_type or "",
        object_id if object_type else None,
        str(object_repr)[:200] if object_type else "",
    ]


def open_change_set(
    actor: Actor,
    action: str,
    *,
    message: str = "",
    object_type: str = "",
    object_id: int | None = None,
    object_repr: str = "",
) -> ChangeSetRef:
    """The actor's change set, created with ``action`` on its first use (one statement).
    ``object_*`` names the change set's main object, for a single-object action."""
    with connection.cursor() as cur:
        cur.execute(
            _UPSERT,
            _upsert_params(actor, action, message, object_type, object_id, object_repr),
        )
        row_id, row_uuid, created_at, partition = cur.fetchone()
    return ChangeSetRef(row_id, row_uuid, created_at, str(partition or ENTRY_TABLE))


def _json(value):
    if value is None:
        return None
    # Round-trip through Django's encoder so dates, decimals and UUIDs are stored as text.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def changed_only(before, after) -> tuple:
    """``before`` and ``after`` cut to the fields that differ (both must be dicts)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return before, after
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k) or k not in before]
    keys += [k for k in before if k not in after and k not in keys]
    return ({k: before[k] for k in keys if k in before}, {k: after[k] for k in keys if k in after})


def kind_of(before, after) -> Kind:
    if before is None:
        return Kind.CREATE
    if after is None:
        return Kind.DELETE
    return Kind.UPDATE


def count_key(object_type: str, kind: Kind, before, after) -> str:
    """The change's key in the change set's counts: ``did.in_stock>archive``, ``client.create``."""
    if kind == Kind.UPDATE and isinstance(before, dict) and isinstance(after, dict):
        old, new = before.get("status"), after.get("status")
        if old is not None and new is not None and old != new:
            return f"{object_type}.{old}>{new}"
    return f"{object_type}.{KIND_WORD[Kind(kind)]}"


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
) -> Entry:
    """One object's change, in one statement: the change set opened (or its counts added
    to) and the entry written. The object becomes the change set's main object if it has
    none yet."""
    before, after = changed_only(_json(before), _json(after))
    kind = kind_of(before, after)
    key = count_key(object_type, kind, before, after)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH cs AS ({_UPSERT})
            INSERT INTO {ENTRY_TABLE} ({ENTRY_COLUMNS})
            SELECT cs.id, cs.created_at, %s, %s, %s, %s, %s, %s FROM cs
            RETURNING id, change_set_id, created_at
            """,
            [
                *_upsert_params(
                    actor,
                    action,
                    message,
                    object_type,
                    object_id,
                    object_repr,
                    reseller_id=reseller_id,
                    counts={key: 1},
                ),
                object_id,
                reseller_id,
                int(kind),
                object_type,
                _dumps(before),
                _dumps(after),
            ],
        )
        entry_id, cs_id, created_at = cur.fetchone()
    return Entry(
        id=entry_id,
        change_set_id=cs_id,
        created_at=created_at,
        object_type=object_type,
        object_id=object_id,
        kind=kind,
        reseller_id=reseller_id,
        before=before,
        after=after,
    )


def _dumps(value) -> str | None:
    return None if value is None else json.dumps(value)


def record_created(actor: Actor, obj, *, reseller_id: int | None, after: dict) -> Entry:
    """The "create" entry of a model instance: its type is the model's name, its label
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


# --------------------------------------------------------------------------- set-based


def changed_sql(
    old: str, new: str, fields: Iterable[str], *, always: Iterable[str] = ()
) -> tuple[str, str]:
    """SQL for the before and after JSON objects of the ``fields`` that differ between the
    rows aliased ``old`` and ``new`` (an ``UPDATE t ... FROM table o`` and its RETURNING).
    Fields in ``always`` are known to change and are written without a comparison."""
    always = set(always)
    fields = list(fields)
    sure = [f for f in fields if f in always]
    maybe = [f for f in fields if f not in always]

    def side(alias: str) -> str:
        parts = []
        if sure:
            parts.append(
                "jsonb_build_object(" + ", ".join(f"'{f}', {alias}.{f}" for f in sure) + ")"
            )
        for f in maybe:
            parts.append(
                f"(CASE WHEN {old}.{f} IS DISTINCT FROM {new}.{f} "
                f"THEN jsonb_build_object('{f}', {alias}.{f}) ELSE '{{}}'::jsonb END)"
            )
        return " || ".join(parts) if parts else "'{}'::jsonb"

    return side(old), side(new)


def status_count_key(object_type: str, before: str = "before", after: str = "after") -> str:
    """The SQL count key of an update that may change a status: ``did.<from>><to>`` when the
    before and after JSON hold a status, else ``did.update``."""
    return (
        f"'{object_type}.' || COALESCE(({before}->>'status') || '>' || ({after}->>'status'), "
        "'update')"
    )


def entries_sql(
    cs: ChangeSetRef,
    source: str,
    *,
    object_type: str,
    kind: Kind,
    object_id: str = "id",
    reseller_id: str = "reseller_id",
    before: str = "before",
    after: str = "after",
    count_key: str | None = None,
) -> tuple[str, list]:
    """The tail of ``WITH <source> AS (...)``: one entry per row of ``source`` and the change
    set's counts, in the same statement (see the module's docstring). ``object_id``,
    ``reseller_id``, ``before``, ``after`` and ``count_key`` are SQL expressions over the
    source's columns (``NULL`` for a side a creation or deletion does not have)."""
    key = count_key or f"'{object_type}.{KIND_WORD[Kind(kind)]}'"
    sql = f""",
        audit_counted AS (
            UPDATE {CHANGE_SET_TABLE} AS c
            SET counts = audit_counts_add(c.counts, a.counts),
                total = c.total + a.n,
                reseller_id = CASE WHEN c.total = 0 THEN a.reseller_id
                                   WHEN c.reseller_id = a.reseller_id THEN c.reseller_id END
            FROM (
                SELECT jsonb_object_agg(k, n) AS counts, sum(n) AS n,
                       CASE WHEN sum(r_n) = sum(n) AND min(r_lo) = max(r_hi)
                            THEN min(r_lo) END AS reseller_id
                FROM (
                    SELECT k, count(*) AS n, count(r) AS r_n, min(r) AS r_lo, max(r) AS r_hi
                    FROM (SELECT {key} AS k, {reseller_id} AS r FROM {source}) AS s
                    GROUP BY k
                ) AS g
            ) AS a
            WHERE c.id = %s AND a.n > 0
        )
        INSERT INTO {cs.entry_table} ({ENTRY_COLUMNS})
        SELECT %s, %s, {object_id}, {reseller_id}, %s, %s, {before}, {after}
        FROM {source}
    """
    return sql, [cs.id, cs.id, cs.created_at, int(kind), object_type]

"""Reverting a change set's DID entries (``audit.revert`` calls ``revert_dids``).

Set-based, in the caller's transaction. The entries go into a temporary table with a verdict
per DID:

* ``delete``: created by the change set (New DIDs, import) and untouched since (its row was
  never written after its creation): deleted through ``delete_dids``;
* ``restore``: every field the change set wrote still holds what it wrote: its earlier status
  comes back through the lifecycle (``lifecycle.change_status``: a move the table no longer
  allows is refused with the lifecycle's reason), then its earlier plain fields
  (``services.restore_fields``);
* ``changed`` (changed since), ``gone`` (deleted since), ``was_deleted`` (the change set
  deleted it: a deleted DID is not re-created): refused, counted, with a few numbers.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from audit.revert import Refused, Reverted
from operators.models import Operator

from . import lifecycle
from .models import DID
from .services import delete_dids, restore_fields

TABLE = DID._meta.db_table
ROWS = "inventory_revert_rows"

REASONS = {
    "changed": "DIDs changed since this change set",
    "touched": "DIDs created by this change set were changed after they were created",
    "gone": "DIDs were deleted since this change set",
    "was_deleted": "DIDs were deleted by this change set; a deleted DID is not re-created",
    "operator_gone": "DIDs' earlier operator no longer exists",
}


def _singular(reason: str, count: int) -> str:
    if count != 1:
        return reason
    reason = reason.replace("DIDs'", "DID's", 1).replace("DIDs", "DID", 1)
    return (
        reason.replace(" were ", " was ")
        .replace(" they were ", " it was ")
        .replace("after they", "after it")
    )


def _refused(refusal: lifecycle.Refusal) -> Refused:
    """A lifecycle refusal, in the lifecycle's own words."""
    return Refused(refusal.reason, refusal.count, list(refusal.examples), said=str(refusal))


def _selection(where: str, params=()) -> object:
    return DID.objects.filter(pk__in=RawSQL(f"SELECT id FROM {ROWS} WHERE {where}", list(params)))


def _load(entries) -> None:
    """The entries, one row per DID: the earliest ``before`` and the latest ``after`` of each
    field (a change set may hold several entries of one DID: a Mass Edit's move and edit),
    and its verdict."""
    sql, params = entries.values_list("pk", "object_id", "before", "after").query.sql_with_params()
    # Locked first, in id order (as every writer locks): nothing changes them between the
    # verdicts below and the writes that follow.
    lifecycle.lock_in_order(
        f"SELECT x.object_id FROM ({sql}) AS x(n, object_id, before, after)", list(params)
    )
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {ROWS}")
        cur.execute(
            f"""
            CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS
            WITH e AS MATERIALIZED (
                SELECT x.n, x.object_id, x.before::jsonb AS before, x.after::jsonb AS after
                FROM ({sql}) AS x(n, object_id, before, after)
            ),
            o AS (
                SELECT object_id,
                       bool_or(before IS NULL OR before = '{{}}'::jsonb) AS created,
                       bool_or(after IS NULL OR after = '{{}}'::jsonb) AS removed
                FROM e GROUP BY object_id
            ),
            b AS (
                SELECT e.object_id, jsonb_object_agg(f.key, f.value ORDER BY e.n DESC) AS j
                FROM e CROSS JOIN LATERAL jsonb_each(COALESCE(e.before, '{{}}'::jsonb)) f
                GROUP BY e.object_id
            ),
            a AS (
                SELECT e.object_id, jsonb_object_agg(f.key, f.value ORDER BY e.n) AS j
                FROM e CROSS JOIN LATERAL jsonb_each(COALESCE(e.after, '{{}}'::jsonb)) f
                GROUP BY e.object_id
            )
            SELECT o.object_id AS id,
                   COALESCE(b.j, '{{}}'::jsonb) AS before, COALESCE(a.j, '{{}}'::jsonb) AS after,
                   CASE
                     WHEN o.removed THEN 'was_deleted'
                     WHEN d.id IS NULL THEN 'gone'
                     WHEN o.created THEN
                       CASE WHEN d.updated_at = d.created_at THEN 'delete' ELSE 'touched' END
                     WHEN EXISTS (SELECT 1 FROM jsonb_each(COALESCE(a.j, '{{}}'::jsonb)) f
                                  WHERE to_jsonb(d) -> f.key IS DISTINCT FROM f.value)
                       THEN 'changed'
                     ELSE 'restore'
                   END AS verdict
            FROM o LEFT JOIN b USING (object_id) LEFT JOIN a USING (object_id)
                   LEFT JOIN {TABLE} d ON d.id = o.object_id
            """,
            params,
        )
        cur.execute(f"CREATE INDEX ON {ROWS} (id)")
        cur.execute(f"ANALYZE {ROWS}")


def revert_dids(entries, *, actor) -> Reverted:
    """Undo ``entries`` (the DID entries of one change set) as ``actor``'s change set."""
    lifecycle.roomy_hash()
    _load(entries)
    result = Reverted(change_set=actor.change_set)

    # Created and untouched: deleted (they are unassigned, so the delete cannot refuse).
    deleted = delete_dids(_selection("verdict = 'delete'"), actor=actor, strict=False)
    result.deleted = deleted.moved
    result.refusals += [_refused(r) for r in deleted.refusals]

    # Earlier statuses, through the lifecycle: one manual move per earlier status.
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT before->>'status' FROM {ROWS} "
            "WHERE verdict = 'restore' AND before ? 'status' ORDER BY 1"
        )
        earlier = [row[0] for row in cur.fetchall()]
    for status in earlier:
        moved = lifecycle.change_status(
            _selection("verdict = 'restore' AND before->>'status' = %s", [status]),
            status,
            actor=actor,
            strict=False,
        )
        result.refusals += [_refused(r) for r in moved.refusals]
    with connection.cursor() as cur:
        # A DID whose status move was refused keeps every other value too.
        cur.execute(
            f"""
            UPDATE {ROWS} r SET verdict = 'refused' FROM {TABLE} d
            WHERE d.id = r.id AND r.verdict = 'restore' AND r.before ? 'status'
              AND d.status IS DISTINCT FROM r.before->>'status'
            """
        )
        # An earlier operator deleted since (or moved to another reseller) cannot come back.
        cur.execute(
            f"""
            UPDATE {ROWS} r SET verdict = 'operator_gone' FROM {TABLE} d
            WHERE d.id = r.id AND r.verdict = 'restore' AND r.before ? 'operator_id'
              AND NOT EXISTS (SELECT 1 FROM {Operator._meta.db_table} o
                              WHERE o.id = (r.before->>'operator_id')::bigint
                                AND o.reseller_id = d.reseller_id)
            """
        )
    restore_fields(_selection("verdict = 'restore'"), f"SELECT id, before FROM {ROWS}", actor=actor)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {ROWS} WHERE verdict = 'restore'")
        result.restored = cur.fetchone()[0]
        cur.execute(
            f"""
            SELECT r.verdict, count(*), (array_agg(coalesce(d.number, '#' || r.id)
                                          ORDER BY r.id))[1:3]
            FROM {ROWS} r LEFT JOIN {TABLE} d ON d.id = r.id
            WHERE r.verdict IN ('changed', 'touched', 'gone', 'was_deleted', 'operator_gone')
            GROUP BY r.verdict ORDER BY r.verdict
            """
        )
        for verdict, count, examples in cur.fetchall():
            result.refusals.append(
                Refused(_singular(REASONS[verdict], count), count, list(examples or []))
            )
    return result

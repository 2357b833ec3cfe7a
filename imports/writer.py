"""Applying an import's plan (``imports.planner``) inside the caller's transaction:

* ``INSERT ... SELECT`` creates the new DIDs with a "created" audit entry each, in the same
  statement (the pattern of ``inventory.services.create_dids``), all in the import's one
  change set;
* ``UPDATE ... FROM`` sets changed tags, notes, after-hold statuses, operators and hold days
  with an entry of the changed fields each (the pattern of ``inventory.services.update_dids``),
  the rows locked first in id order as the lifecycle engine locks them;
* status changes go through ``lifecycle.set_status``, one call per target status, which
  writes its own audit rows. Import moves only Reserved / In Stock / Archive among each
  other, as the lifecycle table says.

A large import writes in statements of about ``WRITE_BATCH`` rows, so that its progress moves.
"""

from __future__ import annotations

import psycopg
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from audit import services as audit
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID

from .errors import ImportConflict
from .loading import Run
from .planner import TABLE
from .spec import ImportReport

WRITE_BATCH = 100_000  # rows per INSERT / UPDATE statement of a large import (for progress)


def batches(run: Run, action: str, extra: str = "") -> list[tuple[int, int]]:
    """Row-number ranges of about WRITE_BATCH rows with ``action``, for writes in steps
    whose progress a user can watch (one range for small imports)."""
    lo, hi, n = run.sql(
        f"SELECT min(rn), max(rn), count(*) FROM imp_rows WHERE action = %s {extra}",
        [action],
    ).fetchone()
    if not n:
        return []
    if n <= WRITE_BATCH:
        return [(lo, hi)]
    if not run.indexed:
        run.sql("CREATE INDEX ON imp_rows (rn)")
        run.indexed = True
    step = max(WRITE_BATCH * (hi - lo + 1) // n, 1)
    return [(start, min(start + step - 1, hi)) for start in range(lo, hi + 1, step)]


def step(run: Run, done: int, of: int, stage: str | None = None):
    total = run.spec.rows_hint
    run.progress(total * done // of if total and of else None, stage, force=stage is not None)


def write(run: Run, rep: ImportReport, actor: Actor) -> None:
    """Create, then update, then move statuses: the whole plan, or ``ImportConflict``."""
    # The import's change set, named by its file: every write below (and the lifecycle's
    # status moves) adds its entries to it.
    who = audit.open_change_set(actor, "import", message=run.spec.label)
    run.indexed = run.reused  # a kept plan has its index already, if it needs one
    create_new(run, rep, who)
    update_fields(run, who)
    move_statuses(run, rep, actor)
    assign_new(run, rep, actor)


def create_new(run: Run, rep: ImportReport, who: audit.ChangeSetRef) -> None:
    """The rows to create, as new DIDs with a "created" audit entry each."""
    step(run, 0, rep.created, "Creating DIDs")
    done = 0
    tail, tail_params = audit.entries_sql(
        who, "ins", object_type="did", kind=audit.Kind.CREATE, before="NULL", after="after"
    )
    for lo, hi in batches(run, "create"):
        try:
            cur = run.sql(
                f"""
                WITH ins AS (
                    INSERT INTO {TABLE} (number, status, operator_id, reseller_id,
                        after_hold_status, tag, notes, hold_days, created_at, updated_at)
                    SELECT number, status_create, op_final, op_res_final, ah_final, tag_final,
                           notes_final, hd_val, now(), now()
                    FROM imp_rows WHERE action = 'create' AND rn BETWEEN %s AND %s
                    ORDER BY rn
                    RETURNING id, reseller_id,
                        jsonb_build_object('status', status, 'operator_id', operator_id) AS after
                ) {tail}
                """,
                [lo, hi, *tail_params],
            )
        except psycopg.errors.UniqueViolation:
            raise ImportConflict(
                "Nothing was imported: some of the new DIDs were created by someone else "
                "while the import ran. Run it again."
            ) from None
        done += cur.rowcount
        step(run, done, rep.created)


def update_fields(run: Run, who: audit.ChangeSetRef) -> None:
    """The changed fields of the rows to update, with an audit entry each."""
    changes = [
        ("tag", "set_tag", "tag_in"),
        ("notes", "set_notes", "notes_in"),
        ("after_hold_status", "set_ah", "ah_new"),
        ("operator_id", "set_op", "op_id"),
        ("hold_days", "set_hd", "hd_val"),
    ]
    sets = ", ".join(
        f"{col} = CASE WHEN i.{flag} THEN i.{value} ELSE t.{col} END"
        for col, flag, value in changes
    )

    def snapshot(alias):
        return " || ".join(
            f"(CASE WHEN i.{flag} THEN jsonb_build_object('{col}', {alias}.{col}) "
            "ELSE '{}'::jsonb END)"
            for col, flag, _ in changes
        )

    tail, tail_params = audit.entries_sql(who, "changed", object_type="did", kind=audit.Kind.UPDATE)
    ranges = batches(run, "update", "AND fields_change")
    expected = run.sql(
        "SELECT count(*) FROM imp_rows WHERE action = 'update' AND fields_change"
    ).fetchone()[0]
    step(run, 0, expected, "Updating DIDs")
    done = 0
    for lo, hi in ranges:
        # Locked first, in id order, as the lifecycle engine locks (``lock_in_order``): an
        # import and a Mass Edit or the hold sweep over the same DIDs wait, not deadlock.
        lifecycle.lock_in_order(
            "SELECT did_id FROM imp_rows WHERE action = 'update' AND fields_change "
            "AND rn BETWEEN %s AND %s",
            [lo, hi],
        )
        cur = run.sql(
            f"""
            WITH changed AS (
                UPDATE {TABLE} AS t SET {sets}, updated_at = clock_timestamp()
                FROM imp_rows i, {TABLE} o
                WHERE i.action = 'update' AND i.fields_change AND i.rn BETWEEN %s AND %s
                  AND t.id = i.did_id AND o.id = i.did_id
                RETURNING t.id, t.reseller_id,
                          {snapshot("o")} AS before, {snapshot("t")} AS after
            ) {tail}
            """,
            [lo, hi, *tail_params],
        )
        done += cur.rowcount
        step(run, done, expected)
    if done != expected:
        raise ImportConflict(
            f"Nothing was imported: {expected - done:,} of the DIDs to update were deleted "
            "while the import ran. Run it again."
        )


def move_statuses(run: Run, rep: ImportReport, actor: Actor) -> None:
    """The rows' status moves, through the lifecycle (which writes their audit rows)."""
    run.progress(None, "Changing statuses", force=True)
    for target in [s for s in Status if s in lifecycle.UNASSIGNED]:  # in the enum's order
        if not rep.status_changes.get(target.label):
            continue
        selection = DID.objects.filter(
            pk__in=RawSQL(
                "SELECT did_id FROM imp_rows WHERE action = 'update' AND move_to = %s",
                [target.value],
            )
        )
        lifecycle.set_status(selection, target, actor=actor, strict=True)


def assign_new(run: Run, rep: ImportReport, actor: Actor) -> None:
    """The new DIDs the file gives as Active, Blocked or On Hold, created In Stock: assigned
    to their account under their client's subscription, then blocked or held, each through
    the lifecycle (which checks its rules again and writes the audit rows), one move per
    account and subscription."""
    if not rep.assigned:
        return
    run.progress(None, "Assigning DIDs", force=True)
    groups = run.sql(
        """SELECT acc_id, sub_id FROM imp_rows
        WHERE action = 'create' AND assign_to IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"""
    ).fetchall()

    def rows(where: str, params: list) -> QuerySet:
        return DID.objects.filter(
            number__in=RawSQL(
                f"SELECT number FROM imp_rows WHERE action = 'create' AND {where}", params
            )
        )

    for acc_id, sub_id in groups:
        lifecycle.assign(
            rows("assign_to IS NOT NULL AND acc_id = %s AND sub_id = %s", [acc_id, sub_id]),
            account=acc_id,
            subscription=sub_id,
            actor=actor,
        )
    if rep.assigned.get(Status.BLOCKED.label):
        lifecycle.block(rows("assign_to = %s", [Status.BLOCKED.value]), actor=actor)
    if rep.assigned.get(Status.ON_HOLD.label):
        held = [Status.ON_HOLD.value]
        lifecycle.hold(rows("assign_to = %s AND hu_val IS NULL", held), actor=actor)
        # A hold end from the file: the lifecycle's hold (until its time + the DID's hold
        # days, else its package's) from the moment that ends it there, one call a moment.
        starts = run.sql(
            f"""SELECT DISTINCT r.hu_val - make_interval(days => COALESCE(d.hold_days,
                   p.hold_days)) FROM imp_rows r
            JOIN {TABLE} d ON d.number = r.number
            JOIN subscriptions_subscription s ON s.id = d.subscription_id
            JOIN packages_package p ON p.id = s.package_id
            WHERE r.action = 'create' AND r.assign_to = %s AND r.hu_val IS NOT NULL""",
            held,
        ).fetchall()
        for (start,) in starts:
            selection = DID.objects.filter(
                number__in=RawSQL(
                    f"""SELECT r.number FROM imp_rows r JOIN {TABLE} d ON d.number = r.number
                    JOIN subscriptions_subscription s ON s.id = d.subscription_id
                    JOIN packages_package p ON p.id = s.package_id
                    WHERE r.action = 'create' AND r.assign_to = %s AND r.hu_val
                      - make_interval(days => COALESCE(d.hold_days, p.hold_days)) = %s""",
                    [*held, start],
                )
            )
            lifecycle.hold(selection, actor=actor, now=start)

"""A dry run's plan, kept for its apply: so that applying a checked file neither reads it
nor decides its rows again (PRODUCT.md: dry run, then apply).

The dry run keeps its plan (``imp_rows``, less the refused rows) in an UNLOGGED table of its
own, ``imports_plan_<upload>``, and its report beside the upload (``<upload>.plan.json``),
with a fingerprint of every choice that decided it. The apply uses the plan when the
choices are the same and nothing it decided on has changed since: every DID of a row it
creates is still absent, and every DID it updates or leaves unchanged still has the
``updated_at`` the plan saw (every write to a DID sets it). Otherwise it plans again. The
lifecycle's moves check their own rules again as they apply, and a name that is gone fails
on its foreign key: either way nothing is written (``ImportConflict``).

A dry run whose names step creates something (rolled back with the dry run) keeps no plan:
its apply must create them first and plan on them.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from django.db import connection

from . import writer
from .loading import Run
from .planner import TABLE
from .spec import ImportReport, ImportSpec


def table_name(path: Path) -> str:
    return "imports_plan_" + re.sub(r"[^a-z0-9_]", "_", path.stem.lower())[:40]


def meta_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.plan.json")


def fingerprint(spec: ImportSpec) -> str:
    """Every choice that decides a plan, and the file's size and time."""
    try:
        stat = spec.path.stat()
        file = [stat.st_size, stat.st_mtime_ns]
    except OSError:
        file = None
    choices = [
        str(spec.path),
        file,
        spec.kind,
        spec.delimiter,
        spec.has_header,
        spec.mapping,
        spec.reseller_id,
        spec.operator_id,
        str(spec.status),
        str(spec.after_hold),
        spec.tag,
        spec.notes,
        spec.width,
        spec.encoding,
        spec.names,
    ]
    return hashlib.sha256(json.dumps(choices, default=str).encode()).hexdigest()


def keepable(spec: ImportSpec) -> bool:
    """A plan is kept unless step 2 creates something (the dry run rolls that back)."""
    return not any("new" in (choices or {}).values() for choices in (spec.names or {}).values())


def keep(run: Run, rep: ImportReport) -> None:
    """Keep the run's plan (its rows that are not refused) and its report."""
    spec = run.spec
    table = table_name(spec.path)
    run.sql(f"DROP TABLE IF EXISTS {table}")
    run.sql(f"CREATE UNLOGGED TABLE {table} AS SELECT * FROM imp_rows WHERE action <> 'refused'")
    if rep.rows - rep.refused > writer.WRITE_BATCH:  # the writes go in ranges of rn
        run.sql(f"CREATE INDEX ON {table} (rn)")
    counts = rep.counts()
    meta = {
        "table": table,
        "fingerprint": fingerprint(spec),
        "counts": counts,
        "errors": rep.errors,
    }
    meta_path(spec.path).write_text(json.dumps(meta))


def drop(path: Path) -> None:
    """Forget the plan kept for the upload at ``path``, if any."""
    meta_path(path).unlink(missing_ok=True)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table_name(path)}")


def reuse(run: Run) -> ImportReport | None:
    """The kept plan as this run's ``imp_rows`` (a view of it) and its report, if it was
    made with the same choices and is still current; else None (plan again)."""
    spec = run.spec
    try:
        meta = json.loads(meta_path(spec.path).read_text())
    except (OSError, ValueError):
        return None
    table = meta.get("table")
    if table != table_name(spec.path) or meta.get("fingerprint") != fingerprint(spec):
        return None
    exists = run.sql("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]
    if not exists:
        return None
    stale = run.sql(
        f"""SELECT EXISTS (
            SELECT 1 FROM {table} p LEFT JOIN {TABLE} d ON d.number = p.number
            WHERE (p.did_id IS NULL AND d.id IS NOT NULL)
               OR (p.did_id IS NOT NULL AND (d.id IS DISTINCT FROM p.did_id
                                             OR d.updated_at IS DISTINCT FROM p.cur_upd)))"""
    ).fetchone()[0]
    if stale:
        return None
    run.sql("DROP TABLE IF EXISTS imp_rows")
    run.sql(f"CREATE TEMP VIEW imp_rows AS SELECT * FROM {table}")
    run.reused = True
    rep = ImportReport.of(meta["counts"])
    rep.errors = meta.get("errors") or []
    return rep


def done_with(run: Run) -> None:
    """After the writes: the view goes (the kept table goes with the upload)."""
    if run.reused:
        run.sql("DROP VIEW IF EXISTS imp_rows")

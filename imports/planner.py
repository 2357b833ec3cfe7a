"""The import's plan: one row of ``imp_rows`` per file row, with its decision.

``plan(run)`` builds it in one ``CREATE TEMP TABLE ... AS SELECT`` of five nested steps, each
a function below that a reader can take one at a time:

1. ``read_cells``: each mapped cell trimmed and unescaped once (unmapped fields are NULL,
   "not given");
2. ``resolve_names``: each row joined to its existing DID, to the look-ups of its status,
   after-hold, reseller and operator names (``imports.lookups``) and to an earlier row of
   the same number;
3. ``parse_values``: the values the row would write (the file's or the defaults), and which
   fields of an existing DID it changes;
4. ``check_row`` (``imports.row_checks``): every reason the row is refused, in words a user
   can act on;
5. ``classify``: ``create``, ``update``, ``unchanged`` or ``refused``.

``OFFSET 0`` keeps PostgreSQL from inlining the steps into each other, so every expression
runs once per row, not once per mention. A large file is planned in statements of about
``PLAN_BATCH`` rows (by row number), so that the progress of "Checking the rows" moves; the
numbers the file repeats (``imp_dup``) and the rows' existing DIDs (``imp_did``) are found
once, over the whole file. The lifecycle's table decides which statuses a row may set; the
plan only explains it row by row. ``report(run)`` counts the plan.
"""

from __future__ import annotations

from config.limits import HOLD_DAYS_MAX, NOTES_MAX, TAG_MAX
from inventory import lifecycle
from inventory.choices import AfterHold, Status
from inventory.models import DID

from .loading import Run
from .lookups import ESCAPED_FORMULA, name_key, resolve_names, unescape_sql
from .row_checks import check_row, show
from .spec import ImportReport

TABLE = DID._meta.db_table
MAX_ERRORS = 100
PLAN_BATCH = 100_000  # rows per statement of a large file's plan (for progress)
NUMBER_SQL = r"^\+?[0-9]+$"  # and at most 32 characters (a bounded regex is 7x slower)
# A number a spreadsheet showed in scientific notation and saved so: "4.15555E+11".
SCIENTIFIC_SQL = r"^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$"


def plan_params(run: Run) -> dict:
    """The plan's parameters: the user's defaults, the bounds and the lifecycle's sets."""
    spec = run.spec
    return {
        "escaped": ESCAPED_FORMULA,
        "number": NUMBER_SQL,
        "user_res": spec.reseller_id,
        "def_op": spec.operator_id,
        "def_status": Status(spec.status).value,
        "def_ah": AfterHold(spec.after_hold).value,
        "def_tag": spec.tag,
        "def_notes": spec.notes,
        "hold_days_max": HOLD_DAYS_MAX,
        "tag_max": TAG_MAX,
        "notes_max": NOTES_MAX,
        "initial": lifecycle.values(lifecycle.INITIAL),
        "unassigned": lifecycle.values(lifecycle.UNASSIGNED),
        "assigned": lifecycle.values(lifecycle.ASSIGNED),
        "width": spec.width or len(spec.mapping),
        "ragged": spec.kind == "csv",
        "scientific": SCIENTIFIC_SQL,
        "st_in_stock": Status.IN_STOCK.value,
        "st_on_hold": Status.ON_HOLD.value,
    }


def read_cells(run: Run) -> str:
    """Step 1: the rows of ``imp_src``, each mapped cell trimmed and unescaped once."""

    def text(col, trim=True):
        return unescape_sql(f"btrim(f.{col})" if trim else f"f.{col}")

    cells = ["COALESCE(btrim(f.did), '') AS number", "f.ncells"]

    def cell(name, expr, alias):
        cells.append(f"{expr if run.has(name) else 'NULL::text'} AS {alias}")

    cell("status", "f.status", "status_key")
    cell("status", "NULLIF(btrim(f.status), '')", "status_raw")
    cell("after_hold", "f.after_hold", "ah_key")
    cell("after_hold", "NULLIF(btrim(f.after_hold), '')", "ah_raw")
    cell("reseller", "f.reseller", "res_key")
    cell("reseller", f"NULLIF({text('reseller')}, '')", "res_name")
    cell("operator", f"NULLIF({text('operator')}, '')", "op_name")
    cell("tag", text("tag"), "tag_in")
    cell("notes", text("notes", trim=False), "notes_in")
    cell("client", text("client"), "client_in")
    cell("account", text("account"), "account_in")
    cell("package", text("package"), "package_in")
    cell("hold_days", "NULLIF(btrim(f.hold_days), '')", "hd_raw")
    cell("hold_until", "f.hold_until", "hu_key")
    cell("hold_until", "NULLIF(btrim(f.hold_until), '')", "hu_raw")
    columns = ",\n            ".join(cells)
    return f"""SELECT f.rn,
            {columns}
        FROM imp_src f
        WHERE f.rn BETWEEN %(lo)s AND %(hi)s OFFSET 0"""


def resolve_names_sql(run: Run, cells: str) -> str:
    """Step 2: each row with its existing DID (``d``, from ``imp_did``), its look-ups and its
    earlier twin."""
    has = run.has
    inputs = [
        "src.status_raw, src.ah_raw, src.res_name, src.op_name",
        "src.tag_in, src.notes_in, src.client_in, src.account_in, src.hd_raw",
        "src.ncells, src.package_in, src.hu_raw",
    ]
    joins = []
    if has("status"):
        inputs.append("st.value AS status_new")
        joins.append("LEFT JOIN imp_status st ON st.raw = src.status_key")
    else:
        inputs.append("NULL::text AS status_new")
    if has("after_hold"):
        inputs.append("ah.value AS ah_new")
        joins.append("LEFT JOIN imp_after ah ON ah.raw = src.ah_key")
    else:
        inputs.append("NULL::text AS ah_new")
    if has("hold_until"):
        inputs.append("hu.value::timestamptz AS hu_val")
        joins.append("LEFT JOIN imp_hu hu ON hu.raw = src.hu_key")
    else:
        inputs.append("NULL::timestamptz AS hu_val")
    if has("reseller"):
        inputs.append("rs.reseller_id AS res_id")
        joins.append("LEFT JOIN imp_res rs ON rs.raw = src.res_key")
        res_id = "rs.reseller_id"
    else:
        inputs.append("NULL::bigint AS res_id")
        res_id = "NULL::bigint"
    if has("operator"):
        inputs.append("opn.op_id, opn.op_res, opn.n AS op_n")
        joins.append(
            f"""LEFT JOIN imp_opn opn ON opn.op_name = src.op_name
            AND opn.res_key = COALESCE(d.reseller_id, {res_id}, %(user_res)s::bigint, 0)"""
        )
    else:
        inputs.append("NULL::bigint AS op_id, NULL::bigint AS op_res, NULL::bigint AS op_n")
    if has("client") or has("account"):
        inputs.append("c.name AS cur_client, a.name AS cur_account")
        joins.append("LEFT JOIN clients_client c ON c.id = d.client_id")
        joins.append("LEFT JOIN clients_account a ON a.id = d.account_id")
    else:
        inputs.append("NULL::text AS cur_client, NULL::text AS cur_account")
    columns = ",\n          ".join(inputs)
    joined = "\n        ".join(joins)
    return f"""SELECT src.rn, src.number,
          {columns},
          d.id AS did_id, d.status AS cur_status, d.reseller_id AS cur_res,
          d.operator_id AS cur_op, d.tag AS cur_tag, d.notes AS cur_notes,
          d.after_hold_status AS cur_ah, d.hold_days AS cur_hd, d.updated_at AS cur_upd,
          dup.first_rn
        FROM ({cells}) src
        LEFT JOIN imp_did d ON d.rn = src.rn AND d.rn BETWEEN %(lo)s AND %(hi)s
        {joined}
        LEFT JOIN imp_dup dup ON dup.number = src.number AND dup.first_rn <> src.rn
        OFFSET 0"""


def parse_values(resolved: str) -> str:
    """Step 3: the values a row would write (the file's, else the defaults), the status it
    moves an existing DID to, and which of the DID's fields it changes (``set_*``)."""
    return f"""SELECT x.*,
          COALESCE(status_new, %(def_status)s) AS status_t,
          CASE WHEN op_name IS NOT NULL THEN op_id ELSE %(def_op)s::bigint END AS op_final,
          CASE WHEN op_name IS NOT NULL THEN op_res
               ELSE (SELECT reseller_id FROM operators_operator WHERE id = %(def_op)s)
          END AS op_res_final,
          COALESCE(NULLIF(tag_in, ''), %(def_tag)s) AS tag_final,
          COALESCE(NULLIF(notes_in, ''), %(def_notes)s) AS notes_final,
          COALESCE(ah_new, %(def_ah)s) AS ah_final,
          CASE WHEN hd_raw ~ '^[0-9]+$' THEN CASE WHEN hd_raw::numeric <= %(hold_days_max)s
               THEN hd_raw::numeric::integer END END AS hd_val,
          CASE WHEN status_new <> cur_status THEN status_new END AS move_to,
          (did_id IS NOT NULL AND tag_in IS NOT NULL
           AND tag_in IS DISTINCT FROM cur_tag) AS set_tag,
          (did_id IS NOT NULL AND notes_in IS NOT NULL
           AND notes_in IS DISTINCT FROM cur_notes) AS set_notes,
          (did_id IS NOT NULL AND ah_new IS NOT NULL
           AND ah_new IS DISTINCT FROM cur_ah) AS set_ah,
          (did_id IS NOT NULL AND op_id IS NOT NULL
           AND op_id IS DISTINCT FROM cur_op) AS set_op,
          COALESCE(CASE WHEN did_id IS NOT NULL AND hd_raw ~ '^[0-9]+$'
                        THEN CASE WHEN hd_raw::numeric <= %(hold_days_max)s
                             THEN hd_raw::numeric::integer IS DISTINCT FROM cur_hd END
                   END, FALSE) AS set_hd
        FROM ({resolved}) x
        OFFSET 0"""


def resolve_assignment(run: Run, parsed: str) -> str:
    """Step 3b: for a row that names a client, an account or a package, their ids in the
    row's reseller (``imports.lookups.assignments``) and the client's active subscription
    to the package, with the package's allowed tags."""
    if not (run.has("client") or run.has("account") or run.has("package")):
        return f"""SELECT p.*, NULL::bigint AS cli_id, NULL::bigint AS acc_id,
              NULL::bigint AS pkg_id, NULL::text[] AS pkg_tags, NULL::bigint AS sub_id
            FROM ({parsed}) p
            OFFSET 0"""
    res = "COALESCE(p.op_res_final, p.res_id, %(user_res)s::bigint)"
    return f"""SELECT p.*, cl.cli_id, ac.acc_id, pk.pkg_id, pk.tags AS pkg_tags, sb.sub_id
        FROM ({parsed}) p
        LEFT JOIN imp_cli cl ON cl.k = {name_key("p.client_in")} AND cl.res = {res}
        LEFT JOIN imp_acc ac ON ac.k = {name_key("p.account_in")} AND ac.cli_id = cl.cli_id
        LEFT JOIN imp_pkg pk ON pk.k = {name_key("p.package_in")} AND pk.res = {res}
        LEFT JOIN imp_sub sb ON sb.cli_id = cl.cli_id AND sb.pkg_id = pk.pkg_id
        OFFSET 0"""


def classify(checked: str) -> str:
    """Step 5: the columns the writer needs, and the row's ``action``. A new DID to be
    assigned (``assign_to``: Active, Blocked or On Hold) is created In Stock."""
    return f"""SELECT rn, number, did_id, errs, move_to, fields_change, status_t, op_final,
          op_res_final, ah_final, tag_final, notes_final, hd_val, set_tag, set_notes,
          set_ah, set_op, set_hd, tag_in, notes_in, ah_new, op_id,
          CASE WHEN z.did_id IS NULL AND z.status_t = ANY(%(assigned)s) THEN z.status_t
          END AS assign_to,
          CASE WHEN z.did_id IS NULL AND z.status_t = ANY(%(assigned)s) THEN %(st_in_stock)s
               ELSE z.status_t END AS status_create,
          acc_id, sub_id, cur_upd, hu_val,
          CASE WHEN cardinality(z.errs) > 0 THEN 'refused'
               WHEN z.did_id IS NULL THEN 'create'
               WHEN z.move_to IS NOT NULL OR z.fields_change THEN 'update'
               ELSE 'unchanged' END AS action
        FROM ({checked}) z"""


def check_allowance(run: Run) -> None:
    """The rows to assign that do not fit their subscription's allowance (the lifecycle's
    rule: the DIDs linked to it count against its package's), in file order, refused."""
    counted = lifecycle.values(lifecycle.COUNTED_AGAINST_ALLOWANCE)
    run.sql(
        f"""
        WITH room AS (
            SELECT s.id, p.did_allowance - (
                SELECT count(*) FROM {TABLE} d
                WHERE d.subscription_id = s.id AND d.status = ANY(%(counted)s)) AS room,
                p.name AS package, p.did_allowance
            FROM subscriptions_subscription s JOIN packages_package p ON p.id = s.package_id
            WHERE s.id IN (SELECT DISTINCT sub_id FROM imp_rows
                           WHERE action = 'create' AND assign_to IS NOT NULL)
        ), over AS (
            SELECT r.rn, room.package, room.did_allowance, room.room
            FROM (SELECT rn, sub_id, row_number() OVER (PARTITION BY sub_id ORDER BY rn) AS n
                  FROM imp_rows WHERE action = 'create' AND assign_to IS NOT NULL) r
            JOIN room ON room.id = r.sub_id
            WHERE r.n > room.room
        )
        UPDATE imp_rows i SET action = 'refused', errs = i.errs || (
            'Package: ' || {show("over.package")} || ' allows ' || over.did_allowance
            || ' DIDs and the subscription has room for ' || GREATEST(over.room, 0)
            || ' more; this row does not fit')
        FROM over WHERE i.rn = over.rn
        """,
        {"counted": counted},
    )


def row_ranges(run: Run) -> list[tuple[int, int]]:
    """The file's row numbers in ranges of about ``PLAN_BATCH`` (one for a small file)."""
    lo, hi = run.sql("SELECT min(rn), max(rn) FROM imp_src").fetchone()
    if lo is None:
        return [(0, -1)]
    if hi - lo < PLAN_BATCH:
        return [(lo, hi)]
    run.sql(f"CREATE INDEX ON {run.source} (rn)")
    return [(start, min(start + PLAN_BATCH - 1, hi)) for start in range(lo, hi + 1, PLAN_BATCH)]


def plan(run: Run) -> None:
    """Resolve the names, then decide every row into ``imp_rows`` (the five steps above),
    a range of rows at a time."""
    resolve_names(run)
    # Once for the whole file: the numbers it repeats, and the rows' existing DIDs (one
    # hash join over the inventory, not one per range).
    run.sql(
        """CREATE TEMP TABLE imp_dup ON COMMIT DROP AS
        SELECT btrim(did) AS number, min(rn) AS first_rn FROM imp_src
        GROUP BY 1 HAVING count(*) > 1"""
    )
    run.sql(
        f"""CREATE TEMP TABLE imp_did ON COMMIT DROP AS
        SELECT f.rn, d.id, d.status, d.reseller_id, d.operator_id, d.tag, d.notes,
               d.after_hold_status, d.hold_days, d.client_id, d.account_id, d.updated_at
        FROM imp_src f JOIN {TABLE} d ON d.number = COALESCE(btrim(f.did), '')"""
    )
    run.sql("CREATE INDEX ON imp_did (rn)")
    run.sql("ANALYZE imp_did")
    parsed = resolve_assignment(run, parse_values(resolve_names_sql(run, read_cells(run))))
    rows = classify(check_row(parsed))
    params = plan_params(run)
    ranges = row_ranges(run)
    first = ranges[0][0]
    for n, (lo, hi) in enumerate(ranges):
        into = "CREATE TEMP TABLE imp_rows ON COMMIT DROP AS" if n == 0 else "INSERT INTO imp_rows"
        run.sql(f"{into} {rows}", {**params, "lo": lo, "hi": hi})
        run.progress(hi - first + 1, force=True)
    if run.has("client") or run.has("account") or run.has("package"):
        check_allowance(run)


GROUPS_MAX = 50  # reasons the dry run groups, the commonest first
GROUP_ROWS = 10  # rows a group names


def report(run: Run) -> ImportReport:
    """The plan's counts, its refusals grouped by reason (the commonest first, each with
    its count and first rows) and its first ``MAX_ERRORS`` refused rows with all their
    reasons."""
    rep = ImportReport()
    counts = run.sql(
        "SELECT action, COALESCE(assign_to, move_to), count(*) FROM imp_rows "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    for action, move_to, n in counts:
        rep.rows += n
        if action == "create":
            rep.created += n
            if move_to:
                rep.assigned[Status(move_to).label] = n
        elif action == "update":
            rep.updated += n
            if move_to:
                rep.status_changes[Status(move_to).label] = n
        elif action == "unchanged":
            rep.unchanged += n
        else:
            rep.refused += n
    if rep.refused:
        rep.errors = [
            {"row": rn, "text": "; ".join(errs)}
            for rn, errs in run.sql(
                "SELECT rn, errs FROM imp_rows WHERE action = 'refused' ORDER BY rn LIMIT %s",
                [MAX_ERRORS],
            ).fetchall()
        ]
        rep.groups = [
            {"text": reason, "count": n, "rows": rows}
            for reason, n, rows in run.sql(
                # Reasons that differ only in case and spaces (a name written two ways)
                # are one group, shown as its first row says it.
                f"""SELECT (array_agg(reason ORDER BY rn))[1], count(*),
                       (array_agg(rn ORDER BY rn))[1:%s]
                FROM imp_rows, unnest(errs) AS reason WHERE action = 'refused'
                GROUP BY {name_key("reason")} ORDER BY count(*) DESC, min(rn) LIMIT %s""",
                [GROUP_ROWS, GROUPS_MAX],
            ).fetchall()
        ]
    return rep

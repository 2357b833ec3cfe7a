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
4. ``check_row``: the first reason the row is refused, if any, in words a user can act on;
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
from .spec import ImportReport

TABLE = DID._meta.db_table
MAX_ERRORS = 100
PLAN_BATCH = 100_000  # rows per statement of a large file's plan (for progress)
NUMBER_SQL = r"^\+?[0-9]+$"  # and at most 32 characters (a bounded regex is 7x slower)
# A number a spreadsheet showed in scientific notation and saved so: "4.15555E+11".
SCIENTIFIC_SQL = r"^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$"


def label_sql(expr: str) -> str:
    """The label of the status value ``expr`` ("in_stock" -> "In Stock")."""
    whens = " ".join(f"WHEN '{s.value}' THEN '{s.label}'" for s in Status)
    return f"(CASE {expr} {whens} END)"


def show(expr: str) -> str:
    """A user's value inside a message, cut short."""
    return (
        f"'“' || (CASE WHEN char_length({expr}) > 40 THEN left({expr}, 40) || '…' "
        f"ELSE {expr} END) || '”'"
    )


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


def reasons(*checks: str) -> str:
    """The first true reason of ``checks`` (``CASE WHEN ... THEN ... END``), or NULL."""
    return "CASE " + " ".join(checks) + " END"


def check_row(parsed: str) -> str:
    """Step 4: ``errs``, every reason the row is refused (an empty array if none), and
    whether it changes any field (``fields_change``). Each group of checks below gives at
    most one reason (a later check of a group assumes the earlier ones passed); the groups
    are independent, so a row lists all of its problems at once. The order is the order a
    user fixes a row in: the cells, the number, the values, then what the lifecycle and
    tenancy allow. A number that is not available gives only that reason: nothing more is
    said about another reseller's DID."""
    number = "number"
    cur_label = label_sql("cur_status")
    move_label = label_sql("move_to")
    new_label = label_sql("status_t")
    ragged = (
        "'Row: ' || ncells || CASE ncells WHEN 1 THEN ' cell' ELSE ' cells' END || '; the "
        "first row has ' || %(width)s || ': check the delimiter and the quotes'"
    )
    cells = reasons(
        f"WHEN ncells > %(width)s THEN {ragged}",
        f"WHEN %(ragged)s AND ncells < %(width)s THEN {ragged}",
    )
    did = reasons(
        "WHEN number = '' THEN 'DID: the cell is empty'",
        # The scientific-notation test runs only on what is not a number (a regex per row
        # costs: the plan's whole check took 4x as long with it first).
        f"""WHEN {number} !~ %(number)s OR char_length({number}) > 32
              THEN CASE WHEN {number} ~ %(scientific)s
                THEN 'DID: ' || {show(number)} || ' is in scientific notation: a spreadsheet '
                   || 'changed the number. Format the DID column as Text before typing or '
                   || 'pasting the numbers (or open the CSV with that column as Text), and '
                   || 'save the file again'
                ELSE 'DID: ' || {show(number)} || ' is not a number' END""",
        f"""WHEN first_rn IS NOT NULL
              THEN 'DID ' || {number} || ' is already on row ' || first_rn""",
    )
    status = reasons(
        f"""WHEN status_raw IS NOT NULL AND status_new IS NULL
              THEN 'Status: ' || {show("status_raw")} || ' is not a status'"""
    )
    after_hold = reasons(
        f"""WHEN ah_raw IS NOT NULL AND ah_new IS NULL
              THEN 'After Hold: ' || {show("ah_raw")}
                   || ' is not Reserved, In Stock or Archive'"""
    )
    hold_days = reasons(
        f"""WHEN hd_raw IS NOT NULL AND hd_raw !~ '^[0-9]+$'
              THEN 'Hold days: ' || {show("hd_raw")} || ' is not a whole number of days'""",
        f"""WHEN hd_raw IS NOT NULL AND hd_raw::numeric > %(hold_days_max)s
              THEN 'Hold days: ' || {show("hd_raw")}
                   || ' is more than {HOLD_DAYS_MAX:,} days'""",
    )
    tag = reasons(
        f"WHEN char_length(tag_in) > %(tag_max)s THEN 'Tag: longer than {TAG_MAX:,} characters'"
    )
    notes = reasons(
        "WHEN char_length(notes_in) > %(notes_max)s THEN 'Notes: longer than "
        f"{NOTES_MAX:,} characters'"
    )
    owner = reasons(
        f"""WHEN res_name IS NOT NULL AND res_id IS NULL
              THEN 'Reseller: ' || {show("res_name")} ||
                   CASE WHEN %(user_res)s::bigint IS NULL THEN ' is not a reseller'
                        ELSE ' is not your reseller' END""",
        f"""WHEN did_id IS NOT NULL AND res_id IS NOT NULL AND res_id <> cur_res
              THEN 'Reseller: DID ' || {number} || ' belongs to another reseller; '
                   || 'import does not move DIDs between resellers'""",
    )
    operator = reasons(
        f"""WHEN op_name IS NOT NULL AND op_id IS NULL AND op_n > 1
              THEN 'Operator: ' || {show("op_name")}
                   || ' is the name of several operators; add a Reseller column'""",
        f"""WHEN op_name IS NOT NULL AND op_id IS NULL
              THEN 'Operator: no operator ' || {show("op_name")} ||
                   CASE WHEN did_id IS NOT NULL THEN ' of the DID''s reseller'
                        WHEN %(user_res)s::bigint IS NOT NULL THEN ' of your reseller'
                        WHEN res_name IS NOT NULL THEN ' of reseller ' || {show("res_name")}
                        ELSE '' END""",
        """WHEN did_id IS NULL AND op_final IS NULL
              THEN 'Operator: the cell is empty and no default operator was chosen'""",
        f"""WHEN did_id IS NULL AND res_id IS NOT NULL AND op_res_final <> res_id
              THEN 'Operator: the default operator is not of reseller '
                   || {show("res_name")}""",
    )
    # Assigning a new DID (Active, Blocked or On Hold with client, account and package):
    # what the lifecycle's assign move requires, explained row by row (the move itself
    # checks it again when the import is applied). The allowance is checked on the plan
    # as a whole (``check_allowance``).
    assign = reasons(
        """WHEN client_in = '' OR client_in IS NULL
              THEN 'Client: the cell is empty; an assigned DID needs its client'""",
        f"""WHEN cli_id IS NULL
              THEN 'Client: ' || {show("client_in")} || ' is not a client'
                   || CASE WHEN %(user_res)s::bigint IS NULL THEN ' of the row''s reseller'
                           ELSE ' of yours' END""",
        """WHEN account_in = '' OR account_in IS NULL
              THEN 'Account: the cell is empty; an assigned DID needs its account'""",
        f"""WHEN acc_id IS NULL
              THEN 'Account: ' || {show("account_in")} || ' is not an account of client '
                   || {show("client_in")}""",
        """WHEN package_in = '' OR package_in IS NULL
              THEN 'Package: the cell is empty; an assigned DID needs its package'""",
        f"""WHEN pkg_id IS NULL
              THEN 'Package: ' || {show("package_in")} || ' is not a package'
                   || CASE WHEN %(user_res)s::bigint IS NULL THEN ' of the row''s reseller'
                           ELSE ' of yours' END""",
        f"""WHEN sub_id IS NULL
              THEN 'Package: client ' || {show("client_in")}
                   || ' has no active subscription to ' || {show("package_in")}""",
        f"""WHEN cardinality(pkg_tags) > 0 AND NOT tag_final = ANY(pkg_tags)
              THEN 'Tag: package ' || {show("package_in")} || ' allows only the tags '
                   || array_to_string(pkg_tags, ', ')""",
    )
    lifecycle_rules = reasons(
        f"""WHEN did_id IS NULL AND NOT status_t = ANY(%(initial)s)
                 AND COALESCE(client_in, '') || COALESCE(account_in, '')
                     || COALESCE(package_in, '') = ''
              THEN 'DID ' || {number} || ' is new and ' || {new_label}
                   || ': give its Client, Account and Package, or a status of Reserved, '
                   || 'In Stock or Archive'""",
        f"""WHEN did_id IS NULL AND NOT status_t = ANY(%(initial)s) THEN {assign}""",
        f"""WHEN did_id IS NULL AND (client_in <> '' OR account_in <> '' OR package_in <> '')
              THEN 'Client: DID ' || {number} || ' is new and ' || {new_label}
                   || '; only an Active, Blocked or On Hold DID is assigned to a client'""",
        f"""WHEN move_to IS NOT NULL AND cur_status = ANY(%(assigned)s)
                 AND move_to = ANY(%(unassigned)s)
              THEN 'DID ' || {number} || ' is assigned (' || {cur_label}
                   || '); cannot become ' || {move_label}""",
        f"""WHEN move_to = ANY(%(assigned)s) AND cur_status = ANY(%(unassigned)s)
              THEN 'DID ' || {number} || ' is ' || {cur_label} || '; import cannot make '
                   || 'it ' || {move_label} || ': assign it to an account instead'""",
        f"""WHEN move_to = ANY(%(assigned)s)
              THEN 'DID ' || {number} || ' is ' || {cur_label} || '; import cannot make '
                   || 'it ' || {move_label} || ': use Mass Edit'""",
        f"""WHEN did_id IS NOT NULL AND cur_status = ANY(%(assigned)s)
                 AND client_in <> '' AND client_in <> cur_client
              THEN 'Client: DID ' || {number} || ' is assigned to ' || {show("cur_client")}
                   || ', not ' || {show("client_in")} || '; import does not reassign DIDs'""",
        f"""WHEN did_id IS NOT NULL AND cur_status = ANY(%(assigned)s)
                 AND account_in <> '' AND account_in <> cur_account
              THEN 'Account: DID ' || {number} || ' is assigned to account '
                   || {show("cur_account")} || ', not ' || {show("account_in")}
                   || '; import does not reassign DIDs'""",
        f"""WHEN did_id IS NOT NULL AND cur_status = ANY(%(unassigned)s)
                 AND (client_in <> '' OR account_in <> '')
              THEN 'Client: DID ' || {number} || ' is ' || {cur_label}
                   || '; import does not assign DIDs to clients'""",
    )
    unavailable = """did_id IS NOT NULL AND %(user_res)s::bigint IS NOT NULL
                 AND cur_res <> %(user_res)s"""
    hold_until = reasons(
        f"""WHEN hu_raw IS NOT NULL AND hu_val IS NULL
              THEN 'Hold until: ' || {show("hu_raw")}
                   || ' is not a date and time (YYYY-MM-DD HH:MM)'""",
        # An existing DID keeps its hold end (a re-imported export carries it unchanged).
        """WHEN hu_raw IS NOT NULL AND did_id IS NULL AND status_t <> %(st_on_hold)s
              THEN 'Hold until: only an On Hold DID has a hold end'""",
    )
    groups = [cells, did, status, after_hold, hold_days, hold_until, tag, notes, owner]
    groups.append(operator)
    # The lifecycle's rules need a status that parsed.
    groups.append(
        f"CASE WHEN status_raw IS NULL OR status_new IS NOT NULL THEN {lifecycle_rules} END"
    )
    listed = ",\n            ".join(groups)
    return f"""SELECT y.*,
          CASE WHEN {unavailable} THEN ARRAY['DID: not available']
               ELSE array_remove(ARRAY[
            {listed}
          ]::text[], NULL) END AS errs,
          (set_tag OR set_notes OR set_ah OR set_op OR set_hd) AS fields_change
        FROM ({parsed}) y
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

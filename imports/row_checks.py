"""Step 4 of the import's plan (``imports.planner``): every reason a row is refused, in
words a user can act on, as SQL over the parsed row."""

from __future__ import annotations

from config.limits import HOLD_DAYS_MAX, NOTES_MAX, TAG_MAX
from inventory.choices import Status


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

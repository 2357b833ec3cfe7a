"""The planner's first step, resolving names: the distinct status words, reseller names and
operator names of the loaded rows, each looked up once into a small temporary table
(``imp_status``, ``imp_after``, ``imp_res``, ``imp_opn``) that the plan joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from inventory.choices import AfterHold, parse_status
from subscriptions.models import Subscription

from .loading import Run

# Spreadsheet formula characters that an export escaped with one leading apostrophe.
ESCAPED_FORMULA = "^'+[-=+@\t\r]"


def unescape_sql(expr: str) -> str:
    """``expr`` without the apostrophe an export put before a formula character. The cheap
    first-character test spares the regex for almost every value."""
    return (
        f"(CASE WHEN left({expr}, 1) <> '''' THEN {expr} "
        f"WHEN {expr} ~ %(escaped)s THEN substr({expr}, 2) ELSE {expr} END)"
    )


def name_key(expr: str) -> str:
    """A name as it is compared: case and spaces ignored ("Company Name" = "companyname")."""
    return f"lower(regexp_replace({expr}, '\\s+', '', 'g'))"


def status_value(raw: str) -> str | None:
    """A status word of the file ("instock", "In Stock") as its value, or None."""
    s = parse_status(raw)
    return s.value if s is not None else None


def after_hold_value(raw: str) -> str | None:
    """An after-hold word of the file as its value, or None if it is no after-hold status."""
    s = parse_status(raw)
    return s.value if s is not None and s.value in AfterHold.values else None


def value_map(run: Run, table: str, column: str, parse: Callable[[str], str | None]) -> None:
    """``table`` (raw, value): each distinct raw ``column`` of the rows, parsed in Python."""
    run.sql(f"CREATE TEMP TABLE {table} (raw text, value text) ON COMMIT DROP")
    raws = [
        r[0]
        for r in run.sql(
            f"SELECT DISTINCT {column} FROM imp_src WHERE {column} IS NOT NULL"
        ).fetchall()
    ]
    values = [parse(r) for r in raws]
    run.sql(f"INSERT INTO {table} SELECT * FROM unnest(%s::text[], %s::text[])", [raws, values])


def hold_until_value(raw: str) -> str | None:
    """A Hold until cell ("2026-12-31 10:00", an ISO date and time, with or without its
    offset; a date alone is its midnight) as an ISO timestamp in the current time zone."""
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.isoformat()


def resolve_names(run: Run) -> None:
    """Build the look-up table of every mapped column that names something."""
    if run.has("hold_until"):
        value_map(run, "imp_hu", "hold_until", hold_until_value)
        run.sql("ANALYZE imp_hu")
    if run.has("status"):
        value_map(run, "imp_status", "status", status_value)
    if run.has("after_hold"):
        value_map(run, "imp_after", "after_hold", after_hold_value)
    params = {"escaped": ESCAPED_FORMULA, "user_res": run.spec.reseller_id}
    if run.has("reseller"):
        resellers(run, params)
    if run.has("operator"):
        operators(run, params)
    if run.has("client") or run.has("account") or run.has("package"):
        assignments(run, params)
    for table, column in [
        ("imp_status", "status"),
        ("imp_after", "after_hold"),
        ("imp_res", "reseller"),
        ("imp_opn", "operator"),
    ]:
        if run.has(column):
            run.sql(f"ANALYZE {table}")


def resellers(run: Run, params: dict) -> None:
    """``imp_res``: each reseller name's reseller (the user's own only, unless an admin)."""
    res_name = unescape_sql("btrim(raw)")
    run.sql(
        f"""
        CREATE TEMP TABLE imp_res ON COMMIT DROP AS
        SELECT k.raw, (SELECT r.id FROM accounts_reseller r
                       WHERE {name_key("r.name")} = {name_key(res_name)}
                         AND (%(user_res)s::bigint IS NULL OR r.id = %(user_res)s)
                       ORDER BY (r.name = {res_name}) DESC, r.id LIMIT 1) AS reseller_id
        FROM (SELECT DISTINCT reseller AS raw FROM imp_src
              WHERE NULLIF(btrim(reseller), '') IS NOT NULL) k
        """,
        params,
    )


def operators(run: Run, params: dict) -> None:
    """``imp_opn``: operators by name, per reseller (res_key), and across all resellers
    (res_key 0) for a platform admin's rows that name no reseller. op_id is NULL when the
    name is ambiguous."""
    op_name = unescape_sql("btrim(operator)")

    def pick(col):
        return f"""CASE
            WHEN count(*) FILTER (WHERE exact) = 1 THEN min({col}) FILTER (WHERE exact)
            WHEN count(*) FILTER (WHERE exact) = 0 AND count(*) = 1 THEN min({col}) END"""

    run.sql(
        f"""
        CREATE TEMP TABLE imp_opn ON COMMIT DROP AS
        WITH k AS (
            SELECT DISTINCT {op_name} AS op_name FROM imp_src
            WHERE NULLIF(btrim(operator), '') IS NOT NULL
        ), m AS (
            SELECT k.op_name, o.id, o.reseller_id, (o.name = k.op_name) AS exact
            FROM k JOIN operators_operator o ON {name_key("o.name")} = {name_key("k.op_name")}
            WHERE %(user_res)s::bigint IS NULL OR o.reseller_id = %(user_res)s
        )
        SELECT op_name, reseller_id AS res_key, {pick("id")} AS op_id,
               min(reseller_id) AS op_res, count(*) AS n
        FROM m GROUP BY 1, 2
        UNION ALL
        SELECT op_name, 0, {pick("id")}, {pick("reseller_id")}, count(*)
        FROM m WHERE %(user_res)s::bigint IS NULL GROUP BY 1
        """,
        params,
    )


def assignments(run: Run, params: dict) -> None:
    """``imp_cli``, ``imp_acc``, ``imp_pkg`` and ``imp_sub``: the clients (per reseller),
    accounts (per client) and packages (per reseller) the rows name, by ``name_key``, and
    each client's active subscription to each package (its oldest)."""

    def keys(column):
        value = unescape_sql(f"btrim({column})")
        return f"""SELECT DISTINCT {name_key(value)} AS k FROM imp_src
            WHERE NULLIF(btrim({column}), '') IS NOT NULL"""

    mine = "(%(user_res)s::bigint IS NULL OR x.reseller_id = %(user_res)s)"
    for table, column, source in (
        ("imp_cli", "client", "clients_client"),
        ("imp_pkg", "package", "packages_package"),
    ):
        tags = ", x.allowed_tags AS tags" if table == "imp_pkg" else ""
        ident = "pkg_id" if table == "imp_pkg" else "cli_id"
        if run.has(column):
            select = f"""SELECT DISTINCT ON (k.k, x.reseller_id) k.k, x.reseller_id AS res,
                    x.id AS {ident}{tags}
                FROM ({keys(column)}) k JOIN {source} x ON {name_key("x.name")} = k.k
                WHERE {mine} ORDER BY k.k, x.reseller_id, x.id"""
        else:
            extra = ", NULL::varchar[] AS tags" if tags else ""
            select = f"SELECT NULL::text AS k, NULL::bigint AS res, NULL::bigint AS {ident}{extra}"
        run.sql(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {select}", params)
    if run.has("account"):
        select = f"""SELECT DISTINCT ON (k.k, a.client_id) k.k, a.client_id AS cli_id,
                a.id AS acc_id
            FROM ({keys("account")}) k JOIN clients_account a ON {name_key("a.name")} = k.k
            WHERE a.client_id IN (SELECT cli_id FROM imp_cli)
            ORDER BY k.k, a.client_id, a.id"""
    else:
        select = "SELECT NULL::text AS k, NULL::bigint AS cli_id, NULL::bigint AS acc_id"
    run.sql(f"CREATE TEMP TABLE imp_acc ON COMMIT DROP AS {select}", params)
    run.sql(
        """CREATE TEMP TABLE imp_sub ON COMMIT DROP AS
        SELECT DISTINCT ON (s.client_id, s.package_id) s.client_id AS cli_id,
               s.package_id AS pkg_id, s.id AS sub_id
        FROM subscriptions_subscription s
        WHERE s.status = %(active)s AND s.client_id IN (SELECT cli_id FROM imp_cli)
          AND s.package_id IN (SELECT pkg_id FROM imp_pkg)
        ORDER BY s.client_id, s.package_id, s.id""",
        {"active": Subscription.Status.ACTIVE.value},
    )

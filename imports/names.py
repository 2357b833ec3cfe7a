"""Step 2's second half, the names: the Reseller, Operator, Client, Account and Package names
of a file that match nothing (case and spaces ignored, ``lookups.name_key``), and the user's
choice for each: pick an existing one, create it (operators, clients and accounts; a platform
admin may create resellers too), or leave its rows refused; and, for a client without an
active subscription to a package its rows name, create that subscription.

The choices are applied to a run after its file is loaded and before it is planned
(``apply_choices``): a pick rewrites the name in the loaded rows to the chosen object's
name, a creation goes through each app's own service (with its audit record). The dry run
applies them too, inside its transaction, which it rolls back: so its counts are the
apply's, and nothing is created until the import is applied.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from accounts.models import Reseller
from accounts.services import AccountError, reseller_create
from audit.services import Actor
from clients.models import Account, Client
from clients.services import ClientError, account_create, client_create
from operators.models import Operator
from operators.services import OperatorError, operator_create
from packages.models import Package
from subscriptions.models import Subscription
from subscriptions.services import SubscriptionError, subscription_create

from .errors import ImportFileError
from .loading import Run
from .lookups import ESCAPED_FORMULA, name_key, unescape_sql

# The kinds of names, in the order they are resolved: a reseller's objects need it first,
# an account its client, a subscription its client and package.
KINDS = ("reseller", "operator", "client", "package", "account", "subscription")
LABELS = {
    "reseller": "Reseller",
    "operator": "Operator",
    "client": "Client",
    "package": "Package",
    "account": "Account",
    "subscription": "Subscription",
}
CREATABLE = {"reseller", "operator", "client", "account", "subscription"}
NEW = "new"
PAIR = " | "  # a subscription's key: "client | package"
PICK_MAX = 1_000  # existing objects one choice lists
REFUSALS = (AccountError, ClientError, OperatorError, SubscriptionError)


def max_names() -> int:
    return getattr(settings, "IMPORT_MAX_NAMES", 100)


def cell(name: str) -> str:
    """A loaded cell as the plan reads it: trimmed, an export's apostrophe dropped."""
    return unescape_sql(f"btrim({name})")


def _known(run: Run, kind: str) -> str:
    """SQL: whether the cell of ``kind`` names something the user may use."""
    scope = "(%(user_res)s::bigint IS NULL OR x.reseller_id = %(user_res)s)"
    table = {
        "operator": "operators_operator",
        "client": "clients_client",
        "package": "packages_package",
    }.get(kind)
    key = name_key(cell(f"f.{kind}"))
    if kind == "reseller":
        scope = "(%(user_res)s::bigint IS NULL OR x.id = %(user_res)s)"
        table = "accounts_reseller"
    if kind == "account":
        return f"""EXISTS (SELECT 1 FROM clients_account x JOIN clients_client c
                   ON c.id = x.client_id WHERE {name_key("x.name")} = {key}
                   AND (%(user_res)s::bigint IS NULL OR c.reseller_id = %(user_res)s))"""
    return f"EXISTS (SELECT 1 FROM {table} x WHERE {name_key('x.name')} = {key} AND {scope})"


def unknown(run: Run) -> dict[str, list[str]]:
    """The names of the file that match nothing the user may use, per kind (at most
    ``max_names()`` each, the commonest first), and the client | package pairs without an
    active subscription."""
    found: dict[str, list[str]] = {}
    params = {"user_res": run.spec.reseller_id, "escaped": _escaped(), "n": max_names()}
    for kind in KINDS[:-1]:
        if not run.has(kind):
            continue
        value = cell(f"f.{kind}")
        names = run.sql(
            f"""SELECT (array_agg({value} ORDER BY f.rn))[1] FROM imp_src f
            WHERE NULLIF(btrim(f.{kind}), '') IS NOT NULL AND NOT {_known(run, kind)}
            GROUP BY {name_key(value)} ORDER BY count(*) DESC, 1 LIMIT %(n)s""",
            params,
        ).fetchall()
        if names:
            found[kind] = [n for (n,) in names]
    if run.has("client") and run.has("package"):
        pairs = run.sql(
            """SELECT c.name, p.name FROM imp_rows r
            JOIN imp_src f ON f.rn = r.rn
            JOIN imp_cli cl ON cl.k = """
            + name_key(cell("f.client"))
            + """ JOIN clients_client c ON c.id = cl.cli_id
            JOIN imp_pkg pk ON pk.k = """
            + name_key(cell("f.package"))
            + """ AND pk.res = c.reseller_id
            JOIN packages_package p ON p.id = pk.pkg_id
            WHERE r.assign_to IS NOT NULL AND r.sub_id IS NULL
            GROUP BY c.name, p.name ORDER BY count(*) DESC, 1, 2 LIMIT %(n)s""",
            params,
        ).fetchall()
        if pairs:
            found["subscription"] = [f"{c}{PAIR}{p}" for c, p in pairs]
    return found


def _escaped() -> str:
    return ESCAPED_FORMULA


def options(kind: str, reseller_id: int | None) -> list[tuple[str, str]]:
    """The existing objects a name of ``kind`` may be mapped to (the user's own)."""
    model = {
        "reseller": Reseller,
        "operator": Operator,
        "client": Client,
        "package": Package,
        "account": Account,
    }.get(kind)
    if model is None:
        return []
    qs = model.objects.all()
    if kind == "reseller":
        qs = qs if reseller_id is None else qs.filter(pk=reseller_id)
        return [(str(o.pk), o.name) for o in qs.order_by("name")[:PICK_MAX]]
    if kind == "account":
        qs = qs.select_related("client")
        if reseller_id is not None:
            qs = qs.filter(client__reseller_id=reseller_id)
        return [
            (str(o.pk), f"{o.name} ({o.client.name})")
            for o in qs.order_by("name", "client__name")[:PICK_MAX]
        ]
    qs = qs.select_related("reseller")
    if reseller_id is not None:
        qs = qs.filter(reseller_id=reseller_id)
        return [(str(o.pk), o.name) for o in qs.order_by("name")[:PICK_MAX]]
    return [(str(o.pk), f"{o.name} ({o.reseller.name})") for o in qs.order_by("name")[:PICK_MAX]]


def can_create(kind: str, reseller_id: int | None) -> bool:
    return kind in CREATABLE and (kind != "reseller" or reseller_id is None)


def _column(run: Run, kind: str) -> tuple[str, str]:
    """The table and column that hold the loaded cells of ``kind``."""
    if run.source == "imp_raw":
        return "imp_raw", f"c{run.spec.mapping.index(kind)}"
    return "imp_src", kind


def _rename(run: Run, kind: str, raw: str, name: str) -> None:
    table, column = _column(run, kind)
    run.sql(
        f"UPDATE {table} SET {column} = %(name)s "
        f"WHERE {name_key(cell(column))} = {name_key('%(raw)s')}",
        {"name": name, "raw": raw, "escaped": _escaped()},
    )


def _resellers_of(run: Run, kind: str, raw: str) -> list[Reseller]:
    """The resellers of the rows that name ``raw`` in ``kind``: the user's own; for a
    platform admin, each row's Reseller (else the default operator's)."""
    spec = run.spec
    if spec.reseller_id is not None:
        return [Reseller.objects.get(pk=spec.reseller_id)]
    default = Operator.objects.filter(pk=spec.operator_id).values("reseller_id")
    if run.has("reseller"):
        ids = [
            r
            for (r,) in run.sql(
                f"""SELECT DISTINCT x.id FROM imp_src f JOIN accounts_reseller x
                ON {name_key("x.name")} = {name_key(cell("f.reseller"))}
                WHERE {name_key(cell(f"f.{kind}"))} = {name_key("%(raw)s")}""",
                {"raw": raw, "escaped": _escaped()},
            ).fetchall()
        ]
        return list(Reseller.objects.filter(pk__in=ids))
    return list(Reseller.objects.filter(pk__in=default))


def _clients_of(run: Run, raw: str) -> list[Client]:
    """The clients of the rows that name account ``raw`` (the user's own)."""
    ids = [
        c
        for (c,) in run.sql(
            f"""SELECT DISTINCT x.id FROM imp_src f JOIN clients_client x
            ON {name_key("x.name")} = {name_key(cell("f.client"))}
            WHERE {name_key(cell("f.account"))} = {name_key("%(raw)s")}
              AND (%(user_res)s::bigint IS NULL OR x.reseller_id = %(user_res)s)""",
            {"raw": raw, "escaped": _escaped(), "user_res": run.spec.reseller_id},
        ).fetchall()
    ]
    return list(Client.objects.filter(pk__in=ids))


def apply_choices(run: Run, actor: Actor) -> None:
    """The user's choices for the file's unknown names, applied to the loaded rows: picks
    renamed, creations made through each app's service. ``ImportFileError`` for a choice
    that is no longer possible (an object gone, a name taken meanwhile)."""
    choices = run.spec.names or {}
    spec = run.spec
    for kind in KINDS:
        for raw, choice in (choices.get(kind) or {}).items():
            if not choice:
                continue
            label = LABELS[kind]
            try:
                if choice == NEW:
                    _create(run, kind, raw, actor)
                elif kind != "subscription" and run.has(kind):
                    picked = dict(options_by_pk(kind, spec.reseller_id, choice))
                    if not picked:
                        raise ImportFileError(
                            f"{label}: the one chosen for “{raw}” is gone; choose again."
                        )
                    _rename(run, kind, raw, picked["name"])
            except REFUSALS as exc:  # a service's refusal (a name taken meanwhile, ...)
                raise ImportFileError(f"{label}: “{raw}”: {exc}") from None
    if any(choices.get(kind) for kind in KINDS):
        run.sql(f"ANALYZE {run.source}")


def options_by_pk(kind: str, reseller_id: int | None, pk: str) -> list[tuple[str, str]]:
    """The chosen object's name, if the user may still use it."""
    if not str(pk).isdigit():
        return []
    model = {
        "reseller": Reseller,
        "operator": Operator,
        "client": Client,
        "package": Package,
        "account": Account,
    }[kind]
    qs = model.objects.filter(pk=int(pk))
    if reseller_id is not None:
        scope = {
            "reseller": "pk",
            "account": "client__reseller_id",
        }.get(kind, "reseller_id")
        qs = qs.filter(**{scope: reseller_id})
    obj = qs.first()
    return [("name", obj.name)] if obj is not None else []


def _create(run: Run, kind: str, raw: str, actor: Actor) -> None:
    spec = run.spec
    if not can_create(kind, spec.reseller_id):
        raise ImportFileError(f"{LABELS[kind]}: “{raw}” cannot be created by you; pick one.")
    name = raw.strip()
    if kind == "reseller":
        if not Reseller.objects.filter(name__iexact=name).exists():
            reseller_create(name=name, actor=actor)
    elif kind in ("operator", "client"):
        model, create = (
            (Operator, operator_create) if kind == "operator" else (Client, client_create)
        )
        for reseller in _resellers_of(run, kind, raw):
            if not model.objects.filter(reseller=reseller, name__iexact=name).exists():
                create(name=name, reseller=reseller, actor=actor)
    elif kind == "account":
        for client in _clients_of(run, raw):
            if not Account.objects.filter(client=client, name__iexact=name).exists():
                account_create(client=client, name=name, actor=actor)
    elif kind == "subscription":
        client_name, _, package_name = raw.partition(PAIR)
        clients = Client.objects.filter(name=client_name)
        if spec.reseller_id is not None:
            clients = clients.filter(reseller_id=spec.reseller_id)
        for client in clients:
            package = Package.objects.filter(reseller_id=client.reseller_id, name=package_name)
            package = package.first()
            active = Subscription.objects.filter(
                client=client, package=package, status=Subscription.Status.ACTIVE
            )
            if package is not None and not active.exists():
                subscription_create(
                    client=client, package=package, start_date=dt.date.today(), actor=actor
                )

"""Every URL of the product against users of two resellers (and anonymous).

A reseller user reaches their own objects and gets 404 for the other reseller's, on every page
and action; admin-only pages are 403 for reseller users; nothing changes for a refused request.
``test_every_url_is_in_the_matrix`` fails when a new URL is added without a row here.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import get_resolver, reverse

from accounts.models import User
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator

from .matrix_support import did_of, reactivatable, saved_and_columns, snapshot
from .test_api_matrix import API_ROWS

SKIP_PREFIXES = ("admin:",)  # Django admin: staff only, its own permission system
PUBLIC = {"login", "logout", "healthz"}


@dataclass
class Row:
    name: str
    kwargs: object = None  # callable(world) -> dict of URL kwargs, or None
    method: str = "get"
    data: object = field(default_factory=dict)  # callable(world) -> POST data
    owner: tuple = (200,)  # statuses acceptable for the owning reseller's user
    admin_only: bool = False
    query: str = ""
    # The request acts on the requesting user's own things only (a preference, a saved
    # search of their own): another reseller's user gets what the owner gets, for themselves,
    # and nothing of the owner's changes.
    personal: bool = False


def _saved(w, shared=True):
    from inventory.models import SavedSearch

    search = SavedSearch.objects.create(
        user=w.user, reseller=w.reseller, name="Mine", query="tag=x", shared=shared
    )
    return {"pk": search.pk}


def _job(w):
    from jobs.models import Job

    return Job.objects.create(kind=Job.Kind.CREATE_DIDS, user=w.user, reseller=w.reseller, total=1)


def _spare_client(w):
    from clients.models import Client

    return Client.objects.create(name="Spare client", reseller=w.reseller)


def _spare_account(w):
    from clients.models import Account

    return Account.objects.create(name="spare_acc", client=w.client)


ROWS = [
    Row("home"),
    Row("inventory:did_list"),
    Row("inventory:did_add"),
    Row(
        "inventory:did_bulk_edit",
        method="post",
        data=lambda w: {"ids": [w.did().pk], "set_status": "archive", "action": "update"},
    ),
    Row("inventory:did_detail", did_of()),
    Row(
        "inventory:did_detail",
        did_of(),
        method="post",
        data=lambda w: {
            "status": "archive",
            "operator": w.operator.pk,
            "after_hold_status": "in_stock",
            "tag": "x",
            "notes": "",
            # The version the page showed: the DID the URL names is the world's newest.
            "updated_at": DID.objects.filter(reseller=w.reseller)
            .latest("id")
            .updated_at.isoformat(),
        },
        owner=(302,),
    ),
    Row(
        "inventory:did_assign",
        did_of(),
        method="post",
        data=lambda w: {"account": w.account.pk},
        owner=(302,),
    ),
    Row("inventory:did_release", did_of(Status.ON_HOLD), method="post", owner=(302,)),
    Row("inventory:did_delete", did_of()),
    Row("inventory:did_delete", did_of(), method="post", owner=(302,)),
    Row("inventory:did_history", did_of(), owner=(302,)),
    Row(
        "inventory:did_columns",
        method="post",
        data={"columns": ["did", "tag"]},
        owner=(302,),
        personal=True,
    ),
    Row("inventory:saved_search_list"),
    Row(
        "inventory:saved_search_list",
        method="post",
        data={"name": "Mine too", "q": "tag=y", "shared": "on"},
        owner=(302,),
        personal=True,
    ),
    Row("inventory:saved_search_open", _saved, owner=(302,)),
    Row(
        "inventory:saved_search_rename",
        _saved,
        method="post",
        data={"name": "Renamed"},
        owner=(302,),
    ),
    Row("inventory:saved_search_delete", _saved, method="post", owner=(302,)),
    Row("audit:audit_list"),
    Row("operators:operator_list"),
    Row("operators:operator_add"),
    Row(
        "operators:operator_delete",
        lambda w: {"pk": Operator.objects.create(name="Spare", reseller=w.reseller).pk},
    ),
    Row(
        "operators:operator_delete",
        lambda w: {"pk": Operator.objects.create(name="Spare", reseller=w.reseller).pk},
        method="post",
        owner=(302,),
    ),
    Row("operators:operator_edit", lambda w: {"pk": w.operator.pk}),
    Row(
        "operators:operator_edit",
        lambda w: {"pk": w.operator.pk},
        method="post",
        data={"name": "Op renamed"},
        owner=(302,),
    ),
    Row("jobs:job_list"),
    Row("jobs:job_detail", lambda w: {"pk": _job(w).pk}),
    Row("jobs:job_progress", lambda w: {"pk": _job(w).pk}),
    # A job without a file: its download is a redirect to the job page with a message.
    Row("jobs:job_download", lambda w: {"pk": _job(w).pk}, owner=(302,)),
    Row("jobs:job_cancel", lambda w: {"pk": _job(w).pk}, method="post", owner=(302,)),
    Row("accounts:reseller_list", admin_only=True),
    Row("accounts:reseller_add", admin_only=True),
    Row("accounts:admin_add", admin_only=True),
    Row("accounts:reseller_detail", lambda w: {"pk": w.reseller.pk}, admin_only=True),
    Row("accounts:user_add", lambda w: {"pk": w.reseller.pk}, admin_only=True),
    Row("accounts:reseller_edit", lambda w: {"pk": w.reseller.pk}, admin_only=True),
    Row("accounts:user_edit", lambda w: {"pk": w.user.pk}, admin_only=True),
    # Clients, their accounts, Client Packages and the DIDs tab.
    Row("clients:client_list"),
    Row("clients:client_add"),
    Row("clients:client_detail", lambda w: {"pk": w.client.pk}),
    Row("clients:client_edit", lambda w: {"pk": w.client.pk}),
    Row(
        "clients:client_edit",
        lambda w: {"pk": w.client.pk},
        method="post",
        data={"name": "Client renamed"},
        owner=(302,),
    ),
    Row("clients:client_delete", lambda w: {"pk": _spare_client(w).pk}),
    Row(
        "clients:client_delete",
        lambda w: {"pk": _spare_client(w).pk},
        method="post",
        owner=(302,),
    ),
    Row("clients:account_edit", lambda w: {"pk": w.account.pk}),
    Row(
        "clients:account_edit",
        lambda w: {"pk": w.account.pk},
        method="post",
        data={"name": "acc_renamed"},
        owner=(302,),
    ),
    Row("clients:account_delete", lambda w: {"pk": _spare_account(w).pk}),
    Row(
        "clients:account_delete",
        lambda w: {"pk": _spare_account(w).pk},
        method="post",
        owner=(302,),
    ),
    Row("clients:account_add", lambda w: {"pk": w.client.pk}),
    Row(
        "clients:account_add",
        lambda w: {"pk": w.client.pk},
        method="post",
        data={"name": "acc_new"},
        owner=(302,),
    ),
    Row("clients:subscription_add", lambda w: {"pk": w.client.pk}),
    Row(
        "clients:subscription_add",
        lambda w: {"pk": w.client.pk},
        method="post",
        data=lambda w: {"package": w.package.pk, "start_date": "2026-02-01"},
        owner=(302,),
    ),
    Row("clients:client_dids", lambda w: {"pk": w.client.pk}),
    Row(
        "clients:client_assign",
        lambda w: {"pk": w.client.pk},
        method="post",
        data=lambda w: {
            "account": w.account.pk,
            "subscription": w.subscription.pk,
            "ids": [w.did().pk],
        },
        owner=(302,),
    ),
    Row(
        "clients:did_bulk",
        lambda w: {"pk": w.client.pk},
        method="post",
        data=lambda w: {"action": "block", "ids": [w.did(Status.ACTIVE).pk]},
        owner=(302,),
    ),
    Row(
        "clients:did_block",
        lambda w: {"pk": w.client.pk, "did": w.did(Status.ACTIVE).pk},
        method="post",
        owner=(302,),
    ),
    Row(
        "clients:did_activate",
        lambda w: {"pk": w.client.pk, "did": w.did(Status.BLOCKED).pk},
        method="post",
        owner=(302,),
    ),
    Row(
        "clients:did_hold",
        lambda w: {"pk": w.client.pk, "did": w.did(Status.ACTIVE).pk},
        method="post",
        owner=(302,),
    ),
    Row(
        "clients:did_release",
        lambda w: {"pk": w.client.pk, "did": w.did(Status.ON_HOLD).pk},
        method="post",
        owner=(302,),
    ),
    # Packages.
    Row("packages:package_list"),
    Row("packages:package_add"),
    Row("packages:package_edit", lambda w: {"pk": w.package.pk}),
    Row(
        "packages:package_edit",
        lambda w: {"pk": w.package.pk},
        method="post",
        data={"name": "Pack renamed", "did_allowance": "5", "allowed_tags": "", "hold_days": "7"},
        owner=(302,),
    ),
    # Subscriptions (Client Packages).
    Row("subscriptions:subscription_list"),
    Row("subscriptions:subscription_add"),
    Row("subscriptions:subscription_edit", lambda w: {"pk": w.subscription.pk}),
    Row(
        "subscriptions:subscription_edit",
        lambda w: {"pk": w.subscription.pk},
        method="post",
        data={"end_date": "2027-01-31"},
        owner=(302,),
    ),
    Row(
        "subscriptions:subscription_cancel",
        lambda w: {"pk": w.subscription.pk},
        method="post",
        owner=(302,),
    ),
    Row(
        "subscriptions:subscription_reactivate",
        reactivatable,
        method="post",
        owner=(302,),
    ),
]


def _token(w):
    from api.services import token_create
    from audit.services import Actor

    token, _key = token_create(user=w.user, name="t", scope="read", actor=Actor.for_user(w.user))
    return {"pk": token.pk}


ROWS += [
    Row("tokens:token_list"),
    Row("tokens:token_revoke", _token, method="post", owner=(302,)),
]
OPTIONAL_ROWS = {
    # Import / export pages (their own tests cover the flows; here: tenancy).
    "inventory:did_export": Row("inventory:did_export"),
    "imports:did_import": Row("imports:did_import"),
}
# The REST API: tests/test_api_matrix.py (401 for anonymous, not the login page); the routing
# lookup is token-authenticated: tests/test_api.py covers its reseller isolation.
API = {"api:route"} | {row.name for row in API_ROWS}


def _names():
    out = set()

    def walk(patterns, ns=None):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, p.namespace or ns)
            elif p.name:
                out.add(f"{ns}:{p.name}" if ns else p.name)

    walk(get_resolver().url_patterns)
    return out


def url_rows():
    names = _names()
    rows = list(ROWS) + [r for n, r in OPTIONAL_ROWS.items() if n in names]
    return rows


def test_every_url_is_in_the_matrix():
    covered = {r.name for r in url_rows()} | PUBLIC | API | set(OPTIONAL_ROWS)
    missing = {n for n in _names() if not n.startswith(SKIP_PREFIXES) and n not in covered}
    # Import step pages are covered by their own tenancy tests in tests/test_import_views.py.
    missing = {n for n in missing if not n.startswith("imports:did_import_")}
    assert not missing, f"URLs without a row in the tenancy matrix: {sorted(missing)}"


def row_id(row):
    return f"{row.method}-{row.name}"


def request_row(client, row, world):
    kwargs = row.kwargs(world) if row.kwargs else {}
    url = reverse(row.name, kwargs=kwargs) + row.query
    data = row.data(world) if callable(row.data) else row.data
    if row.method == "post":
        return client.post(url, data)
    return client.get(url)


@pytest.mark.parametrize("row", url_rows(), ids=row_id)
def test_owner_reaches_own_objects(client, world, row):
    client.login(username=world.user.username, password="pw-A")
    resp = request_row(client, row, world)
    if row.admin_only:
        assert resp.status_code == 403
    else:
        assert resp.status_code in row.owner, resp.status_code


@pytest.mark.parametrize("row", url_rows(), ids=row_id)
def test_other_reseller_gets_404_and_changes_nothing(client, world, other_world, row):
    client.login(username=other_world.user.username, password="pw-B")
    # Build A's objects first, then measure: the request of B must not change anything.
    kwargs = row.kwargs(world) if row.kwargs else {}
    data = row.data(world) if callable(row.data) else row.data
    before = snapshot()
    saved_and_columns_before = saved_and_columns(world.user)
    url = reverse(row.name, kwargs=kwargs) + row.query
    resp = client.post(url, data) if row.method == "post" else client.get(url)
    if row.admin_only:
        assert resp.status_code == 403
    elif row.personal:
        assert resp.status_code in row.owner, resp.status_code
        assert snapshot()[:2] == before[:2]  # nothing of A's (B's own choice is logged)
        assert saved_and_columns(world.user) == saved_and_columns_before
        return
    elif kwargs or row.method == "post":
        assert resp.status_code == 404, resp.status_code
    else:
        # A list page: reachable, but shows nothing of reseller A.
        assert resp.status_code == 200
        raw = b"".join(resp.streaming_content) if resp.streaming else resp.content
        body = raw.decode("utf-8", "replace")
        for number in DID.objects.filter(reseller=world.reseller).values_list("number", flat=True):
            assert number not in body
        assert world.operator.name not in body or row.name == "home"
    assert snapshot() == before


@pytest.mark.parametrize("row", url_rows(), ids=row_id)
def test_anonymous_is_sent_to_login(client, world, row):
    kwargs = row.kwargs(world) if row.kwargs else {}
    url = reverse(row.name, kwargs=kwargs) + row.query
    before = snapshot()
    resp = client.post(url, {}) if row.method == "post" else client.get(url)
    assert resp.status_code == 302 and reverse("login") in resp["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("row", [r for r in url_rows() if r.admin_only], ids=row_id)
def test_platform_admin_reaches_admin_pages(client, world, row):
    User.objects.create_user("root", password="pw-root", role=User.Role.ADMIN)
    client.login(username="root", password="pw-root")
    assert request_row(client, row, world).status_code == 200

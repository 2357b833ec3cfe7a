"""Clients: list with counts, New Client, the client page (accounts, Client Packages, New
Account, New subscription), the DIDs tab (Block / Activate / Hold / Release now) and Assign
DIDs (ticked or typed), with tenancy: another reseller's client or DID is a 404."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditRecord
from clients.models import Account, Client
from inventory.choices import Status
from subscriptions.models import Subscription

from .clients_support import (
    LIST,
    NEW,
    detail,
    dids_tab,
    make_range,
    msgs,
    statuses,
)

# --------------------------------------------------------------------------- URLs, login


def test_urls_are_named():
    assert reverse("clients:client_list") == LIST
    assert reverse("clients:client_add") == NEW
    assert reverse("clients:client_detail", args=[3]) == "/clients/3/"
    assert reverse("clients:account_add", args=[3]) == "/clients/3/accounts/new/"
    assert reverse("clients:subscription_add", args=[3]) == "/clients/3/subscriptions/new/"
    assert reverse("clients:client_dids", args=[3]) == "/clients/3/dids/"
    assert reverse("clients:client_assign", args=[3]) == "/clients/3/dids/assign/"
    for action in ("block", "activate", "hold", "release"):
        assert reverse(f"clients:did_{action}", args=[3, 9]) == f"/clients/3/dids/9/{action}/"


def test_nav_has_clients_packages_subscriptions_after_operators(as_a, world):
    body = as_a.get(LIST).content.decode()
    nav = body[body.index("<nav>") : body.index("</nav>")]
    order = [nav.index(f">{label}</a>") for label in ("Operators", "Clients", "Packages")]
    assert order == sorted(order) and ">Subscriptions</a>" in nav
    assert 'href="/clients/" class="on"' in nav
    # The client's DIDs tab is under Clients, not under DID Inventory.
    nav = as_a.get(dids_tab(world.client)).content.decode()
    assert 'href="/dids/" class="on"' not in nav and 'href="/clients/" class="on"' in nav


# --------------------------------------------------------------------------- list


def test_reseller_user_sees_only_own_clients(as_a, world, other_world):
    resp = as_a.get(LIST)
    assert resp.status_code == 200
    assert [c.name for c in resp.context["clients"]] == ["Client A"]
    body = resp.content.decode()
    assert "Client B" not in body
    for label in ("ID", "Name", "Accounts", "Active subscriptions", "DIDs count", "New Client"):
        assert label in body, label
    assert "Reseller</a></th>" not in body and "<th>Reseller</th>" not in body


def test_counts_per_client(as_a, world):
    Account.objects.create(client=world.client, name="second")
    Subscription.objects.create(
        client=world.client,
        package=world.package,
        status=Subscription.Status.CANCELLED,
        start_date=dt.date(2026, 1, 1),
    )
    world.did(Status.ACTIVE)
    world.did(Status.ON_HOLD)
    world.did()  # in stock: not the client's
    empty = Client.objects.create(name="Empty", reseller=world.reseller)
    resp = as_a.get(LIST)
    counts = {
        c.name: (c.account_count, c.active_count, c.did_count) for c in resp.context["clients"]
    }
    assert counts == {"Client A": (2, 1, 2), "Empty": (0, 0, 0)}
    row = re.search(rf'<tr data-client="{empty.pk}">(.*?)</tr>', resp.content.decode(), re.S)
    assert row and row.group(1).count('<td class="cli-num">0</td>') == 3


def _queries(client):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(LIST)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


def test_counts_are_grouped_queries_for_the_page_only(as_a, world):
    few = _queries(as_a)
    for i in range(30):
        c = Client.objects.create(name=f"Bulk {i:02d}", reseller=world.reseller)
        Account.objects.create(client=c, name="a")
    with CaptureQueriesContext(connection) as ctx:
        resp = as_a.get(LIST)
    assert len(ctx.captured_queries) == few  # nothing grows with the number of rows
    grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 3
    for sql in grouped:
        ids = re.search(r"IN \(([^)]*)\)", sql).group(1)
        assert len(ids.split(",")) == 20
    assert len(resp.context["clients"]) == 20


def test_pagination_and_search_by_name(as_a, world):
    for i in range(24):
        Client.objects.create(name=f"Shop {i:02d}", reseller=world.reseller)
    first = as_a.get(LIST)
    assert "Rows 1 - 20 of 25" in first.content.decode()
    second = as_a.get(LIST, {"page": 2})
    assert len(second.context["clients"]) == 5
    found = as_a.get(LIST, {"q": "shop 1"})
    assert [c.name for c in found.context["clients"]] == [f"Shop 1{i}" for i in range(10)]


def test_admin_sees_reseller_column_and_filter(as_admin, world, other_world):
    resp = as_admin.get(LIST)
    assert [c.name for c in resp.context["clients"]] == ["Client A", "Client B"]
    body = resp.content.decode()
    assert "Reseller</a></th>" in body and 'name="reseller"' in body
    only_b = as_admin.get(LIST, {"reseller": other_world.reseller.pk})
    assert [c.name for c in only_b.context["clients"]] == ["Client B"]


def test_reseller_user_has_no_reseller_filter(as_a, world, other_world):
    resp = as_a.get(LIST, {"reseller": other_world.reseller.pk})
    assert [c.name for c in resp.context["clients"]] == ["Client A"]
    assert 'name="reseller"' not in resp.content.decode()


# --------------------------------------------------------------------------- New Client


def test_create_client(as_a, world):
    resp = as_a.post(NEW, {"name": "  Rose Orig ", "reseller": world.reseller.pk}, follow=True)
    client = Client.objects.get(name="Rose Orig")
    assert client.reseller == world.reseller
    assert resp.redirect_chain[-1][0] == detail(client)
    assert "Client Rose Orig created." in msgs(resp)
    rec = AuditRecord.objects.get(object_type="client", object_id=client.pk)
    assert rec.action == "create" and rec.username == world.user.username
    assert rec.reseller_id == world.reseller.pk


def test_reseller_user_cannot_create_for_another_reseller(as_a, world, other_world):
    resp = as_a.post(NEW, {"name": "Sneaky", "reseller": other_world.reseller.pk})
    assert resp.status_code == 200
    assert "Reseller: choose one of the resellers in the list." in resp.content.decode()
    assert not Client.objects.filter(name="Sneaky").exists()


def test_create_duplicate_client_is_a_form_error(as_a, world):
    before = AuditRecord.objects.count()
    resp = as_a.post(NEW, {"name": "Client A", "reseller": world.reseller.pk})
    assert resp.status_code == 200
    assert resp.context["form"].errors["name"] == ["Name: A already has a client named “Client A”."]
    assert Client.objects.filter(name="Client A").count() == 1
    assert AuditRecord.objects.count() == before


def test_admin_creates_client_for_any_reseller(as_admin, other_world):
    as_admin.post(NEW, {"name": "Via admin", "reseller": other_world.reseller.pk})
    assert Client.objects.get(name="Via admin").reseller == other_world.reseller


# --------------------------------------------------------------------------- the client page


def test_client_page_shows_accounts_and_client_packages(as_a, world):
    world.did(Status.ACTIVE)
    world.did(Status.BLOCKED)
    resp = as_a.get(detail(world.client))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Client A | acc_A" in body
    assert "Pack A" in body and "2 / 100" in body
    for label in ("Accounts", "Client Packages", "New Account", "New subscription", "DIDs"):
        assert label in body, label
    assert reverse("subscriptions:subscription_cancel", args=[world.subscription.pk]) in body


def test_another_resellers_client_is_not_found(as_a, world, other_world):
    for url in (
        detail(other_world.client),
        dids_tab(other_world.client),
        f"/clients/{other_world.client.pk}/accounts/new/",
        f"/clients/{other_world.client.pk}/subscriptions/new/",
    ):
        assert as_a.get(url).status_code == 404, url


def test_new_account(as_a, world):
    url = f"/clients/{world.client.pk}/accounts/new/"
    assert as_a.get(url).status_code == 200
    resp = as_a.post(url, {"name": "rose_orig"}, follow=True)
    account = Account.objects.get(client=world.client, name="rose_orig")
    assert "Account Client A | rose_orig created." in msgs(resp)
    rec = AuditRecord.objects.get(object_type="account", object_id=account.pk)
    assert rec.action == "create" and rec.object_repr == "Client A | rose_orig"


def test_new_account_duplicate_is_a_form_error(as_a, world):
    resp = as_a.post(f"/clients/{world.client.pk}/accounts/new/", {"name": "acc_A"})
    assert resp.status_code == 200
    assert "already has an account named" in resp.context["form"].errors["name"][0]
    assert Account.objects.filter(client=world.client).count() == 1


def test_new_account_for_another_resellers_client_is_404(as_a, world, other_world):
    before = AuditRecord.objects.count()
    resp = as_a.post(f"/clients/{other_world.client.pk}/accounts/new/", {"name": "x"})
    assert resp.status_code == 404
    assert not Account.objects.filter(name="x").exists()
    assert AuditRecord.objects.count() == before


def test_new_subscription_on_client_page(as_a, world):
    url = f"/clients/{world.client.pk}/subscriptions/new/"
    resp = as_a.get(url)
    assert list(resp.context["form"].fields["package"].queryset) == [world.package]
    resp = as_a.post(
        url,
        {"package": world.package.pk, "start_date": "2026-03-01", "end_date": "2026-12-31"},
        follow=True,
    )
    sub = Subscription.objects.exclude(pk=world.subscription.pk).get(client=world.client)
    assert (sub.status, sub.start_date, sub.end_date) == (
        "active",
        dt.date(2026, 3, 1),
        dt.date(2026, 12, 31),
    )
    assert resp.redirect_chain[-1][0] == detail(world.client)
    assert AuditRecord.objects.filter(object_type="subscription", object_id=sub.pk).exists()


def test_new_subscription_refuses_another_resellers_package(as_a, world, other_world):
    url = f"/clients/{world.client.pk}/subscriptions/new/"
    resp = as_a.post(url, {"package": other_world.package.pk, "start_date": "2026-03-01"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["package"] == [
        "Package: choose one of the packages in the list."
    ]
    assert Subscription.objects.filter(client=world.client).count() == 1


def test_new_subscription_end_before_start(as_a, world):
    url = f"/clients/{world.client.pk}/subscriptions/new/"
    resp = as_a.post(
        url, {"package": world.package.pk, "start_date": "2026-03-01", "end_date": "2026-02-01"}
    )
    assert "End date: it cannot be before the start date." in resp.content.decode()
    assert Subscription.objects.filter(client=world.client).count() == 1


def test_cancel_and_reactivate_from_the_client_page(as_a, world):
    dids = [world.did(Status.ACTIVE), world.did(Status.BLOCKED)]
    page = detail(world.client)
    resp = as_a.post(
        reverse("subscriptions:subscription_cancel", args=[world.subscription.pk]),
        {"next": page},
        follow=True,
    )
    assert resp.redirect_chain[-1][0] == page
    assert statuses(dids) == [Status.ON_HOLD, Status.ON_HOLD]
    assert "2 of its DIDs are now On Hold" in msgs(resp)[0]
    assert "Reactivate" in resp.content.decode()
    resp = as_a.post(
        reverse("subscriptions:subscription_reactivate", args=[world.subscription.pk]),
        {"next": page},
        follow=True,
    )
    assert statuses(dids) == [Status.ACTIVE, Status.ACTIVE]
    assert "2 of its DIDs are Active again" in msgs(resp)[0]


# --------------------------------------------------------------------------- the DIDs tab


def test_dids_tab_lists_the_clients_dids_with_their_buttons(as_a, world, other_world):
    active = world.did(Status.ACTIVE)
    blocked = world.did(Status.BLOCKED)
    held = world.did(Status.ON_HOLD)
    stock = world.did(tag="gold")
    foreign = other_world.did(Status.ACTIVE)
    resp = as_a.get(dids_tab(world.client))
    assert resp.status_code == 200
    assert [d.number for d in resp.context["dids"]] == [active.number, blocked.number, held.number]
    body = resp.content.decode()
    assert foreign.number not in body

    def row(did):
        return re.search(rf'<tr data-did="{did.pk}">(.*?)</tr>', body, re.S).group(1)

    assert ">Block<" in row(active) and ">Hold<" in row(active) and ">Activate<" not in row(active)
    assert ">Activate<" in row(blocked) and ">Hold<" in row(blocked)
    assert ">Activate<" in row(held) and ">Release now<" in row(held)
    assert "Client A | acc_A" in row(active) and "Pack A" in row(active)
    held.refresh_from_db()
    assert held.hold_until.strftime("%Y-%m-%d") in row(held)
    # The In Stock list to tick: the reseller's In Stock DIDs only.
    assert [d.number for d in resp.context["stock"]] == [stock.number]


def test_stock_search_by_prefix_and_tag_shows_50(as_a, world, other_world):
    make_range(world, "5550100-5550179", tag="gold")
    make_range(world, "5560100-5560109", tag="silver")
    other_world.did(number="5550999")
    resp = as_a.get(dids_tab(world.client), {"prefix": "5550"})
    stock = [d.number for d in resp.context["stock"]]
    assert len(stock) == 50 and stock[0] == "5550100" and "5550999" not in stock
    assert "(first 50)" in resp.content.decode()
    resp = as_a.get(dids_tab(world.client), {"tag": "silver"})
    assert [d.number for d in resp.context["stock"]] == [f"55601{i:02d}" for i in range(10)]
    resp = as_a.get(dids_tab(world.client), {"prefix": "x1"})
    assert resp.context["stock"] == []
    assert "DID prefix: digits only" in resp.content.decode()


@pytest.mark.parametrize(
    "action, start, end",
    [
        ("block", Status.ACTIVE, Status.BLOCKED),
        ("activate", Status.BLOCKED, Status.ACTIVE),
        ("activate", Status.ON_HOLD, Status.ACTIVE),
        ("hold", Status.ACTIVE, Status.ON_HOLD),
        ("hold", Status.BLOCKED, Status.ON_HOLD),
        ("release", Status.ON_HOLD, Status.IN_STOCK),
    ],
)
def test_row_actions(as_a, world, action, start, end):
    did = world.did(start)
    resp = as_a.post(f"/clients/{world.client.pk}/dids/{did.pk}/{action}/", follow=True)
    assert resp.redirect_chain[-1][0] == dids_tab(world.client)
    did.refresh_from_db()
    assert did.status == end
    done = {"block": "blocked", "activate": "activated", "hold": "put On Hold"}.get(
        action, "released"
    )
    assert msgs(resp) == [f"DID {did.number} {done}: now {Status(end).label}."]
    if action == "release":
        assert (did.client_id, did.account_id, did.subscription_id) == (None, None, None)
    rec = AuditRecord.objects.filter(object_type="did", object_id=did.pk).latest("id")
    assert rec.after["status"] == end


def test_row_action_refused_shows_the_lifecycle_message(as_a, world):
    did = world.did(Status.ON_HOLD)
    before = AuditRecord.objects.count()
    resp = as_a.post(f"/clients/{world.client.pk}/dids/{did.pk}/block/", follow=True)
    did.refresh_from_db()
    assert did.status == Status.ON_HOLD
    assert msgs(resp) == [f"DID {did.number}: it is On Hold and cannot become Blocked."]
    assert AuditRecord.objects.count() == before


def test_row_actions_keep_the_page(as_a, world):
    did = world.did(Status.ACTIVE)
    resp = as_a.post(f"/clients/{world.client.pk}/dids/{did.pk}/block/", {"page": "2"})
    assert resp.url == dids_tab(world.client) + "?page=2"


def test_row_actions_are_post_only(as_a, world):
    did = world.did(Status.ACTIVE)
    assert as_a.get(f"/clients/{world.client.pk}/dids/{did.pk}/block/").status_code == 405
    did.refresh_from_db()
    assert did.status == Status.ACTIVE


def test_row_action_on_another_clients_did_is_404(as_a, world):
    other = Client.objects.create(name="Other", reseller=world.reseller)
    did = world.did(Status.ACTIVE)  # belongs to Client A
    resp = as_a.post(f"/clients/{other.pk}/dids/{did.pk}/block/")
    assert resp.status_code == 404
    did.refresh_from_db()
    assert did.status == Status.ACTIVE


def test_row_action_on_another_resellers_did_is_404(as_a, world, other_world):
    did = other_world.did(Status.ACTIVE)
    before = AuditRecord.objects.count()
    for action in ("block", "hold"):
        for client in (world.client, other_world.client):
            resp = as_a.post(f"/clients/{client.pk}/dids/{did.pk}/{action}/")
            assert resp.status_code == 404
    did.refresh_from_db()
    assert did.status == Status.ACTIVE
    assert AuditRecord.objects.count() == before

"""The counts table (``inventory.DIDCount``): kept exact by the DID table's own triggers in the
same transaction as every path that writes DIDs, and read by the DID Inventory's "Rows X - Y
of N", Home, the Operators tab and a subscription's use. A search it cannot answer is counted
exactly up to ``SEARCH_EXACT_LIMIT``, then estimated (``core.paging.kept_count``)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from audit.services import Actor
from core import paging
from inventory import lifecycle
from inventory import selectors as inventory_selectors
from inventory.choices import Status
from inventory.models import DID, DIDCount
from inventory.numbers import parse
from inventory.services import create_dids, delete_dids, update_dids
from inventory.tables import DIDTable
from operators.models import Operator
from tests.import_support import apply as import_apply
from tests.import_support import dry_run

KEY = ("reseller_id", "operator_id", "status", "tag", "client_id", "account_id", "subscription_id")
LIST = "/dids/"


def truth() -> Counter:
    """The DIDs counted by hand, per key of the counts table."""
    return Counter(DID.objects.values_list(*KEY))


def kept() -> Counter:
    return Counter({row[:-1]: row[-1] for row in DIDCount.objects.values_list(*KEY, "n")})


def assert_exact():
    assert kept() == truth()
    assert not DIDCount.objects.filter(n__lte=0).exists()  # keys that fell to 0 are gone


def listed(browser, **search) -> tuple[int, bool]:
    page = browser.get(LIST, search).context["page"]
    return page.count, page.exact


@pytest.fixture
def a(client, world):
    client.force_login(world.user)
    return world


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_create_counts_every_new_did_at_once(client, a):
    create_dids(parse("1000-1499"), operator=a.operator, actor=a.actor, tag="gold")
    assert_exact()
    assert listed(client) == (500, True)
    assert listed(client, tag="gold", status="in_stock", operator=a.operator.pk) == (500, True)
    assert "Rows 1 - 20 of 500<" in client.get(LIST).content.decode()


def test_mass_edit_moves_counts_between_tags_and_statuses(client, a):
    create_dids(parse("1000-1299"), operator=a.operator, actor=a.actor)
    ids = list(DID.objects.filter(number__lt="1100").values_list("pk", flat=True))
    data = {"ids": ids, "set_status": "reserved", "tag": "bulk", "action": "update", "confirm": "1"}
    client.post(reverse("inventory:did_bulk_edit"), data)
    assert_exact()
    assert listed(client, tag="bulk") == (100, True)
    assert listed(client, status="reserved") == (100, True)
    assert listed(client, status="in_stock") == (200, True)
    # A notes-only edit changes no count (its net change is 0 for every key).
    update_dids(DID.objects.all(), {"notes": "n"}, actor=a.actor)
    assert_exact()
    assert listed(client, tag="bulk", status="reserved") == (100, True)


def test_mass_edit_of_all_matching_a_search(client, a):
    create_dids(parse("1000-1199"), operator=a.operator, actor=a.actor)
    q = urlencode({"did": "10", "did_match": "prefix"})
    data = {"all_matching": "1", "q": q, "set_status": "archive", "action": "update"}
    client.post(reverse("inventory:did_bulk_edit"), {**data, "confirm": "1"})
    assert_exact()
    assert listed(client, status="archive") == (100, True)


def test_status_changes_are_counted(client, a):
    create_dids(parse("1000-1099"), operator=a.operator, actor=a.actor)
    lifecycle.change_status(DID.objects.filter(number__lt="1040"), Status.RESERVED, actor=a.actor)
    lifecycle.change_status(DID.objects.filter(number__lt="1010"), Status.ARCHIVE, actor=a.actor)
    assert_exact()
    assert listed(client, status=["reserved", "archive"]) == (40, True)
    assert listed(client, status="archive") == (10, True)
    assert listed(client, status="in_stock") == (60, True)


def test_assign_and_release_count_per_client_account_and_subscription(client, a):
    create_dids(parse("1000-1009"), operator=a.operator, actor=a.actor)
    five = DID.objects.filter(number__lt="1005")
    lifecycle.assign(five, account=a.account, subscription=a.subscription, actor=a.actor)
    assert_exact()
    assert listed(client, client=a.client.name) == (5, True)
    assert listed(client, account=a.account.name, status="active") == (5, True)
    assert inventory_selectors.used_per_subscription([a.subscription.pk]) == {a.subscription.pk: 5}
    lifecycle.hold(DID.objects.filter(number__lt="1002"), actor=a.actor)
    assert inventory_selectors.used_per_subscription([a.subscription.pk]) == {a.subscription.pk: 5}
    lifecycle.release_now(DID.objects.filter(number__lt="1002"), actor=a.actor)
    assert_exact()
    assert listed(client, client=a.client.name) == (3, True)
    assert listed(client, status="in_stock") == (7, True)
    assert inventory_selectors.dids_per("client_id", [a.client.pk], a.user) == {a.client.pk: 3}


def test_delete_is_counted_and_empty_keys_go(client, a):
    create_dids(parse("1000-1049"), operator=a.operator, actor=a.actor, tag="x")
    create_dids(parse("2000-2009"), operator=a.operator, actor=a.actor, tag="y")
    delete_dids(DID.objects.filter(tag="x"), actor=a.actor)
    assert_exact()
    assert listed(client) == (10, True)
    assert listed(client, tag="x") == (0, True)
    assert set(DIDCount.objects.values_list("tag", flat=True)) == {"y"}


def test_import_is_counted(as_importer, world, import_dir):
    csv = "did,tag\n" + "".join(f"55500{i:02d},imp\n" for i in range(30))
    job = dry_run(as_importer, "dids.csv", csv)
    assert_exact()  # the dry run changed nothing (its writes rolled back)
    assert DIDCount.objects.count() == 0
    import_apply(as_importer, job, "all")
    assert_exact()
    assert listed(as_importer, tag="imp") == (30, True)


def test_counts_are_per_reseller(client, a, other_world):
    create_dids(parse("1000-1009"), operator=a.operator, actor=a.actor)
    create_dids(parse("2000-2006"), operator=other_world.operator, actor=other_world.actor)
    assert listed(client) == (10, True)
    assert listed(client, tag="") == (10, True)
    assert inventory_selectors.dids_per("operator_id", [other_world.operator.pk], a.user) == {}


def test_home_and_operators_read_the_counts(client, a):
    create_dids(parse("1000-1011"), operator=a.operator, actor=a.actor)
    second = Operator.objects.create(name="Second", reseller=a.reseller)
    create_dids(parse("2000-2002"), operator=second, actor=a.actor, status="reserved")
    home = client.get("/")
    assert {label: n for label, _v, n in home.context["status_rows"]}["In Stock"] == 12
    assert home.context["total"] == 15
    ops = client.get(reverse("operators:operator_list")).context["operators"]
    assert {op.name: op.did_count for op in ops} == {a.operator.name: 12, "Second": 3}


def test_reassigning_an_operator_to_another_reseller_moves_the_counts(a, other_world):
    """The composite key's ON UPDATE CASCADE rewrites the DIDs' reseller: counted too."""
    create_dids(parse("1000-1004"), operator=a.operator, actor=a.actor)
    Operator.objects.filter(pk=a.operator.pk).update(reseller=other_world.reseller)
    assert_exact()
    assert inventory_selectors.dids_per("reseller_id", [other_world.reseller.pk]) == {
        other_world.reseller.pk: 5
    }


# --------------------------------------------------------------------------- estimates


def test_an_unservable_search_is_exact_up_to_the_limit_then_an_estimate(client, a, monkeypatch):
    monkeypatch.setattr("inventory.selectors.SEARCH_EXACT_LIMIT", 50)
    create_dids(parse("1000-1049"), operator=a.operator, actor=a.actor)
    assert listed(client, did="1", did_match="prefix") == (50, True)  # at the limit: exact
    create_dids(parse("1050-1079"), operator=a.operator, actor=a.actor)
    assert listed(client, did="1", did_match="prefix") == (80, False)  # past it: "about"
    assert "of about 80" in client.get(LIST, {"did": "1", "did_match": "prefix"}).content.decode()
    # The same search with fields the counts table keeps stays exact.
    assert listed(client, status="in_stock") == (80, True)


def test_a_kept_estimate_is_used_while_few_rows_changed_and_made_again_after_bulk_work(
    a, monkeypatch
):
    """The estimate of ``kept_count`` is never more than 10% off: it is reused only while
    the table's write counter has moved by less than that share of it."""
    create_dids(parse("1000-1199"), operator=a.operator, actor=a.actor)
    qs = DID.objects.filter(number__startswith="1")
    changes = {"n": 1_000}
    monkeypatch.setattr(paging, "table_changes", lambda table: changes["n"])
    assert paging.kept_count(qs, 100) == (200, False)
    create_dids(parse("1200-1209"), operator=a.operator, actor=a.actor)  # 10 more
    changes["n"] += 10
    assert paging.kept_count(qs, 100) == (200, False)  # kept: 210 is within 10% of 200
    create_dids(parse("1210-1299"), operator=a.operator, actor=a.actor)  # bulk work
    changes["n"] += 90
    assert paging.kept_count(qs, 100) == (300, False)  # counted again
    delete_dids(DID.objects.filter(number__gte="1050"), actor=a.actor)
    changes["n"] += 250
    assert paging.kept_count(qs, 100) == (50, True)  # below the limit: exact again


@pytest.mark.django_db(transaction=True)
def test_the_write_counter_moves_with_committed_writes(world):
    table = DID._meta.db_table
    before = paging.table_changes(table)
    create_dids(parse("1000-1019"), operator=world.operator, actor=Actor.for_user(world.user))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
    # The session's statistics reach the shared counters once it is idle again.
    connection.close()
    after = paging.table_changes(table)
    assert after - before >= 20


# --------------------------------------------------------------------------- sorts


@pytest.mark.parametrize("few", [100_000, 0], ids=["matches-first", "walk-the-sort"])
@pytest.mark.parametrize(
    "sort",
    ["client", "-client", "package", "-package", "hold_until", "-hold_until", "notes", "-notes"],
)
def test_a_sort_on_a_mostly_empty_column_pages_through_every_row_in_order(
    client, a, monkeypatch, sort, few
):
    """The valued rows (counted by the counts table, or read until they end: notes) and the
    empty ones are read apart; the pages together are exactly the ORDER BY of the search."""
    monkeypatch.setattr("inventory.selectors.FEW_MATCHES", few)
    create_dids(parse("1000-1044"), operator=a.operator, actor=a.actor)
    assigned = DID.objects.filter(number__gte="1010", number__lt="1025")
    lifecycle.assign(assigned, account=a.account, subscription=a.subscription, actor=a.actor)
    lifecycle.hold(DID.objects.filter(number__gte="1018", number__lt="1023"), actor=a.actor)
    update_dids(DID.objects.filter(number__gte="1030"), {"notes": "zz"}, actor=a.actor)
    update_dids(DID.objects.filter(number__lt="1004"), {"notes": "aa"}, actor=a.actor)
    descending = sort.startswith("-")
    order = DIDTable.sorts()[sort.lstrip("-")].order_by(descending)
    expected = list(DID.objects.order_by(*order).values_list("number", flat=True))
    shown = []
    for number in (1, 2, 3):
        resp = client.get(LIST, {"sort": sort, "page": number})
        shown += [d.number for d in resp.context["page"].rows]
        assert resp.context["page"].count == 45
    assert shown == expected
    assert resp.context["page"].next_params is None


def _setting(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting(%s)", [name])
        return cur.fetchone()[0]


def test_matches_first_turns_the_ordered_scans_off_only_inside_its_block(db):
    assert _setting("enable_indexscan") == "on"
    with paging.matches_first():
        assert [_setting(name) for name in paging.ORDERED_SCANS] == ["off", "off", "off"]
    assert [_setting(name) for name in paging.ORDERED_SCANS] == ["on", "on", "on"]


def test_the_api_list_count_comes_from_the_counts_table(client, a, monkeypatch):
    monkeypatch.setattr("inventory.selectors.SEARCH_EXACT_LIMIT", 50)
    create_dids(parse("1000-1079"), operator=a.operator, actor=a.actor, tag="api")
    lifecycle.change_status(DID.objects.filter(number__lt="1030"), Status.RESERVED, actor=a.actor)
    body = client.get("/api/v1/dids/", {"tag": "api", "status": "in_stock"}).json()
    assert (body["count"], body["count_exact"]) == (50, True)
    body = client.get("/api/v1/dids/", {"did": "1", "did_match": "prefix"}).json()
    assert (body["count"], body["count_exact"]) == (80, False)  # past the limit: an estimate

"""The DID Inventory tab through the test client: list, search, sort, paging, New DIDs,
one DID, delete, history, Mass Edit."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditRecord, ChangeSet
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids

LIST = "/dids/"


def rows(resp):
    return [d.number for d in resp.context["page"].rows]


@pytest.fixture
def a(client, world):
    client.login(username=world.user.username, password="pw-A")
    return world


@pytest.fixture
def admin_client(client, db):
    User.objects.create_user("root", password="pw-root", role=User.Role.ADMIN)
    client.login(username="root", password="pw-root")
    return client


def make(world, spec, **kw):
    create_dids(parse(spec), operator=world.operator, actor=world.actor, **kw)


# --------------------------------------------------------------------------- list


def test_list_shows_only_the_users_resellers_dids(client, a, other_world):
    make(a, "100-104")
    make(other_world, "200-204")
    resp = client.get(LIST)
    assert resp.status_code == 200
    assert rows(resp) == ["100", "101", "102", "103", "104"]
    assert "Rows 1 - 5 of 5" in resp.content.decode()


def test_admin_sees_every_reseller(admin_client, world, other_world):
    make(world, "100-101")
    make(other_world, "200-201")
    assert rows(admin_client.get(LIST)) == ["100", "101", "200", "201"]
    resp = admin_client.get(LIST, {"reseller": other_world.reseller.pk})
    assert rows(resp) == ["200", "201"]


def test_columns_and_labels(client, a):
    d = a.did(Status.ACTIVE, tag="gold", notes="vip")
    html = client.get(LIST).content.decode()
    for label in ("ID", "Status", "Operator", "DID", "Tag", "Notes", "Client"):
        assert f'<th class="col-{label.lower()}' in html
    assert '<th class="col-reseller' not in html  # a reseller's user: hidden by default
    assert f"{a.client.name} | {a.account.name}" in html
    assert d.number in html and "gold" in html and "vip" in html
    for button in ("New DIDs", "Mass Edit", "Advanced Search"):
        assert button in html
    client.post(reverse("inventory:did_columns"), {"columns": ["did", "after_hold", "package"]})
    html = client.get(LIST).content.decode()
    assert ">After Hold" in html and a.package.name in html and ">Tag<" not in html


def test_search_by_status_operator_tag_client_and_account(client, a):
    active = a.did(Status.ACTIVE, tag="x")
    blocked = a.did(Status.BLOCKED)
    reserved = a.did(Status.RESERVED, tag="x")
    assert set(rows(client.get(LIST, {"status": ["active", "blocked"]}))) == {
        active.number,
        blocked.number,
    }
    assert rows(client.get(LIST, {"tag": "x", "status": "reserved"})) == [reserved.number]
    assert set(rows(client.get(LIST, {"client": a.client.name[:4]}))) == {
        active.number,
        blocked.number,
    }
    assert set(rows(client.get(LIST, {"account": a.account.name}))) == {
        active.number,
        blocked.number,
    }
    assert len(rows(client.get(LIST, {"operator": a.operator.pk}))) == 3


def test_did_search_exact_prefix_contains_and_range(client, a):
    make(a, "4155550100-4155550120, 0044100, 98-101")
    get = lambda **q: rows(client.get(LIST, q))  # noqa: E731
    assert get(did="4155550105") == ["4155550105"]
    assert get(did="415555011", did_match="prefix") == [f"41555501{n}" for n in range(10, 20)]
    assert get(did="441", did_match="contains") == ["0044100"]
    assert get(did="4155550118-4155550125", did_match="range") == [
        "4155550118",
        "4155550119",
        "4155550120",
    ]
    # Numeric range; listed in DID order (phone numbers sort as text, like E.164 prefixes).
    assert get(did="99-100", did_match="range") == ["100", "99"]
    assert get(did="99-100", did_match="range", sort="id") == ["99", "100"]


def test_bad_did_search_names_the_field(client, a):
    resp = client.get(LIST, {"did": "12ab"})
    assert resp.context["page"] is None
    assert "DID: “12ab” is not a number" in resp.content.decode()
    resp = client.get(LIST, {"did": "9-1", "did_match": "range"})
    assert "runs backwards" in resp.content.decode()


def test_hold_ends_before(client, a):
    held = a.did(Status.ON_HOLD)
    a.did(Status.ACTIVE)
    day = held.hold_until.date().isoformat()
    assert rows(client.get(LIST, {"hold_ends_before": day})) == []
    later = held.hold_until.date().replace(year=held.hold_until.year + 1).isoformat()
    assert rows(client.get(LIST, {"hold_ends_before": later})) == [held.number]


@pytest.mark.parametrize(
    "sort",
    [
        "id",
        "-id",
        "status",
        "-status",
        "operator",
        "did",
        "-did",
        "tag",
        "-tag",
        "notes",
        "client",
        "reseller",
        "after_hold",
        "hold_until",
        "package",
    ],
)
def test_every_column_sorts_and_pages_walk_the_whole_list(client, a, sort):
    make(a, "1000-1044", tag="t")
    make(a, "2000-2009", tag="a", status=Status.RESERVED, notes="n")
    expected = list(
        DID.objects.order_by(
            *{
                "id": ["id"],
                "-id": ["-id"],
                "status": ["status", "id"],
                "-status": ["-status", "-id"],
                "operator": ["operator_id", "id"],
                "did": ["number"],
                "-did": ["-number"],
                "tag": ["tag", "id"],
                "-tag": ["-tag", "-id"],
                "notes": ["notes", "id"],
                "client": ["client_id", "id"],
                "reseller": ["reseller_id", "id"],
                "after_hold": ["after_hold_status", "id"],
                "hold_until": ["hold_until", "id"],
                "package": ["subscription_id", "id"],
            }[sort]
        ).values_list("number", flat=True)
    )
    seen = []
    url = LIST + "?" + urlencode({"sort": sort, "per_page": 20})
    for _ in range(10):
        resp = client.get(url)
        seen += rows(resp)
        nxt = resp.context["nav"].get("next")
        if not nxt:
            break
        url = LIST + nxt
    assert seen == expected


def test_keyset_paging_forward_back_and_last(client, a):
    make(a, "1000-1099")
    first = client.get(LIST, {"per_page": 20})
    page2 = client.get(LIST + first.context["nav"]["next"])
    assert rows(page2) == [str(n) for n in range(1020, 1040)]
    assert "Rows 21 - 40 of 100" in page2.content.decode()
    back = client.get(LIST + page2.context["nav"]["prev"])
    assert rows(back) == [str(n) for n in range(1000, 1020)]
    last = client.get(LIST + first.context["nav"]["last"])
    assert rows(last) == [str(n) for n in range(1080, 1100)]
    assert "Rows 81 - 100 of 100" in last.content.decode()
    assert last.context["nav"].get("next") is None


def test_page_sizes(client, a):
    make(a, "1000-1599")
    for n in (20, 50, 100, 500):
        assert len(rows(client.get(LIST, {"per_page": n}))) == n
    assert len(rows(client.get(LIST, {"per_page": 7}))) == 20


def test_a_large_search_the_counts_table_cannot_answer_shows_an_estimate(client, a, monkeypatch):
    monkeypatch.setattr("inventory.selectors.SEARCH_EXACT_LIMIT", 50)
    make(a, "1000-1199")
    resp = client.get(LIST, {"did": "1", "did_match": "prefix"})
    assert resp.context["page"].exact is False
    assert "of about 200" in resp.content.decode()
    resp = client.get(LIST)  # the counts table's count: exact at any size
    assert resp.context["page"].exact is True
    assert "of 200" in resp.content.decode()


# --------------------------------------------------------------------------- New DIDs


def test_new_dids_by_range(client, a):
    resp = client.post(
        reverse("inventory:did_add"),
        {
            "numbers": "0100-0199\n+4420000",
            "operator": a.operator.pk,
            "status": "reserved",
            "after_hold": "archive",
            "tag": "uk",
            "notes": "n",
        },
    )
    assert resp.status_code == 302
    assert (
        DID.objects.filter(status="reserved", after_hold_status="archive", tag="uk").count() == 101
    )
    assert DID.objects.filter(number="0100").exists()


def test_new_dids_bad_range_names_it_and_creates_nothing(client, a):
    resp = client.post(
        reverse("inventory:did_add"),
        {
            "numbers": "200-100",
            "operator": a.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    assert resp.status_code == 200
    assert "DID(s): Range “200-100” runs backwards" in resp.content.decode()
    assert not DID.objects.exists()


def test_new_dids_existing_numbers_offer_skip_or_cancel(client, a):
    make(a, "100-104")
    data = {
        "numbers": "100-109",
        "operator": a.operator.pk,
        "status": "in_stock",
        "after_hold": "in_stock",
    }
    resp = client.post(reverse("inventory:did_add"), data)
    html = resp.content.decode()
    assert "5 of these 10 numbers are not available" in html
    assert "Skip unavailable numbers" in html
    assert DID.objects.count() == 5
    client.post(reverse("inventory:did_add"), {**data, "existing": "cancel"})
    assert DID.objects.count() == 5
    client.post(reverse("inventory:did_add"), {**data, "existing": "skip"})
    assert DID.objects.count() == 10


def test_new_dids_only_with_own_operator(client, a, other_world):
    resp = client.post(
        reverse("inventory:did_add"),
        {
            "numbers": "1",
            "operator": other_world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    assert resp.status_code == 200 and "Operator:" in resp.content.decode()
    assert not DID.objects.exists()


# --------------------------------------------------------------------------- one DID


def test_edit_offers_only_legal_statuses(client, a):
    d = a.did(Status.ACTIVE)
    form = client.get(reverse("inventory:did_detail", args=[d.pk])).context["form"]
    assert [c for c, _ in form.fields["status"].choices] == ["active", "blocked", "on_hold"]
    d2 = a.did(Status.RESERVED)
    form = client.get(reverse("inventory:did_detail", args=[d2.pk])).context["form"]
    assert [c for c, _ in form.fields["status"].choices] == ["reserved", "in_stock", "archive"]


def test_edit_fields_and_status(client, a):
    d = a.did(Status.ACTIVE)
    resp = client.post(
        reverse("inventory:did_detail", args=[d.pk]),
        {
            "status": "blocked",
            "operator": a.operator.pk,
            "after_hold_status": "reserved",
            "tag": "t1",
            "notes": "hello",
            "hold_days": "3",
            "updated_at": d.updated_at.isoformat(),
        },
    )
    assert resp.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.after_hold_status, d.tag, d.notes, d.hold_days) == (
        "blocked",
        "reserved",
        "t1",
        "hello",
        3,
    )
    # One save, one change set: its status move and its field edits.
    saved = ChangeSet.objects.get(object_type="did", object_id=d.pk, action="edit")
    assert saved.counts == {"did.active>blocked": 1, "did.update": 1}


def test_edit_with_an_illegal_status_changes_nothing(client, a):
    d = a.did(Status.ACTIVE)
    resp = client.post(
        reverse("inventory:did_detail", args=[d.pk]),
        {
            "status": "archive",
            "operator": a.operator.pk,
            "after_hold_status": "in_stock",
            "tag": "changed",
            "notes": "",
            "updated_at": d.updated_at.isoformat(),
        },
    )
    assert resp.status_code == 200
    assert "Status" in resp.content.decode() and "archive" in resp.content.decode().lower()
    d.refresh_from_db()
    assert d.status == "active" and d.tag == ""


def test_assign_and_release_from_the_did_page(client, a):
    d = a.did()
    client.post(reverse("inventory:did_assign", args=[d.pk]), {"account": a.account.pk})
    d.refresh_from_db()
    assert d.status == "active" and d.account_id == a.account.pk
    client.post(
        reverse("inventory:did_detail", args=[d.pk]),
        {
            "status": "on_hold",
            "operator": a.operator.pk,
            "after_hold_status": "archive",
            "tag": "",
            "notes": "",
            "updated_at": d.updated_at.isoformat(),
        },
    )
    d.refresh_from_db()
    assert d.status == "on_hold"
    client.post(reverse("inventory:did_release", args=[d.pk]))
    d.refresh_from_db()
    assert d.status == "archive" and d.client_id is None


def test_assign_beyond_allowance_shows_the_reason(client, a):
    a.package.did_allowance = 0
    a.package.save()
    d = a.did()
    resp = client.post(
        reverse("inventory:did_assign", args=[d.pk]), {"account": a.account.pk}, follow=True
    )
    assert "allows 0 DIDs" in resp.content.decode()
    d.refresh_from_db()
    assert d.status == "in_stock"


def test_delete_unassigned_and_refuse_assigned(client, a):
    free, held = a.did(), a.did(Status.ON_HOLD)
    resp = client.post(reverse("inventory:did_delete", args=[held.pk]), follow=True)
    assert "cannot be deleted" in resp.content.decode()
    assert DID.objects.filter(pk=held.pk).exists()
    client.post(reverse("inventory:did_delete", args=[free.pk]))
    assert not DID.objects.filter(pk=free.pk).exists()


def test_history_shows_the_dids_audit_records(client, a):
    d = a.did(Status.BLOCKED)
    resp = client.get(reverse("inventory:did_history", args=[d.pk]))
    html = resp.content.decode()
    assert f"History of DID {d.number}" in html
    records = list(resp.context["events"])  # a timeline: oldest first
    assert [r.action for r in records] == ["create", "assign", "block"]
    assert all(r.object_id == d.pk for r in records)


# --------------------------------------------------------------------------- Mass Edit


def test_mass_edit_confirmation_counts_then_applies(client, a):
    free = [a.did() for _ in range(3)]
    assigned = [a.did(Status.ACTIVE) for _ in range(2)]
    ids = [d.pk for d in free + assigned]
    data = {"ids": ids, "set_status": "archive", "tag": "bulk", "action": "update"}
    resp = client.post(reverse("inventory:did_bulk_edit"), data)
    html = resp.content.decode()
    assert "5</strong> DIDs are selected" in html
    assert "3 DIDs will become Archive" in html
    assert "2 Active DIDs cannot become Archive" in html
    assert DID.objects.filter(status="archive").count() == 0  # nothing yet
    resp = client.post(reverse("inventory:did_bulk_edit"), {**data, "confirm": "1"}, follow=True)
    assert DID.objects.filter(pk__in=ids, status="archive").count() == 3
    assert DID.objects.filter(pk__in=ids, tag="bulk").count() == 5
    sets = set(
        AuditRecord.objects.filter(object_id__in=ids, action="mass_edit")
        .values_list("change_set", flat=True)
        .distinct()
    )
    assert len(sets) == 1  # status change and field edits: one change set
    mass_edit = ChangeSet.objects.get(uuid=sets.pop())
    assert mass_edit.counts == {"did.in_stock>archive": 3, "did.update": 5}
    assert "3 DIDs set to Archive" in resp.content.decode()


def test_mass_edit_all_matching_the_search(client, a):
    make(a, "1000-1299")
    make(a, "5000-5009", tag="keep")
    q = urlencode({"did": "1", "did_match": "prefix"})
    data = {"all_matching": "1", "q": q, "set_status": "reserved", "action": "update"}
    resp = client.post(reverse("inventory:did_bulk_edit"), data)
    assert "300 DIDs will become Reserved" in resp.content.decode()
    client.post(reverse("inventory:did_bulk_edit"), {**data, "confirm": "1"})
    assert DID.objects.filter(status="reserved").count() == 300
    assert DID.objects.filter(tag="keep", status="in_stock").count() == 10


def test_mass_delete_refuses_assigned_and_deletes_the_rest(client, a):
    free = [a.did() for _ in range(2)]
    held = a.did(Status.ON_HOLD)
    data = {"ids": [d.pk for d in free] + [held.pk], "action": "delete"}
    resp = client.post(reverse("inventory:did_bulk_edit"), data)
    html = resp.content.decode()
    assert "2 DIDs will be deleted" in html and "1 On Hold DID cannot be deleted" in html
    client.post(reverse("inventory:did_bulk_edit"), {**data, "confirm": "1"})
    assert list(DID.objects.values_list("pk", flat=True)) == [held.pk]


def test_mass_edit_with_nothing_chosen_is_a_clear_message(client, a):
    d = a.did()
    resp = client.post(
        reverse("inventory:did_bulk_edit"), {"ids": [d.pk], "action": "update"}, follow=True
    )
    assert "Choose at least one change" in resp.content.decode()
    resp = client.post(
        reverse("inventory:did_bulk_edit"), {"action": "update", "tag": "x"}, follow=True
    )
    assert "select at least one DID" in resp.content.decode()


def test_mass_edit_with_another_resellers_id_is_404_and_changes_nothing(client, a, other_world):
    mine = a.did()
    theirs = other_world.did()
    resp = client.post(
        reverse("inventory:did_bulk_edit"),
        {"ids": [mine.pk, theirs.pk], "set_status": "archive", "action": "update", "confirm": "1"},
    )
    assert resp.status_code == 404
    assert DID.objects.filter(status="archive").count() == 0


def test_mass_edit_all_matching_never_reaches_another_reseller(client, a, other_world):
    make(a, "100-109")
    make(other_world, "200-209")
    client.post(
        reverse("inventory:did_bulk_edit"),
        {"all_matching": "1", "q": "", "set_status": "archive", "action": "update", "confirm": "1"},
    )
    assert set(DID.objects.filter(status="archive").values_list("reseller", flat=True)) == {
        a.reseller.pk
    }
    assert DID.objects.filter(status="archive").count() == 10


def test_home_page_charts_and_holds_ending(client, a):
    held = a.did(Status.ON_HOLD, hold_days=3)
    a.did(Status.ON_HOLD)  # package hold: 30 days, not within 7
    html = client.get("/").content.decode()
    assert 'id="chart-status"' in html and 'id="chart-operator"' in html
    assert re.search(r"<title>On Hold: 2</title>", html)
    assert held.number in html.split('id="holds-ending"')[1]
    assert "(1)" in html.split('id="holds-ending"')[1]

"""The Audit Log in words (issue 10, points 3-5): its search, a DID's timeline, a change set's
page, and Revert: what it restores, what it refuses and why, and tenancy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import selectors
from audit.models import AuditRecord, ChangeSet
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, delete_dids, update_dids
from jobs.models import Job
from operators.services import operator_create

from .import_support import apply, dry_run

pytestmark = pytest.mark.django_db


def _change_set_of(html: str) -> str:
    found = re.search(r'href="/audit/change-sets/([0-9a-f-]{36})/"', html)
    assert found, "no link to a change set"
    return found.group(1)


def _mass_edit(client, ids, **data):
    payload = {"ids": ids, "action": "update", "confirm": "1", **data}
    return client.post(reverse("inventory:did_bulk_edit"), payload, follow=True)


# --------------------------------------------------------------------------- the list


def test_list_words_an_assignment_with_names_not_ids(as_a, world):
    did = world.did(Status.ACTIVE)
    html = as_a.get("/audit/", {"did": did.number}).content.decode()
    assert "Assigned to Client A | acc_A under package Pack A" in html
    assert "client_id" not in html and "subscription_id" not in html
    # Objects are links, dates in the product's format, actions in words.
    assert f'href="/dids/{did.pk}/"' in html
    record = AuditRecord.objects.filter(object_id=did.pk, action="assign").get()
    local = timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")
    assert local in html
    assert ">Assigned<" in html and ">assign<" not in html


def test_search_by_did_operator_client_package_subscription_user_action(as_a, world):
    active = world.did(Status.ACTIVE)
    other = world.did()

    def objects(**params):
        rows = as_a.get("/audit/", params).context["page"].rows
        return {(r.object_type, r.object_id) for r in rows}

    assert objects(did=active.number) == {("did", active.pk)}
    # A client's history: the DIDs assigned to it, and the client itself.
    assert ("did", active.pk) in objects(client="client a")
    assert ("did", other.pk) not in objects(client="Client A")
    # A package's: the DIDs assigned under its subscriptions.
    assert ("did", active.pk) in objects(package="Pack A")
    assert ("did", other.pk) not in objects(package="Pack A")
    assert ("did", active.pk) in objects(subscription=world.subscription.pk)
    # An operator's: the DIDs created under it.
    assert {("did", active.pk), ("did", other.pk)} <= objects(operator="Op A")
    assert objects(operator="No such operator") == set()
    assert objects(action="assign") == {("did", active.pk)}
    assert ("did", other.pk) in objects(username=world.user.username)
    assert objects(username="nobody") == set()


def test_search_by_date_range_and_change_set(as_a, world):
    did = world.did()
    record = AuditRecord.objects.get(object_id=did.pk, action="create")
    today = timezone.localdate(record.created_at)
    rows = as_a.get("/audit/", {"date_from": today, "date_to": today}).context["page"].rows
    assert record.pk in {r.pk for r in rows}
    later = today + dt.timedelta(days=1)
    assert as_a.get("/audit/", {"date_from": later}).context["page"].rows == []
    earlier = today - dt.timedelta(days=1)
    assert as_a.get("/audit/", {"date_to": earlier}).context["page"].rows == []
    rows = as_a.get("/audit/", {"change_set": str(record.change_set)}).context["page"].rows
    assert [r.pk for r in rows] == [record.pk]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-01"}, "From: enter a date as YYYY-MM-DD."),
        ({"date_from": "2026-02-02", "date_to": "2026-02-01"}, "To: the end of the range"),
        ({"date_to": "1900-01-01"}, "To: enter a date from"),
        ({"action": "nuke"}, "Action: choose one of the list."),
        ({"subscription": "x"}, "Subscription: enter an id"),
        ({"did": "1" * 40}, "DID: at most"),
    ],
)
def test_a_bad_search_is_a_400_that_names_the_field(as_a, world, params, message):
    resp = as_a.get("/audit/", params)
    assert resp.status_code == 400
    assert message in resp.content.decode()


def test_reseller_sees_only_own_records_in_every_search(client, world, other_world):
    theirs = other_world.did(Status.ACTIVE)
    client.force_login(world.user)
    for params in (
        {"did": theirs.number},
        {"client": "Client B"},
        {"package": "Pack B"},
        {"operator": "Op B"},
        {"subscription": other_world.subscription.pk},
        {"username": other_world.user.username},
    ):
        assert client.get("/audit/", params).context["page"].rows == [], params


# --------------------------------------------------------------------------- a DID's timeline


def test_did_history_is_a_timeline_of_that_number(as_a, world):
    did = world.did(Status.ACTIVE, notes="first")
    other = world.did()
    update_dids([did.pk], {"notes": "second", "tag": "vip"}, actor=world.actor)
    lifecycle.hold(did, actor=world.actor)
    did.refresh_from_db()
    hold_end = timezone.localtime(did.hold_until).strftime("%Y-%m-%d %H:%M")
    lifecycle.release_now(did, actor=world.actor)

    resp = as_a.get(reverse("inventory:did_history", args=[did.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert f"History of DID {did.number}" in html
    sentences = [e.sentence for e in resp.context["events"]]
    assert sentences == [
        "Created In Stock",
        "Assigned to Client A | acc_A under package Pack A",
        "Edited Tag, Notes",
        f"Put On Hold until {hold_end}",
        "Released to In Stock",
    ]
    edit = resp.context["events"][2]
    assert [(c.label, c.before, c.after) for c in edit.changes] == [
        ("Tag", "—", "vip"),
        ("Notes", "first", "second"),
    ]
    assert "Status</span>: Active → On Hold" in html
    assert other.number not in html


def test_another_resellers_did_history_is_a_404(client, world, other_world):
    theirs = other_world.did()
    client.force_login(world.user)
    assert client.get(reverse("inventory:did_history", args=[theirs.pk])).status_code == 404


# --------------------------------------------------------------------------- a change set


def test_mass_edit_message_links_its_change_set_page(as_a, world):
    dids = [world.did() for _ in range(3)] + [world.did(Status.ACTIVE)]
    resp = _mass_edit(as_a, [d.pk for d in dids], set_status="archive", notes="batch")
    html = resp.content.decode()
    change_set = _change_set_of(html)
    page = as_a.get(f"/audit/change-sets/{change_set}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world.user.username in body and "Mass Edit" in body
    counts = {(c["kind_label"], c["label"]): c["count"] for c in page.context["transitions"]}
    assert counts == {("DID", "In Stock → Archive"): 3, ("DID", "Edited"): 4}
    assert page.context["chart"] is not None  # two kinds of change: drawn as bars
    assert page.context["cs"].total == 7
    assert 'id="revert"' in body


def test_change_set_entries_are_paged(as_a, world):
    create_dids(parse("5550000-5550059"), operator=world.operator, actor=world.actor)
    page = as_a.get(f"/audit/change-sets/{world.actor.change_set}/")
    assert len(page.context["page"].rows) == 50 and "next" in page.context["nav"]
    assert page.context["transitions"] == [
        {"kind": "did", "label": "Created", "count": 60, "kind_label": "DID"}
    ]
    assert page.context["chart"] is None  # one bar tells nothing the table does not


def test_another_resellers_change_set_is_a_404_and_cannot_be_reverted(client, world, other_world):
    theirs = other_world.did()
    actor = Actor.for_user(other_world.user)
    lifecycle.set_status(theirs, Status.ARCHIVE, actor=actor)
    client.force_login(world.user)
    assert client.get(f"/audit/change-sets/{actor.change_set}/").status_code == 404
    resp = client.post(f"/audit/change-sets/{actor.change_set}/revert/")
    assert resp.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.ARCHIVE


# --------------------------------------------------------------------------- Revert


def test_revert_restores_earlier_values_and_refuses_what_changed_since(as_a, world):
    dids = [world.did(notes=f"n{i}", tag="old") for i in range(4)]
    resp = _mass_edit(as_a, [d.pk for d in dids], set_status="archive", notes="bulk")
    change_set = _change_set_of(resp.content.decode())
    # One changed since: its status moved on.
    lifecycle.set_status(dids[0], Status.RESERVED, actor=world.actor)

    resp = as_a.post(f"/audit/change-sets/{change_set}/revert/", follow=True)
    html = resp.content.decode()
    assert "Reverted: 3 objects restored." in html
    assert f"1 DID changed since this change set ({dids[0].number})" in html
    for d in dids[1:]:
        d.refresh_from_db()
        assert (d.status, d.tag) == (Status.IN_STOCK, "old")
    assert [DID.objects.get(pk=d.pk).notes for d in dids] == ["bulk", "n1", "n2", "n3"]
    assert DID.objects.get(pk=dids[0].pk).status == Status.RESERVED
    # The revert is a change set of its own, by the user, shown after the revert.
    new = resp.context["cs"]
    assert str(new.uuid) != change_set and new.action == "revert"
    assert new.username == world.user.username and new.message.endswith(change_set)
    assert AuditRecord.objects.filter(change_set=new.uuid).count() == 6


def test_revert_goes_through_the_lifecycle_and_says_why_it_refuses(as_a, world):
    did = world.did()
    actor = Actor.for_user(world.user)
    lifecycle.assign(did, account=world.account, subscription=world.subscription, actor=actor)
    lifecycle.block(did, actor=world.actor)
    lifecycle.activate(did, actor=world.actor)
    # The assignment's entry still matches the DID (Active on Client A), but Active -> In
    # Stock is not a move: it must be released first.
    resp = as_a.post(f"/audit/change-sets/{actor.change_set}/revert/", follow=True)
    html = resp.content.decode()
    assert "Nothing was reverted." in html
    assert "1 Active DID cannot become In Stock: it is assigned (release it first)" in html
    did.refresh_from_db()
    assert did.status == Status.ACTIVE and did.account_id == world.account.pk


def test_revert_of_a_block_unblocks_through_the_lifecycle(as_a, world):
    did = world.did(Status.ACTIVE)
    actor = Actor.for_user(world.user)
    lifecycle.block(did, actor=actor)
    resp = as_a.post(f"/audit/change-sets/{actor.change_set}/revert/", follow=True)
    assert "Reverted: 1 object restored." in resp.content.decode()
    did.refresh_from_db()
    assert did.status == Status.ACTIVE
    entry = AuditRecord.objects.get(change_set=resp.context["cs"].uuid)
    assert (entry.before, entry.after) == ({"status": "blocked"}, {"status": "active"})


def test_revert_of_new_dids_deletes_the_untouched_ones(as_a, world):
    actor = Actor.for_user(world.user)
    create_dids(parse("5551000-5551004"), operator=world.operator, actor=actor)
    touched = DID.objects.get(number="5551001")
    update_dids([touched.pk], {"tag": "kept"}, actor=world.actor)
    resp = as_a.post(f"/audit/change-sets/{actor.change_set}/revert/", follow=True)
    html = resp.content.decode()
    assert "Reverted: 4 created DIDs deleted." in html
    assert "1 DID created by this change set was changed after it was created (5551001)" in html
    assert list(
        DID.objects.filter(number__startswith="555100").values_list("number", flat=True)
    ) == ["5551001"]
    assert resp.context["cs"].counts == {"did.delete": 4}


def test_a_deleted_did_is_not_recreated(as_a, world):
    did = world.did()
    actor = Actor.for_user(world.user)
    delete_dids(did, actor=actor)
    resp = as_a.post(f"/audit/change-sets/{actor.change_set}/revert/", follow=True)
    assert "a deleted DID is not re-created" in resp.content.decode()
    assert not DID.objects.filter(number=did.number).exists()


def test_change_sets_of_other_objects_offer_no_revert(as_a, world):
    actor = Actor.for_user(world.user)
    operator_create(name="Fresh", reseller=world.reseller, actor=actor)
    page = as_a.get(f"/audit/change-sets/{actor.change_set}/")
    assert page.context["revertible"] is False
    assert 'id="revert"' not in page.content.decode()


def test_selectors_word_records_with_one_query_per_kind(world, django_assert_max_num_queries):
    for _ in range(5):
        world.did(Status.ACTIVE)
    rows = list(selectors.listed(AuditRecord.objects.all())[:50])
    # DIDs, accounts (with their clients), subscriptions' packages, operators: a handful of
    # queries for the whole page, not one per row.
    with django_assert_max_num_queries(6):
        selectors.worded(rows)
    assert sum(r.sentence.startswith("Assigned to Client A | acc_A") for r in rows) == 5


def test_revert_of_an_import_deletes_what_it_created_and_restores_what_it_changed(
    as_importer, world
):
    world.did(Status.IN_STOCK, number="200", tag="old")
    content = "DID,Status,Tag,Operator\n200,archive,new,\n300,reserved,fresh,Op A\n"
    job = apply(as_importer, dry_run(as_importer, "two.csv", content), "all")
    assert (job.counts["created"], job.counts["updated"]) == (1, 1)
    page = as_importer.get(f"/audit/change-sets/{job.change_set}/")
    counts = {(c["kind_label"], c["label"]): c["count"] for c in page.context["transitions"]}
    assert counts == {("DID", "Created"): 1, ("DID", "Edited"): 1, ("DID", "In Stock → Archive"): 1}

    resp = as_importer.post(f"/audit/change-sets/{job.change_set}/revert/", follow=True)
    assert "Reverted: 1 object restored, 1 created DID deleted." in resp.content.decode()
    assert not DID.objects.filter(number="300").exists()
    back = DID.objects.get(number="200")
    assert (back.status, back.tag) == (Status.IN_STOCK, "old")


def test_a_big_revert_runs_as_a_job_whose_page_links_the_new_change_set(
    as_a, world, settings, eager, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_THRESHOLD = 10
    actor = Actor.for_user(world.user)
    create_dids(parse("5552000-5552029"), operator=world.operator, actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        resp = as_a.post(f"/audit/change-sets/{actor.change_set}/revert/")
    job = Job.objects.get(kind=Job.Kind.REVERT)
    assert resp["Location"] == reverse("jobs:job_detail", args=[job.pk])
    assert job.status == Job.Status.DONE and job.ok, job.message
    assert job.message == "Reverted: 30 created DIDs deleted."
    assert not DID.objects.filter(number__startswith="55520").exists()
    data = as_a.get(reverse("jobs:job_progress", args=[job.pk])).json()
    page = as_a.get(data["change_set_url"])
    assert page.context["cs"].action == "revert" and page.context["cs"].counts == {"did.delete": 30}


def _linked_change_set(resp):
    found = re.search(
        r'<a href="/audit/change-sets/([0-9a-f-]{36})/" class="change-set-link">See the change set',
        resp.content.decode(),
    )
    assert found, "the message does not link its change set"
    return ChangeSet.objects.get(uuid=found.group(1))


def test_every_bulk_action_message_links_its_change_set(as_a, world):
    resp = as_a.post(
        reverse("inventory:did_add"),
        {
            "numbers": "5553000-5553004",
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
        follow=True,
    )
    assert _linked_change_set(resp).counts == {"did.create": 5}
    ids = list(DID.objects.filter(number__startswith="555300").values_list("pk", flat=True)[:3])
    resp = as_a.post(
        reverse("clients:client_assign", args=[world.client.pk]),
        {"account": world.account.pk, "subscription": world.subscription.pk, "ids": ids},
        follow=True,
    )
    assert _linked_change_set(resp).counts == {"did.in_stock>active": 3}
    resp = as_a.post(
        reverse("subscriptions:subscription_cancel", args=[world.subscription.pk]), follow=True
    )
    counts = _linked_change_set(resp).counts
    assert counts["did.active>on_hold"] == 3


def test_a_message_of_an_action_that_changed_nothing_links_nothing(as_a, world):
    active = world.did(Status.ACTIVE)
    resp = _mass_edit(as_a, [active.pk], set_status="archive")
    assert "cannot become Archive" in resp.content.decode()
    assert "change-set-link" not in resp.content.decode()

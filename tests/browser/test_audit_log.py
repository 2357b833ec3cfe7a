"""Browser flows of the Audit Log (issue 10): from a Mass Edit's message to its change set's
page and a Revert, and the Audit Log's search in words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from audit.models import ChangeSet
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID

pytestmark = pytest.mark.browser


def _row(page, did: DID):
    return page.locator(f'#did-table tbody tr[data-id="{did.pk}"]')


def test_mass_edit_message_to_its_change_set_and_a_revert(page, world, login):
    dids = [world.did(Status.IN_STOCK) for _ in range(3)]
    active = world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    for did in [*dids, active]:
        page.get_by_label(f"Select {did.number}").check()
    page.locator("#mass-edit-toggle").click()
    page.locator("#mass-edit [name=set_status]").select_option(label="Archive")
    page.locator("#mass-edit [name=notes]").fill("moved away")
    page.locator("#mass-update").click()
    page.locator("#confirm-mass").click()

    message = page.get_by_role("status")
    expect(message).to_contain_text("Mass Edit: 3 DIDs set to Archive")
    # One DID moves on after the Mass Edit: the revert must leave it alone, and say so.
    moved_on = dids[0]
    lifecycle.set_status(moved_on, Status.RESERVED, actor=Actor.for_user(world.user))

    message.get_by_role("link", name="See the change set").click()
    expect(page).to_have_url(re.compile(r"/audit/change-sets/[0-9a-f-]{36}/$"))
    expect(page.locator("#cs-action")).to_have_text("Mass Edit")
    expect(page.locator("#cs-user")).to_have_text("user-A")
    expect(page.locator("#cs-count")).to_have_text("7")
    counts = page.locator("#cs-counts tbody tr")
    expect(counts).to_have_text(
        [re.compile(r"DID\s*Edited\s*4"), re.compile(r"DID\s*In Stock → Archive\s*3")]
    )
    expect(page.locator("#cs-chart rect")).to_have_count(2)
    expect(page.locator("#cs-entries")).to_contain_text("Status In Stock → Archive")
    expect(page.locator("#cs-entries")).to_contain_text("Notes: — → moved away")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#revert").click()
    expect(page).to_have_url(re.compile(r"/audit/change-sets/[0-9a-f-]{36}/$"))
    message = page.get_by_role("status")
    expect(message).to_contain_text("Reverted: 3 objects restored.")
    expect(message).to_contain_text(f"1 DID changed since this change set ({moved_on.number})")
    expect(page.locator("#cs-action")).to_contain_text("Revert")

    for did in dids[1:]:
        did.refresh_from_db()
        assert (did.status, did.notes) == (Status.IN_STOCK, "")
    active.refresh_from_db()
    assert (active.status, active.notes) == (Status.ACTIVE, "")
    moved_on.refresh_from_db()
    assert (moved_on.status, moved_on.notes) == (Status.RESERVED, "moved away")
    assert ChangeSet.objects.filter(action="revert", username="user-A").count() == 1

    # The inventory shows the earlier values back.
    page.goto("/dids/")
    expect(_row(page, dids[1]).locator(".status")).to_have_text("In Stock")
    expect(_row(page, moved_on).locator(".status")).to_have_text("Reserved")


def test_audit_log_search_in_words(page, world, other_world, login):
    did = world.did(Status.ACTIVE)
    theirs = other_world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto("/audit/")
    page.locator("details.list-search summary").click()
    page.get_by_label("Client").fill("Client A")
    page.get_by_label("Action").select_option(label="Assigned")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Assigned to Client A | acc_A under package Pack A")
    expect(page.locator("#audit-filtered")).to_contain_text("Client = Client A")
    expect(page.locator("#audit-table")).not_to_contain_text(theirs.number)
    rows.first.get_by_role("link", name=did.number).click()
    expect(page).to_have_url(re.compile(rf"/dids/{did.pk}/$"))

"""Browser flows on one DID: its history in the Audit Log, editing its status, and what a user
of another reseller can (not) see."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from audit.models import AuditRecord
from inventory.choices import Status
from inventory.models import DID

pytestmark = pytest.mark.browser


def _row(page, did: DID):
    return page.locator(f'#did-table tbody tr[data-id="{did.pk}"]')


def test_history_icon_opens_the_audit_log_of_that_did(page, world, login):
    did = world.did(Status.BLOCKED)  # create, assign, block: through the services
    neighbour = world.did(Status.ACTIVE)  # its records must not show up
    login(page, "user-A", "pw-A")
    page.goto("/dids/")

    _row(page, did).locator("a.history").click()
    expect(page).to_have_url(re.compile(rf"/audit/\?object_type=did&object_id={did.pk}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History of DID {did.number}")
    expect(page.locator("main")).to_contain_text(
        f"Filtered: object_type = did, object_id = {did.pk}"
    )

    records = AuditRecord.objects.filter(object_type="did", object_id=did.pk).order_by("-id")
    actions = list(records.values_list("action", flat=True))
    assert actions == ["block", "assign", "create"]
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td:nth-child(3)")).to_have_text(actions)
    expect(rows.locator("td:nth-child(4)")).to_have_text([f"did {did.number}"] * 3)
    expect(rows.locator("td:nth-child(2)")).to_have_text(["user-A"] * 3)
    expect(rows.first.locator("td:nth-child(5)")).to_contain_text("status: active")
    expect(rows.first.locator("td:nth-child(6)")).to_contain_text("status: blocked")
    expect(page.locator("#audit-table")).not_to_contain_text(neighbour.number)


def test_other_resellers_dids_are_invisible_and_404(page, world, other_world, login):
    a_did = world.did(Status.IN_STOCK)
    a_active = world.did(Status.ACTIVE)
    b_did = other_world.did(Status.IN_STOCK)
    login(page, "user-B", "pw-B")
    page.goto("/dids/")

    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 1 of 1")
    expect(_row(page, b_did).locator("td.num")).to_have_text(b_did.number)
    table = page.locator("#did-table")
    for did in (a_did, a_active):
        expect(_row(page, did)).to_have_count(0)
        expect(table).not_to_contain_text(did.number)

    # Searching for A's number by name finds nothing either.
    page.goto(f"/dids/?did={a_did.number}")
    expect(page.locator("#did-table tbody")).to_have_text("No DIDs match this search.")

    for path in (f"/dids/{a_did.pk}/", f"/dids/{a_did.pk}/delete/", f"/dids/{a_did.pk}/history/"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(a_did.number)

    # A's DIDs are untouched and still A's.
    for did in (a_did, a_active):
        before = did.status
        did.refresh_from_db()
        assert did.status == before
        assert did.reseller_id == world.reseller.pk
    assert DID.objects.filter(reseller=other_world.reseller).count() == 1


def test_edit_a_did_offers_only_legal_moves_and_blocks_it(page, world, login):
    did = world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    _row(page, did).get_by_role("link", name=did.number, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/dids/{did.pk}/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"DID {did.number}")
    expect(heading.locator(".status")).to_have_text("Active")
    status = page.get_by_label("Status")
    expect(status.locator("option")).to_have_text(["Active (current)", "Blocked", "On Hold"])
    expect(status).to_have_value(Status.ACTIVE)

    status.select_option(label="Blocked")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text(f"DID {did.number} saved.")
    expect(heading.locator(".status")).to_have_text("Blocked")
    expect(status.locator("option")).to_have_text(["Blocked (current)", "Active", "On Hold"])
    did.refresh_from_db()
    assert did.status == Status.BLOCKED
    assert did.account_id == world.account.pk  # still assigned to its account
    last = AuditRecord.objects.filter(object_type="did", object_id=did.pk).latest("id")
    # The page's save is one "edit" change set; its entry is the status move.
    assert (last.action, last.username) == ("edit", "user-A")
    assert (last.before["status"], last.after["status"]) == ("active", "blocked")

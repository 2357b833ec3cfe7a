"""Browser flows of issue 12, point 3 (edits where users expect them) and point 9 (no dead
ends), in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Reseller, User
from audit.models import AuditRecord
from clients.models import Account, Client
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "admin-pw-1"


@pytest.fixture
def boss(db):
    return User.objects.create_user("boss", password=ADMIN_PASSWORD, role=User.Role.ADMIN)


def test_rename_an_operator_then_a_refused_delete_shows_why_without_ok(page, world, login):
    world.did()
    login(page, "user-A", "pw-A")
    page.goto("/operators/")
    page.get_by_role("link", name="Edit Op A").click()
    expect(page.get_by_role("heading", name="Edit Operator")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Op A")
    page.get_by_label("Name").fill("Telia Nordic")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Operator renamed to Telia Nordic.")
    row = page.locator(f'#operators tr[data-operator="{world.operator.pk}"]')
    expect(row.locator("td").nth(1)).to_have_text("Telia Nordic")
    assert Operator.objects.get(pk=world.operator.pk).name == "Telia Nordic"

    # It owns a DID: the delete page says why, offers its DIDs, and has no OK.
    row.get_by_role("link", name="Delete Telia Nordic").click()
    expect(page.locator("#delete-refusal")).to_have_text(
        "Operator Telia Nordic owns 1 DID and cannot be deleted. Delete or move its DIDs first."
    )
    expect(page.get_by_role("button", name="OK")).to_have_count(0)
    page.get_by_role("link", name="Its 1 DID").click()
    expect(page).to_have_url(re.compile(rf"/dids/\?operator={world.operator.pk}$"))
    expect(page.locator("#did-table tbody tr")).to_have_count(1)


def test_mass_edit_moves_dids_to_another_operator_and_refuses_another_resellers(
    page, world, other_world, boss, login
):
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    mine = [world.did(), world.did(Status.ACTIVE)]
    theirs = other_world.did()
    login(page, "boss", ADMIN_PASSWORD)
    page.goto("/dids/")
    for did in (*mine, theirs):
        page.locator(f'#did-table tr[data-id="{did.pk}"] input[name=ids]').check()
    page.locator("#mass-edit-toggle").click()
    page.locator("#id_mass_operator").select_option(label="Op A2 (A)")
    page.locator("#mass-update").click()

    confirm = page.locator("#mass-confirm")
    expect(confirm).to_contain_text("3 DIDs are selected.")
    expect(confirm).to_contain_text("Operator will be set to “Op A2” where it differs.")
    expect(page.locator("#operator-refused")).to_have_text(
        "1 DID of another reseller than operator Op A2's cannot move to it: nothing changes on it."
    )
    expect(page.locator("#will-edit")).to_have_text("2 DIDs will be edited.")
    expect(page.locator("#confirm-mass")).to_be_enabled()
    page.locator("#confirm-mass").click()
    expect(page.get_by_role("status")).to_contain_text("Mass Edit: 2 DIDs edited.")
    assert {DID.objects.get(pk=d.pk).operator_id for d in mine} == {target.pk}
    assert DID.objects.get(pk=theirs.pk).operator_id == other_world.operator.pk


def test_edit_and_delete_clients_and_accounts(page, world, login):
    world.did(Status.ACTIVE)  # linked to the client and its account
    spare = Account.objects.create(client=world.client, name="spare")
    login(page, "user-A", "pw-A")
    page.goto(f"/clients/{world.client.pk}/")

    page.get_by_role("link", name="Edit Client").click()
    page.get_by_label("Name").fill("Acme Corp")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Client renamed to Acme Corp.")
    expect(page.get_by_role("heading", name=re.compile("^Acme Corp"))).to_be_visible()

    # A client with linked DIDs: the reason, and no OK.
    page.get_by_role("link", name="Delete Client").click()
    expect(page.locator("#delete-refusal")).to_contain_text(
        "Client Acme Corp has 1 DID linked and cannot be deleted."
    )
    expect(page.get_by_role("button", name="OK")).to_have_count(0)
    page.get_by_role("link", name="Back").click()

    # Rename an account; delete the one without DIDs; the one with DIDs is refused.
    accounts = page.locator("#accounts")
    accounts.get_by_role("link", name="Edit account spare").click()
    page.get_by_label("Name").fill("backup")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Account renamed to Acme Corp | backup.")
    accounts.get_by_role("link", name="Delete account backup").click()
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Account Acme Corp | backup deleted.")
    assert not Account.objects.filter(pk=spare.pk).exists()
    accounts.get_by_role("link", name="Delete account acc_A").click()
    expect(page.locator("#delete-refusal")).to_contain_text("has 1 DID linked")
    expect(page.get_by_role("button", name="OK")).to_have_count(0)

    # A client without DIDs goes, with its account and Client Package, after a count.
    other = Client.objects.create(name="Old client", reseller=world.reseller)
    Account.objects.create(client=other, name="a1")
    page.goto(f"/clients/{other.pk}/delete/")
    expect(page.locator("#delete-counts")).to_contain_text("1 account will be deleted with it.")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Client Old client deleted with 1 account.")
    assert not Client.objects.filter(pk=other.pk).exists()


def test_archive_a_package_and_edit_a_subscriptions_end_date(page, world, login):
    login(page, "user-A", "pw-A")
    page.goto("/packages/")
    page.get_by_role("link", name="Edit Pack A").click()
    page.get_by_label("Archived").check()
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Package Pack A saved.")
    expect(page.locator(f'#packages tr[data-package="{world.package.pk}"]')).to_contain_text(
        "Archived"
    )
    assert Package.objects.get(pk=world.package.pk).archived

    # New subscription does not offer it.
    page.goto(f"/clients/{world.client.pk}/subscriptions/new/")
    options = page.locator("#id_package option").all_inner_texts()
    assert "Pack A" not in options, options

    # The existing subscription's end date, from the client's page.
    page.goto(f"/clients/{world.client.pk}/")
    row = page.locator(f'#subscriptions tr[data-subscription="{world.subscription.pk}"]')
    row.get_by_role("link", name="Edit").click()
    expect(
        page.get_by_role("heading", name=f"Edit subscription #{world.subscription.pk}")
    ).to_be_visible()
    page.get_by_label("End date").fill("2025-12-01")
    page.get_by_role("button", name="OK").click()
    expect(page.locator("#id_end_date-error")).to_have_text(
        "End date: it cannot be before the start date 2026-01-01."
    )
    page.get_by_label("End date").fill("2027-06-30")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_contain_text("end date set to 2027-06-30")
    assert str(Subscription.objects.get(pk=world.subscription.pk).end_date) == "2027-06-30"


def test_an_admin_renames_a_reseller_deactivates_a_user_and_sets_a_password(
    page, world, boss, login, browser, live_server
):
    login(page, "boss", ADMIN_PASSWORD)
    page.goto(f"/resellers/{world.reseller.pk}/")
    page.get_by_role("link", name="Rename").click()
    page.get_by_label("Name").fill("Acme Telecom")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text("Reseller renamed to Acme Telecom.")
    assert Reseller.objects.get(pk=world.reseller.pk).name == "Acme Telecom"

    page.get_by_role("link", name="Edit user user-A").click()
    page.get_by_label("Active").uncheck()
    page.get_by_label("New password:", exact=True).fill("Brand-new-pass-42")
    page.get_by_label("New password confirmation").fill("Brand-new-pass-42")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "User user-A deactivated and given a new password."
    )
    expect(page.locator(f'#users tr[data-user="{world.user.pk}"]')).to_contain_text("no")
    assert AuditRecord.objects.filter(object_type="user", object_id=world.user.pk).exists()

    # The deactivated user cannot log in, even with the new password ...
    other = browser.new_context(base_url=live_server.url)
    them = other.new_page()
    login(them, "user-A", "Brand-new-pass-42")
    expect(them).to_have_url(re.compile(r"/login/$"))
    # ... until an admin activates it again.
    page.get_by_role("link", name="Edit user user-A").click()
    page.get_by_label("Active").check()
    page.get_by_role("button", name="OK").click()
    login(them, "user-A", "Brand-new-pass-42")
    expect(them.get_by_role("heading", name="Inventory at a glance")).to_be_visible()
    other.close()


def test_no_dead_ends_disabled_buttons_and_chart_links(page, world, login):
    did = world.did(tag="same")
    world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")

    # Home: a bar is a link to the list filtered to what it counts.
    page.locator("#chart-status a.bar-link", has_text="In Stock").locator("rect").click()
    expect(page).to_have_url(re.compile(r"/dids/\?status=in_stock$"))
    expect(page.locator("#did-table tbody tr")).to_have_count(1)
    page.goto("/")
    page.locator("#chart-operator a.bar-link rect").first.click()
    expect(page).to_have_url(re.compile(rf"/dids/\?operator={world.operator.pk}$"))

    # Mass Edit with nothing selected: Update and Delete are disabled until a DID is ticked.
    page.goto("/dids/")
    page.locator("#mass-edit-toggle").click()
    expect(page.locator("#mass-update")).to_be_disabled()
    expect(page.locator("#mass-delete")).to_be_disabled()
    page.locator(f'#did-table tr[data-id="{did.pk}"] input[name=ids]').check()
    expect(page.locator("#mass-update")).to_be_enabled()
    # A Mass Edit that would change nothing: the reason, and a disabled Update that looks it.
    page.locator("#id_mass_tag").fill("same")
    page.locator("#mass-update").click()
    expect(page.locator("#nothing-to-change")).to_be_visible()
    button = page.locator("#confirm-mass")
    expect(button).to_be_disabled()
    style = button.evaluate(
        "b => ({opacity: getComputedStyle(b).opacity, cursor: getComputedStyle(b).cursor})"
    )
    assert float(style["opacity"]) < 0.6 and style["cursor"] == "not-allowed", style
    assert DID.objects.get(pk=did.pk).tag == "same"

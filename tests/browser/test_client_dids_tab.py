"""Browser flows of the client's DIDs tab: several ticked DIDs moved at once (with the
confirmation and the counted result), and Assign DIDs as a panel that shows it toggles, lists
only the DIDs the package allows, preselects the only account, and turns ticking off with
the reason when the subscription is full."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from audit.models import AuditRecord
from inventory.choices import Status
from inventory.models import DID
from packages.models import Package

pytestmark = pytest.mark.browser


def _status(did):
    return DID.objects.get(pk=did.pk).status


def _tick(page, did):
    page.locator(f'#client-dids tr[data-did="{did.pk}"] input[name="ids"]').check()


def test_tick_several_dids_and_block_them_at_once(page, world, login):
    active = [world.did(Status.ACTIVE), world.did(Status.ACTIVE)]
    held = world.did(Status.ON_HOLD)
    untouched = world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto(f"/clients/{world.client.pk}/dids/")

    for did in (*active, held):
        _tick(page, did)
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.locator("#bulk-block").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Blocked 2 DIDs. Refused 1: 1 On Hold DID cannot become Blocked ({held.number})."
    )
    assert asked == ["Block 3 ticked DID(s) of Client A?"]
    assert [_status(d) for d in (*active, held, untouched)] == [
        Status.BLOCKED,
        Status.BLOCKED,
        Status.ON_HOLD,
        Status.ACTIVE,
    ]
    sets = AuditRecord.objects.filter(action="block").values_list("change_set", flat=True)
    assert len(set(sets)) == 1

    # Tick every DID on the page, then say no to the question: nothing happens.
    page.locator("#tick-all").check()
    page.once("dialog", lambda d: d.dismiss())
    page.locator("#bulk-hold").click()
    expect(page.locator(f'#client-dids tr[data-did="{untouched.pk}"] .status')).to_have_text(
        "Active"
    )
    assert _status(untouched) == Status.ACTIVE

    # And yes: every ticked DID that can be held is held.
    page.once("dialog", lambda d: d.accept())
    page.locator("#bulk-hold").click()
    expect(page.get_by_role("status")).to_contain_text("Put On Hold 3 DIDs. Refused 1:")
    assert [_status(d) for d in (*active, held, untouched)] == [Status.ON_HOLD] * 4


def test_assign_panel_toggles_and_offers_what_the_package_allows(page, world, login):
    world.did(Status.ACTIVE)  # one of two used: the panel starts closed, as DIDs exist
    Package.objects.filter(pk=world.package.pk).update(allowed_tags=["gold"], did_allowance=2)
    gold, other_gold = world.did(tag="gold"), world.did(tag="gold")
    plain = world.did(tag="plain")
    login(page, "user-A", "pw-A")
    page.goto(f"/clients/{world.client.pk}/dids/")

    toggle = page.locator("#assign > summary")
    panel = page.locator("#assign-panel")
    caret = "(el) => getComputedStyle(el.querySelector('.cli-caret'), '::before').content"
    expect(panel).to_be_hidden()
    assert toggle.evaluate(caret) == '"▸"'  # closed: the caret points at the label
    toggle.click()
    expect(panel).to_be_visible()
    assert toggle.evaluate(caret) == '"▾"'  # open: it points down at the panel
    toggle.click()
    expect(panel).to_be_hidden()
    toggle.click()

    stock = page.locator("#stock tbody tr[data-stock]")
    expect(stock).to_have_count(2)
    expect(page.locator("#stock")).not_to_contain_text(plain.number)
    expect(page.locator("#assign-tags")).to_have_text("Allows tags: gold")
    expect(page.locator("#id_account")).to_have_value(str(world.account.pk))

    page.locator(f"#stock-{gold.pk}").check()
    page.locator("#assign-submit").click()
    # The message, then its "See the change set" link.
    expect(page.get_by_role("status")).to_contain_text(
        "Assigned 1 DID to Client A | acc_A under Pack A."
    )
    assert _status(gold) == Status.ACTIVE

    # Now the subscription is full: ticking is off, and the tab says why.
    page.locator("#assign > summary").click()
    expect(page.locator("#assign-full")).to_contain_text(
        "is full: its package allows 2 DIDs and 2 are linked"
    )
    expect(page.locator(f"#stock-{other_gold.pk}")).to_be_disabled()
    expect(page.locator("#assign-submit")).to_be_disabled()


def test_choosing_another_subscription_lists_what_its_package_allows(page, world, login):
    import datetime as dt

    from subscriptions.models import Subscription

    world.did(Status.ACTIVE)
    Package.objects.filter(pk=world.package.pk).update(allowed_tags=["gold"], did_allowance=1)
    roomy = Package.objects.create(reseller=world.reseller, name="Roomy", did_allowance=5)
    second = Subscription.objects.create(
        client=world.client, package=roomy, start_date=dt.date(2026, 1, 1)
    )
    gold, plain = world.did(tag="gold"), world.did(tag="plain")
    login(page, "user-A", "pw-A")
    page.goto(f"/clients/{world.client.pk}/dids/")
    page.locator("#assign > summary").click()

    # Pack A is full, so the tab starts on the subscription with room, which allows any tag.
    expect(page.locator("#id_stock_subscription")).to_have_value(str(second.pk))
    expect(page.locator("#stock tbody tr[data-stock]")).to_have_count(2)
    expect(page.locator("#assign-full")).to_have_count(0)

    page.locator("#id_stock_subscription").select_option(str(world.subscription.pk))
    expect(page).to_have_url(re.compile(rf"subscription={world.subscription.pk}"))
    expect(page.locator("#assign-panel")).to_be_visible()  # still open after the reload
    expect(page.locator("#stock tbody tr[data-stock]")).to_have_count(1)
    expect(page.locator(f"#stock-{gold.pk}")).to_be_disabled()
    expect(page.locator("#stock")).not_to_contain_text(plain.number)
    expect(page.locator("#assign-full")).to_contain_text("or choose another subscription")

    page.locator("#id_stock_subscription").select_option(str(second.pk))
    expect(page.locator("#stock tbody tr[data-stock]")).to_have_count(2)
    page.locator(f"#stock-{plain.pk}").check()
    page.locator("#assign-submit").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Assigned 1 DID to Client A | acc_A under Roomy."
    )
    assert _status(plain) == Status.ACTIVE

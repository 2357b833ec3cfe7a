"""Browser flows on the DID Inventory list: New DIDs, Advanced Search, sorting and paging,
Mass Edit (ticked rows and "select all matching") and Delete."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids

pytestmark = pytest.mark.browser


def _create(world, spec: str, status: str = Status.IN_STOCK) -> None:
    create_dids(parse(spec), operator=world.operator, status=status, actor=world.actor)


def _rows(page):
    return page.locator("#did-table tbody tr[data-id]")


def _row(page, did: DID):
    return page.locator(f'#did-table tbody tr[data-id="{did.pk}"]')


def _numbers(page) -> list[str]:
    return _rows(page).locator("td.num").all_inner_texts()


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# --------------------------------------------------------------------------- New DIDs


def test_create_dids_by_range_then_skip_existing(page, world, login):
    login(page, "user-A", "pw-A")
    page.locator("header nav").get_by_role("link", name="DID Inventory").click()
    page.locator("#new-dids").click()
    expect(page.get_by_role("heading", name="New DIDs")).to_be_visible()

    page.get_by_label("DID(s)").fill("0100-0199")
    page.get_by_label("Operator").select_option(label="Op A")
    page.get_by_label("Status").select_option(label="Reserved")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("status")).to_have_text("Created 100 DIDs. See the change set")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")
    expect(_rows(page)).to_have_count(20)
    expect(_rows(page).first.locator("td.num")).to_have_text("0100")
    expect(_rows(page).first.locator(".status")).to_have_text("Reserved")
    dids = DID.objects.filter(reseller=world.reseller)
    assert dids.count() == 100
    assert set(dids.values_list("status", flat=True)) == {Status.RESERVED}
    assert set(dids.values_list("operator_id", flat=True)) == {world.operator.pk}
    numbers = sorted(dids.values_list("number", flat=True))
    assert numbers == [f"{n:04d}" for n in range(100, 200)]  # the leading zero is kept

    # The same range again plus five new numbers: a warning, then "skip unavailable".
    page.locator("#new-dids").click()
    page.get_by_label("DID(s)").fill("0100-0199, 0200-0204")
    page.get_by_label("Operator").select_option(label="Op A")
    page.get_by_label("Status").select_option(label="Reserved")
    page.get_by_role("button", name="Create").click()

    warning = page.locator("#existing-warning")
    expect(warning).to_contain_text("100 of these 105 numbers are not available.")
    expect(warning).not_to_contain_text("0100,")  # counts only, no examples
    assert DID.objects.count() == 100  # nothing created yet
    skip = page.get_by_role("button", name="Skip unavailable numbers, create the rest")
    expect(skip).to_have_id("skip-existing")
    skip.click()

    expect(page.get_by_role("status")).to_have_text(
        "Created 5 DIDs. 100 not available, skipped. See the change set"
    )
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 105")
    assert DID.objects.count() == 105
    new = DID.objects.filter(number__in=["0200", "0201", "0202", "0203", "0204"])
    assert new.count() == 5
    assert set(new.values_list("status", flat=True)) == {Status.RESERVED}


# --------------------------------------------------------------------------- search


def test_search_is_bookmarkable_reset_sort_and_next_page(page, world, login):
    _create(world, "0100-0199")
    _create(world, "0200-0209")
    lifecycle.set_status(
        DID.objects.filter(number__startswith="015"), Status.RESERVED, actor=world.actor
    )
    lifecycle.set_status(DID.objects.filter(number="0201"), Status.RESERVED, actor=world.actor)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 110")

    panel = page.locator("#advanced-search")
    expect(panel).to_be_hidden()
    page.locator("#search-toggle").click()
    expect(panel).to_be_visible()
    panel.locator("[name=did_match]").select_option(label="starts with")
    panel.locator("[name=did]").fill("01")
    panel.get_by_label("Reserved", exact=True).check()
    panel.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/dids/\?.*did=01"))

    expected = sorted(
        DID.objects.filter(number__startswith="01", status=Status.RESERVED).values_list(
            "number", flat=True
        )
    )
    assert expected == [f"0{n}" for n in range(150, 160)]
    query = _query(page)
    assert query["did"] == ["01"]
    assert query["did_match"] == ["prefix"]
    assert query["status"] == ["reserved"]
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 10 of 10")
    assert _numbers(page) == expected
    # The search panel stays open and shows the search.
    expect(panel).to_be_visible()
    expect(panel.locator("[name=did]")).to_have_value("01")
    expect(panel.get_by_label("Reserved", exact=True)).to_be_checked()

    # Bookmarkable: a reload, and a fresh visit to the same address, give the same rows.
    url = page.url
    page.reload()
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 10 of 10")
    assert _numbers(page) == expected
    page.goto("/")
    page.goto(url)
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 10 of 10")
    assert _numbers(page) == expected

    # Reset clears the search.
    panel.get_by_role("link", name="Reset").click()
    expect(page).to_have_url(re.compile(r"/dids/$"))
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 110")
    expect(panel).to_be_hidden()

    # Sort by DID: ascending on the first click, descending on the second.
    all_numbers = sorted(DID.objects.values_list("number", flat=True))
    header = page.locator("#did-table thead th.col-did a")
    header.click()
    expect(header).to_have_text("DID ▲")
    assert _query(page)["sort"] == ["did"]
    assert _numbers(page) == all_numbers[:20]
    header.click()
    expect(header).to_have_text("DID ▼")
    assert _query(page)["sort"] == ["-did"]
    descending = all_numbers[::-1]
    assert _numbers(page) == descending[:20]
    expect(_rows(page).first.locator("td.num")).to_have_text("0209")

    # Next page (›) keeps the sort.
    page.locator(".pager").get_by_role("link", name="›", exact=True).click()
    expect(page.locator("#rows-info")).to_have_text("Rows 21 - 40 of 110")
    expect(page.locator(".pageno")).to_have_text("Page 2 of 6")
    assert _numbers(page) == descending[20:40]
    expect(header).to_have_text("DID ▼")


# --------------------------------------------------------------------------- Mass Edit


def test_mass_edit_ticked_rows_with_confirmation_and_refusal(page, world, login):
    first = world.did(Status.IN_STOCK)
    second = world.did(Status.IN_STOCK)
    untouched = world.did(Status.IN_STOCK)
    active = world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    expect(_rows(page)).to_have_count(4)

    page.get_by_label(f"Select {first.number}").check()
    page.get_by_label(f"Select {second.number}").check()
    page.get_by_label(f"Select {active.number}").check()
    page.locator("#mass-edit-toggle").click()
    mass = page.locator("#mass-edit")
    expect(mass).to_be_visible()
    expect(page.locator("#mass-scope")).to_have_text("Applies to the 3 selected DIDs.")
    mass.locator("[name=set_status]").select_option(label="Archive")
    mass.locator("[name=tag]").fill("bulk")
    page.locator("#mass-update").click()

    confirm = page.locator("#mass-confirm")
    expect(confirm.get_by_role("heading", name="Mass Edit: confirm")).to_be_visible()
    expect(confirm).to_contain_text("3 DIDs are selected.")
    expect(page.locator("#will-change")).to_have_text("2 DIDs will become Archive.")
    expect(confirm.locator("li.refused")).to_have_text(
        "1 Active DID cannot become Archive: it is assigned (release it first)."
    )
    expect(confirm).to_contain_text("Tag will be set to “bulk” where it differs.")
    # Nothing has changed before the confirmation.
    assert DID.objects.filter(status=Status.ARCHIVE).count() == 0
    assert DID.objects.filter(tag="bulk").count() == 0

    page.locator("#confirm-mass").click()
    expect(page).to_have_url(re.compile(r"/dids/(\?.*)?$"))
    message = page.get_by_role("status")
    expect(message).to_contain_text("Mass Edit: 2 DIDs set to Archive")
    expect(message).to_contain_text("refused 1 Active DID cannot become Archive")
    expect(message).to_have_class(re.compile(r"msg-warning"))  # a refusal: not a success
    # The tag is a legal change for all three, as the confirmation said.
    expect(message).to_contain_text("3 DIDs edited.")
    for did in (first, second):
        expect(_row(page, did).locator(".status")).to_have_text("Archive")
        expect(_row(page, did).locator("td").nth(5)).to_have_text("bulk")
    expect(_row(page, untouched).locator(".status")).to_have_text("In Stock")
    expect(_row(page, active).locator(".status")).to_have_text("Active")

    for did in (first, second):
        did.refresh_from_db()
        assert (did.status, did.tag) == (Status.ARCHIVE, "bulk")
    untouched.refresh_from_db()
    assert (untouched.status, untouched.tag) == (Status.IN_STOCK, "")
    active.refresh_from_db()
    assert (active.status, active.tag) == (Status.ACTIVE, "bulk")
    assert active.account_id == world.account.pk


def test_mass_edit_select_all_matching_applies_beyond_the_page(page, world, login):
    _create(world, "0100-0199")
    other = world.did(Status.IN_STOCK, number="0999")  # outside the search
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    page.locator("#search-toggle").click()
    panel = page.locator("#advanced-search")
    panel.locator("[name=did_match]").select_option(label="starts with")
    panel.locator("[name=did]").fill("01")
    panel.get_by_role("button", name="Search").click()
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")

    banner = page.locator("#select-all-banner")
    expect(banner).to_be_hidden()
    page.locator("#check-page").check()
    expect(banner).to_be_visible()
    for box in _rows(page).locator("input[name=ids]").all():
        expect(box).to_be_checked()
    select_all = page.locator("#select-all-matching")
    expect(select_all).to_have_text("Select all 100 DIDs matching this search")
    select_all.click()
    expect(page.locator("#all-matching-note")).to_contain_text(
        "All 100 matching DIDs are selected."
    )
    page.locator("#mass-edit-toggle").click()
    expect(page.locator("#mass-scope")).to_have_text("Applies to every DID matching the search.")
    page.locator("#mass-edit [name=set_status]").select_option(label="Reserved")
    page.locator("#mass-update").click()

    confirm = page.locator("#mass-confirm")
    expect(confirm).to_contain_text("100 DIDs are selected.")
    expect(page.locator("#will-change")).to_have_text("100 DIDs will become Reserved.")
    assert DID.objects.filter(status=Status.RESERVED).count() == 0
    page.locator("#confirm-mass").click()

    expect(page.get_by_role("status")).to_have_text(
        "Mass Edit: 100 DIDs set to Reserved. See the change set"
    )
    # Back on the same search, every row of it is Reserved now.
    assert _query(page)["did"] == ["01"]
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")
    expect(_rows(page).locator(".status", has_text="Reserved")).to_have_count(20)
    matching = DID.objects.filter(number__startswith="01")
    assert matching.count() == 100
    assert set(matching.values_list("status", flat=True)) == {Status.RESERVED}
    other.refresh_from_db()
    assert other.status == Status.IN_STOCK


# --------------------------------------------------------------------------- Delete


def test_delete_a_did_and_refuse_an_assigned_one(page, world, login):
    spare = world.did(Status.IN_STOCK)
    active = world.did(Status.ACTIVE)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")

    _row(page, spare).locator("a.delete").click()
    expect(page.get_by_role("heading", name=f"Delete DID {spare.number}?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The DID is In Stock.")
    page.get_by_role("button", name="Delete").click()

    expect(page).to_have_url(re.compile(r"/dids/$"))
    expect(page.get_by_role("status")).to_have_text(f"DID {spare.number} deleted.")
    expect(_row(page, spare)).to_have_count(0)
    expect(_rows(page)).to_have_count(1)
    assert not DID.objects.filter(pk=spare.pk).exists()

    _row(page, active).locator("a.delete").click()
    expect(page.get_by_role("heading", name=f"Delete DID {active.number}?")).to_be_visible()
    expect(page.locator(".msg-error")).to_have_text(
        "This DID is Active and assigned to Client A | acc_A; it cannot be deleted. "
        "Release it first."
    )
    expect(page.locator("#confirm-delete")).to_have_count(0)
    page.get_by_role("link", name="Back").click()
    expect(page).to_have_url(re.compile(rf"/dids/{active.pk}/$"))
    active.refresh_from_db()
    assert active.status == Status.ACTIVE

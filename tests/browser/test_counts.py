"""Browser flows for exact counts and filtered pages (issue 12, points 1 and 2): right after
a Mass Edit the list, a filtered search, Home and the Operators tab show exact counts; a
search by status and operator lists only its matches, in order, under every sort."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from inventory.tables import DIDTable
from operators.models import Operator

pytestmark = pytest.mark.browser


def _rows(page):
    return page.locator("#did-table tbody tr[data-id]")


def test_counts_are_exact_right_after_a_mass_edit(page, world, login):
    create_dids(parse("0100-0399"), operator=world.operator, actor=world.actor)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 300")

    page.locator("#search-toggle").click()
    panel = page.locator("#advanced-search")
    panel.locator("[name=did_match]").select_option(label="starts with")
    panel.locator("[name=did]").fill("01")
    panel.get_by_role("button", name="Search").click()
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")
    page.locator("#check-page").check()
    page.locator("#select-all-matching").click()
    page.locator("#mass-edit-toggle").click()
    page.locator("#mass-edit [name=set_status]").select_option(label="Reserved")
    page.locator("#mass-edit [name=tag]").fill("bulk")
    page.locator("#mass-update").click()
    page.locator("#confirm-mass").click()
    expect(page.get_by_role("status")).to_contain_text("Mass Edit: 100 DIDs set to Reserved")

    # At once, with no "about": the search, a search by the new tag, the rest.
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")
    page.goto("/dids/?tag=bulk")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")
    page.goto("/dids/?status=in_stock")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 200")
    page.goto("/dids/")
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 300")

    page.goto("/")
    expect(page.locator('#by-status tr[data-status="reserved"] td').nth(1)).to_have_text("100")
    expect(page.locator('#by-status tr[data-status="in_stock"] td').nth(1)).to_have_text("200")
    page.locator('#by-status tr[data-status="reserved"] a').click()
    expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 100")

    lifecycle.set_status(DID.objects.filter(tag="bulk"), Status.ARCHIVE, actor=world.actor)
    page.locator("header nav").get_by_role("link", name="Operators").click()
    expect(page.locator("td.ops-count").first).to_have_text("300")
    page.goto("/")
    expect(page.locator('#by-status tr[data-status="archive"] td').nth(1)).to_have_text("100")


@pytest.mark.parametrize("few", [100_000, 0], ids=["matches-first", "walk-the-sort"])
def test_a_search_by_status_and_operator_lists_only_its_matches_under_every_sort(
    page, world, login, monkeypatch, few
):
    """Both ways the list reads a filtered page (collect the matches, or walk the sort's
    index) list exactly the matches, in the sort's order."""
    monkeypatch.setattr("inventory.selectors.FEW_MATCHES", few)
    second = Operator.objects.create(name="Op Two", reseller=world.reseller)
    create_dids(parse("0100-0159"), operator=world.operator, actor=world.actor)
    create_dids(parse("0200-0229"), operator=second, actor=world.actor, tag="b")
    create_dids(parse("0300-0309"), operator=second, actor=world.actor, tag="a")
    lifecycle.set_status(DID.objects.filter(number__lt="0205"), Status.RESERVED, actor=world.actor)
    expected = set(
        DID.objects.filter(operator=second, status=Status.IN_STOCK).values_list("number", flat=True)
    )
    assert len(expected) == 35
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    page.locator("#search-toggle").click()
    panel = page.locator("#advanced-search")
    panel.get_by_label("In Stock", exact=True).check()
    panel.locator("[name=operator]").select_option(label="Op Two")
    panel.get_by_role("button", name="Search").click()
    expect(page.locator("#rows-info")).to_contain_text("of 35")

    for key in [k for k, sort in DIDTable.sorts().items() if sort.columns]:
        for direction in ("", "-"):
            url = page.url.split("?")[0] + "?" + _with(page.url, sort=direction + key)
            page.goto(url)
            expect(page.locator("#rows-info")).to_have_text("Rows 1 - 20 of 35")
            shown = _rows(page).locator("td.num").all_inner_texts()
            assert len(shown) == 20 and set(shown) <= expected, (key, direction)
            page.locator("a[rel=next]").first.click()
            expect(page.locator("#rows-info")).to_have_text("Rows 21 - 35 of 35")
            rest = _rows(page).locator("td.num").all_inner_texts()
            assert set(shown) | set(rest) == expected, (key, direction)


def _with(url: str, **params) -> str:
    """``url``'s search with ``params`` set, on its first page."""
    query = parse_qs(urlsplit(url).query)
    query.pop("after", None)
    query.pop("start", None)
    query.pop("page", None)
    query.update({k: [v] for k, v in params.items()})
    return urlencode(query, doseq=True)

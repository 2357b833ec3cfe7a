"""Browser flows of number geography: the DID list's Country column and international
numbers, the Country and Area code search, the DID page's country and region, and the Home
chart by country whose bars open the filtered list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_country_column_search_and_did_page(page, world, login):
    sf = world.did(number="+14155550100")
    sf2 = world.did(number="14155550101")
    nyc = world.did(number="12125550100")
    ottawa = world.did(number="+16135550100")
    bare = world.did(number="0100")
    login(page, "user-A", "pw-A")
    page.goto("/dids/")

    def row(did):
        return page.locator(f'#did-table tbody tr[data-id="{did.pk}"]')

    expect(page.locator("#did-table thead")).to_contain_text("Country")
    expect(row(sf).locator("td.num")).to_have_text("+1 415-555-0100")
    expect(row(sf).locator("td.country")).to_have_text("US San Francisco, CA")
    expect(row(ottawa).locator("td.country")).to_have_text("CA Ontario")
    expect(row(bare).locator("td.num")).to_have_text("0100")  # no country: as stored
    expect(row(bare).locator("td.country")).to_have_text("—")

    page.locator("#search-toggle").click()
    page.locator("#id_country").select_option("US")
    page.locator("#id_area_code").fill("415")
    page.locator("#advanced-search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"country=US&area_code=415"))
    rows = page.locator("#did-table tbody tr[data-id]")
    expect(rows).to_have_count(2)
    expect(rows.locator("td.num")).to_have_text(["+1 415-555-0100", "+1 415-555-0101"])
    for other in (nyc, ottawa, bare):
        expect(row(other)).to_have_count(0)

    # An area code without a country is named, and nothing is listed.
    page.locator("#id_country").select_option("")
    page.locator("#advanced-search button[type=submit]").click()
    expect(page.locator("#advanced-search .msg-error")).to_contain_text(
        "Area code: choose a Country too"
    )
    expect(page.locator("#did-table tbody tr[data-id]")).to_have_count(0)

    page.goto(f"/dids/{sf2.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DID +1 415-555-0101")
    expect(page.locator("#did-stored")).to_have_text("14155550101")
    expect(page.locator("#did-country")).to_have_text("United States (US)")
    expect(page.locator("#did-region")).to_have_text("San Francisco, CA")


def test_home_chart_by_country_opens_the_filtered_list(page, world, login):
    for n in ("+14155550100", "12125550100", "+16135550100"):
        world.did(number=n)
    login(page, "user-A", "pw-A")
    page.goto("/")
    chart = page.locator("#chart-country")
    expect(chart.locator("rect")).to_have_count(2)
    expect(chart.locator("rect title")).to_have_text(["United States: 2", "Canada: 1"])
    chart.locator('a[href="/dids/?country=CA"] rect').click()
    expect(page).to_have_url(re.compile(r"/dids/\?country=CA$"))
    expect(page.locator("#did-table tbody tr[data-id] td.num")).to_have_text(["+1 613-555-0100"])
    expect(page.locator("#id_country")).to_have_value("CA")

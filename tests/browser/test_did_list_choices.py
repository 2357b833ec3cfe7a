"""Browser flows of issue 12, points 4 to 6 on the DID Inventory: saved searches (save,
share, open as a colleague, rename, delete), the column chooser (kept per user, across
browsers), and Export DIDs (CSV and XLSX buttons, the XLSX job's download link, a second
export refused with a link to the running one)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import User
from inventory.models import ColumnChoice, SavedSearch
from inventory.numbers import parse
from inventory.services import create_dids
from jobs.models import Job

pytestmark = pytest.mark.browser


def _create(world, spec: str, **fields) -> None:
    create_dids(parse(spec), operator=world.operator, actor=world.actor, **fields)


def _rows(page):
    return page.locator("#did-table tbody tr[data-id]")


def test_save_a_search_share_it_open_it_as_a_colleague_rename_and_delete(
    page, world, other_world, login
):
    _create(world, "100-104", tag="gold")
    _create(world, "200-202", tag="silver")
    User.objects.create_user("colleague", password="pw-c", reseller=world.reseller)
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    page.locator("#search-toggle").click()
    page.locator("#id_tag").fill("gold")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(_rows(page)).to_have_count(5)

    page.locator("#saved-menu summary").click()
    page.locator("#id_saved_name").fill("Gold numbers")
    page.locator("#id_saved_shared").check()
    page.locator("#save-search").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved the search “Gold numbers” and shared it with your reseller's users."
    )
    search = SavedSearch.objects.get()
    assert search.shared and "tag=gold" in search.query

    # A colleague of the same reseller finds it next to Advanced Search and opens it.
    page.get_by_role("button", name="Log out").click()
    login(page, "colleague", "pw-c")
    page.goto("/dids/")
    expect(_rows(page)).to_have_count(8)
    page.locator("#saved-menu summary").click()
    expect(page.locator("#saved-list")).to_contain_text("shared by user-A")
    page.locator("#saved-list").get_by_role("link", name="Gold numbers").click()
    expect(_rows(page)).to_have_count(5)
    expect(page.locator("#id_tag")).to_have_value("gold")
    # Not theirs: no rename or delete on the saved searches' page.
    page.goto("/dids/searches/")
    expect(page.locator(f'tr[data-saved="{search.pk}"]')).to_be_visible()
    expect(page.locator(".rename-form")).to_have_count(0)

    # Another reseller's user never sees it.
    page.get_by_role("button", name="Log out").click()
    login(page, "user-B", "pw-B")
    page.goto("/dids/")
    page.locator("#saved-menu summary").click()
    expect(page.locator("#saved-none")).to_be_visible()

    # The owner renames it, then deletes it (after a confirmation).
    page.get_by_role("button", name="Log out").click()
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    page.locator("#saved-menu summary").click()
    page.locator("#manage-saved").click()
    row = page.locator(f'tr[data-saved="{search.pk}"]')
    row.locator("input[name=name]").fill("Gold DIDs")
    row.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("status")).to_have_text(
        "Renamed the saved search “Gold numbers” to “Gold DIDs”."
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'tr[data-saved="{search.pk}"]').get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Deleted the saved search “Gold DIDs”.")
    assert not SavedSearch.objects.exists()


def test_columns_are_chosen_and_kept_for_the_user_in_another_browser(
    page, browser, live_server, world, login
):
    _create(world, "300-302", tag="blue")
    login(page, "user-A", "pw-A")
    page.goto("/dids/")
    expect(page.locator("th.col-tag")).to_be_visible()
    expect(page.locator("th.col-reseller")).to_have_count(0)  # a reseller's user: hidden

    page.locator("#columns-menu summary").click()
    page.locator("#columns-form input[value=tag]").uncheck()
    page.locator("#columns-form input[value=package]").check()
    with page.expect_navigation():
        page.locator("#columns-save").click()
    expect(page.locator("th.col-package")).to_be_visible()
    expect(page.locator("th.col-tag")).to_have_count(0)
    expect(_rows(page).first.locator("td.col-tag")).to_have_count(0)
    assert "package" in ColumnChoice.objects.get(user=world.user).columns

    # Another browser (no shared storage): the same columns, from the database.
    other = browser.new_context(base_url=live_server.url)
    try:
        second = other.new_page()
        login(second, "user-A", "pw-A")
        second.goto("/dids/")
        expect(second.locator("th.col-package")).to_be_visible()
        expect(second.locator("th.col-tag")).to_have_count(0)
        # Default puts the table's own columns back.
        second.locator("#columns-menu summary").click()
        with second.expect_navigation():
            second.locator("#columns-reset").click()
        expect(second.locator("th.col-tag")).to_be_visible()
        expect(second.locator("th.col-package")).to_have_count(0)
    finally:
        other.close()


def test_export_csv_and_xlsx_buttons_and_one_export_at_a_time(page, world, login, eager):
    _create(world, "0400-0402", tag="green")
    login(page, "user-A", "pw-A")
    page.goto("/dids/?tag=green")

    # CSV: a small one streams at once.
    page.locator("#export-dids").click()
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[3] for r in rows[1:]] == ["0400", "0401", "0402"]

    # XLSX: a background job whose page ends with a download link.
    page.goto("/dids/?tag=green")
    page.locator("#export-dids").click()
    page.locator("#export-xlsx").click()
    expect(page.locator("#job-download")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#job-download").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["0400", "0401", "0402"]

    # While one of the user's exports waits, another is refused, naming it with a link.
    waiting = Job.objects.create(
        kind=Job.Kind.EXPORT_XLSX, user=world.user, reseller=world.reseller, status="queued"
    )
    page.goto("/dids/?tag=green")
    page.locator("#export-dids").click()
    page.locator("#export-csv").click()
    message = page.locator(".msg-error")
    expect(message).to_contain_text(f"Export DIDs (XLSX) #{waiting.pk} is still waiting")
    page.locator("#running-export").click()
    expect(page.get_by_role("heading", name=f"Export DIDs (XLSX) #{waiting.pk}")).to_be_visible()
    assert Job.objects.filter(kind=Job.Kind.EXPORT_CSV).count() == 0

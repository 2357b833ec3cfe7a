"""Import DIDs in a browser (issue 9): a file whose operator names match nothing, mapped in
step 2 (one created, one picked), the grouped refusals, the download of the refused rows
with their Reason column, and applying the valid rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.models import DID
from operators.models import Operator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("import_dir")]

FILE = (
    "DID,Status,Operator,Tag\n"
    "300,instock,New Telco,a\n"
    "301,instock,new telco,b\n"
    "302,reserved,Old Carrier,c\n"
    "30x,instock,Old Carrier,d\n"
)


def test_names_are_mapped_in_step_2_and_the_refused_rows_download(page, world, login):
    login(page, "user-A", "pw-A")
    page.goto("/dids/import/")
    page.get_by_label("Select the file to import").set_input_files(
        {"name": "carrier.csv", "mimeType": "text/csv", "buffer": FILE.encode()}
    )
    with page.expect_navigation():
        page.locator("#process").click()

    # Step 2, the columns: guessed from the header.
    expect(page.locator("#preview")).to_contain_text("New Telco")
    with page.expect_navigation():
        page.locator("#process").click()

    # The dry run: both names match nothing, one reason per line with its rows.
    groups = page.locator("#import-groups")
    expect(groups).to_contain_text("2 rows: Operator: no operator “New Telco” of your reseller")
    expect(groups).to_contain_text("DID: “30x” is not a number (row 5)")
    names = page.locator("#import-names")
    expect(names).to_contain_text("“New Telco”")
    expect(names).to_contain_text("“Old Carrier”")

    # Step 2, the names: create one, pick an existing one for the other.
    page.locator("#import-names select").nth(0).select_option(label="create operator “New Telco”")
    page.locator("#import-names select").nth(1).select_option(label=world.operator.name)
    with page.expect_navigation():
        page.locator("#names-check").click()

    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("3 to create")
    expect(counts).to_contain_text("1 refused")
    expect(page.locator("#import-groups")).to_have_text("1 row: DID: “30x” is not a number (row 5)")
    assert not Operator.objects.filter(name="New Telco").exists()  # a dry run

    with page.expect_download() as info:
        page.locator("#refused-download").click()
    download = info.value
    assert download.suggested_filename == "carrier-refused.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["DID", "Status", "Operator", "Tag", "Reason"],
        ["30x", "instock", "Old Carrier", "d", "DID: “30x” is not a number"],
    ]

    with page.expect_navigation():
        page.locator("#apply-valid").click()
    expect(page.locator("#import-job")).to_have_attribute("data-status", "done")
    created = dict(DID.objects.values_list("number", "operator__name"))
    assert created == {"300": "New Telco", "301": "New Telco", "302": world.operator.name}

"""Issue 12, point 10: narrow screens, in headless Chromium at the widths people use.

At 1,024 px the menu is one line (no link wraps, none drops to a second row) and no page
scrolls sideways; the import's column mapping scrolls inside its own box and shows that it
does. At 390 px (a phone) the whole menu is visible and nothing scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from inventory.choices import Status

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "admin-pw-1"

# What the menu and the page look like: the menu's height against one line of its text, the
# links whose text wraps, the rows its links sit on, whether each link is inside the screen,
# and how wide the page scrolls.
LAYOUT = """() => {
  const nav = document.querySelector("header nav");
  const links = [...nav.querySelectorAll("a")];
  const boxes = links.map(a => a.getBoundingClientRect());
  return {
    navHeight: nav.getBoundingClientRect().height,
    // A link's text wrapped inside it spans more than one line box.
    wrapped: links.filter(a => {
      const r = document.createRange(); r.selectNodeContents(a);
      return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size > 1;
    }).map(a => a.textContent),
    lineHeight: (() => {
      const r = document.createRange(); r.selectNodeContents(links[0]);
      return r.getBoundingClientRect().height;  // "Home": one line of text
    })(),
    rows: new Set(boxes.map(b => Math.round(b.top))).size,
    links: links.length,
    allVisible: boxes.every(b => b.width > 0 && b.left >= 0 && b.right <= innerWidth),
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: innerWidth,
  };
}"""


def pages_of(world):
    return [
        "/",
        "/dids/",
        f"/dids/{world.did(Status.ACTIVE).pk}/",
        "/dids/new/",
        "/dids/import/",
        "/operators/",
        "/clients/",
        f"/clients/{world.client.pk}/",
        f"/clients/{world.client.pk}/dids/",
        "/packages/",
        f"/packages/{world.package.pk}/edit/",
        "/subscriptions/",
        "/audit/",
        "/jobs/",
    ]


@pytest.fixture
def boss(db):
    return User.objects.create_user("boss", password=ADMIN_PASSWORD, role=User.Role.ADMIN)


def _visit_all(page, paths):
    for path in paths:
        page.goto(path)
        yield path, page.evaluate(LAYOUT)


@pytest.mark.parametrize("who", ["reseller", "admin"])
def test_at_1024_px_the_menu_is_one_line_and_no_page_scrolls_sideways(
    page, world, boss, login, who
):
    for _ in range(3):
        world.did(tag="a-rather-long-tag-value", notes="Some notes " * 8)
    page.set_viewport_size({"width": 1024, "height": 768})
    if who == "admin":
        login(page, "boss", ADMIN_PASSWORD)
        paths = [*pages_of(world), "/resellers/", f"/resellers/{world.reseller.pk}/"]
    else:
        login(page, "user-A", "pw-A")
        paths = pages_of(world)
    for path, box in _visit_all(page, paths):
        assert box["rows"] == 1, (path, box)
        # One line: no link's text wraps, and the menu is one line of text high.
        assert box["wrapped"] == [], (path, box)
        assert box["navHeight"] <= box["lineHeight"] * 1.5, (path, box)
        assert box["allVisible"], (path, box)
        assert box["scrollWidth"] <= box["innerWidth"], (path, box)
    assert box["links"] == (9 if who == "admin" else 8)


def test_at_390_px_the_menu_is_visible_and_nothing_scrolls_sideways(page, world, boss, login):
    world.did(tag="a-rather-long-tag-value", notes="Some notes " * 8)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "boss", ADMIN_PASSWORD)
    paths = [*pages_of(world), "/resellers/", f"/resellers/{world.reseller.pk}/"]
    for path, box in _visit_all(page, paths):
        assert box["allVisible"], (path, box)  # every menu link on the screen
        assert box["scrollWidth"] <= box["innerWidth"], (path, box)
    # The menu still works: a link of its last row leads to its page.
    page.locator("header nav").get_by_role("link", name="Resellers").click()
    expect(page.get_by_role("heading", name="Resellers")).to_be_visible()
    # The DID list's table scrolls inside its own box, and says so.
    page.goto("/dids/")
    wrap = page.locator(".table-wrap")
    expect(wrap).to_have_class(re.compile(r"\bscrolls\b"))
    assert page.evaluate(LAYOUT)["scrollWidth"] <= 390


def test_the_import_mapping_table_scrolls_and_shows_that_it_does(
    page, world, login, tmp_path, settings
):
    settings.IMPORT_DIR = tmp_path / "imports"
    header = ",".join(f"Column number {i}" for i in range(18))
    rows = [",".join(f"value {r}-{i} with some text" for i in range(18)) for r in range(3)]
    csv = tmp_path / "wide.csv"
    csv.write_text("\n".join([header, *rows]) + "\n")
    page.set_viewport_size({"width": 1024, "height": 768})
    login(page, "user-A", "pw-A")
    page.goto("/dids/import/")
    page.get_by_label("Select the file to import").set_input_files(str(csv))
    page.locator("#import-upload").get_by_role("button").last.click()
    expect(page.locator("table#preview")).to_be_visible()

    wrap = page.locator(".table-wrap").filter(has=page.locator("table#preview"))
    sizes = wrap.evaluate("w => ({scroll: w.scrollWidth, client: w.clientWidth})")
    assert sizes["scroll"] > sizes["client"], sizes  # wider than its box: it scrolls ...
    assert page.evaluate(LAYOUT)["scrollWidth"] <= 1024  # ... and the page does not
    # It shows that it scrolls: a hint at its left edge and a marked right edge ...
    expect(wrap).to_have_class(re.compile(r"\bscrolls\b"))
    hint = wrap.evaluate("w => getComputedStyle(w, '::before').content")
    assert "Scroll sideways" in hint, hint
    assert wrap.evaluate("w => getComputedStyle(w).borderRightWidth") == "3px"
    # ... which goes once it is scrolled to the end.
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    expect(wrap).to_have_class(re.compile(r"\bat-end\b"))

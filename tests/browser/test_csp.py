"""Every page works under the Content-Security-Policy (issue 7, item 10): no console error or
warning, no page error and no ``securitypolicyviolation`` on any page, and the JavaScript that
moved out of the templates (selection, panels, per-page, columns, confirmations, progress
polling) still does its job."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from inventory.choices import Status
from jobs.models import Job

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Quiet-Harbor-42"

# Runs before any page script (through the browser's debugging protocol, not the page, so the
# policy does not apply to it): keeps every violation for the test to read.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " +
                    e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    """Console messages, page errors and CSP violations of one browser page."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        self.violations: list[str] = []
        page.add_init_script(WATCH)
        page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type}: {m.text} @ {page.url}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"{e} @ {page.url}"))

    def collect(self) -> None:
        """Read this document's violations (call before leaving it)."""
        found = self.page.evaluate("window.__csp || []")
        self.violations += [f"{v} @ {self.page.url}" for v in found]

    def visit(self, path: str, heading: str | None = None) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        if heading:
            expect(self.page.locator("h1").first).to_contain_text(heading)
        self.page.wait_for_load_state("load")
        self.collect()

    def assert_clean(self) -> None:
        self.collect()
        assert self.violations == []
        assert self.console == []
        assert self.errors == []


@pytest.fixture
def watch(page):
    return Watch(page)


@pytest.fixture
def admin_user(db):
    return User.objects.create_user(
        "platform", password=ADMIN_PASSWORD, role=User.Role.ADMIN, is_staff=True
    )


def _job(world, **fields) -> Job:
    job = Job.objects.create(
        kind=Job.Kind.CREATE_DIDS,
        user=world.user,
        reseller=world.reseller,
        total=200,
        status=Job.Status.RUNNING,
        stage="Creating DIDs",
        back_url="/dids/",
    )
    _beat(job, **fields)
    return job


def _beat(job, **fields) -> None:
    """Progress as the worker writes it (with its heartbeat, where the model has one)."""
    names = {f.name for f in Job._meta.get_fields()}
    if "heartbeat_at" in names:
        fields["heartbeat_at"] = timezone.now()
    Job.objects.filter(pk=job.pk).update(**fields)


def test_the_watch_sees_a_violation(page, world, login, watch):
    """The detector itself: an inline script added to a page is blocked, and reported."""
    login(page, "user-A", "pw-A")
    watch.visit("/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.appendChild(s); }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran === undefined")  # blocked
    watch.collect()
    assert any(v.startswith("script-src") for v in watch.violations), watch.violations


def test_every_page_of_a_reseller_works_under_the_csp(page, world, login, watch):
    world.did(Status.ACTIVE)
    held = world.did(Status.ON_HOLD)
    did = world.did(tag="x")
    job = _job(world, done=20)

    watch.visit("/login/", "Log in")
    login(page, "user-A", "pw-A")
    watch.collect()
    watch.visit("/", "Inventory at a glance")
    # The SVG charts render: a bar per status, drawn with a width for those with DIDs.
    expect(page.locator("#chart-status rect")).to_have_count(len(Status))
    widths = [r.bounding_box()["width"] for r in page.locator("#chart-status rect").all()]
    assert sum(w > 0 for w in widths) >= 3, widths
    assert page.locator("#chart-operator rect").first.bounding_box()["width"] > 0
    watch.visit("/dids/")
    watch.visit("/dids/new/", "New DIDs")
    watch.visit(f"/dids/{did.pk}/", f"DID {did.number}")
    watch.visit(f"/dids/{did.pk}/history/")
    watch.visit("/dids/import/")
    watch.visit("/operators/")
    watch.visit("/clients/")
    watch.visit(f"/clients/{world.client.pk}/")
    watch.visit(f"/clients/{world.client.pk}/dids/")
    expect(page.get_by_role("button", name="Release now")).to_have_count(1)
    watch.visit("/packages/")
    watch.visit(f"/packages/{world.package.pk}/edit/")
    watch.visit("/subscriptions/")
    watch.visit("/audit/")
    watch.visit("/jobs/", "Jobs")
    watch.visit(f"/jobs/{job.pk}/")
    assert held.pk
    watch.assert_clean()


def test_admin_pages_work_under_the_csp(page, world, admin_user, login, watch):
    login(page, "platform", ADMIN_PASSWORD)
    watch.visit("/resellers/")
    watch.visit(f"/resellers/{world.reseller.pk}/")
    watch.visit(f"/resellers/{world.reseller.pk}/users/new/")
    watch.visit("/dids/")
    watch.assert_clean()


def test_did_inventory_scripts_work_under_the_csp(page, world, login, watch):
    dids = [world.did() for _ in range(3)]
    login(page, "user-A", "pw-A")
    watch.visit("/dids/")

    # Advanced Search toggles its panel.
    search = page.locator("#advanced-search")
    expect(search).to_be_hidden()
    page.locator("#search-toggle").click()
    expect(search).to_be_visible()
    expect(page.locator("#search-toggle")).to_have_attribute("aria-expanded", "true")

    # The page checkbox ticks every row and offers "select all matching".
    page.locator("#check-page").check()
    for box in page.locator("#did-table tbody input[name=ids]").all():
        expect(box).to_be_checked()
    expect(page.locator("#select-all-banner")).to_be_visible()

    # Mass Edit's confirmation page, from the ticked rows.
    page.locator("#mass-edit-toggle").click()
    expect(page.locator("#mass-scope")).to_have_text("Applies to the 3 selected DIDs.")
    page.locator("#id_mass_tag").fill("bulk")
    watch.collect()
    page.locator("#mass-update").click()
    expect(page.locator("#mass-confirm")).to_contain_text("3 DIDs are selected.")
    watch.collect()

    # Rows per page: choosing navigates (was an inline onchange).
    watch.visit("/dids/")
    with page.expect_navigation():
        page.locator("#per-page").select_option(label="50")
    assert re.search(r"per_page=50", page.url), page.url
    expect(page.locator("#per-page")).to_have_value(re.compile(r"per_page=50"))
    watch.collect()

    # Columns: ticking one and applying shows it (the choice is kept for the user).
    page.locator("details.columns summary").click()
    page.locator("#columns-form input[value=package]").check()
    with page.expect_navigation():
        page.locator("#columns-save").click()
    expect(page.locator("th.col-package")).to_be_visible()
    watch.collect()
    assert len(dids) == 3
    watch.assert_clean()


def test_confirmations_work_under_the_csp(page, world, login, watch):
    held = world.did(Status.ON_HOLD)
    login(page, "user-A", "pw-A")
    watch.visit(f"/clients/{world.client.pk}/dids/")
    release = page.get_by_role("button", name="Release now")

    # Dismissed: nothing happens.
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    release.click()
    page.wait_for_timeout(300)
    held.refresh_from_db()
    assert held.status == Status.ON_HOLD
    assert questions == [f"Release {held.number} now? It leaves {world.client.name}."]

    # Accepted: released.
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        release.click()
    held.refresh_from_db()
    assert held.status == Status.IN_STOCK
    watch.collect()

    # Cancelling a subscription asks first too.
    watch.visit(f"/clients/{world.client.pk}/")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Cancel").first.click()
    page.wait_for_timeout(300)
    world.subscription.refresh_from_db()
    assert world.subscription.status == "active"
    assert asked and asked[0].startswith(f"Cancel subscription #{world.subscription.pk}?")
    watch.assert_clean()


def test_job_page_polls_its_progress_under_the_csp(page, world, login, watch):
    job = _job(world, done=20)
    login(page, "user-A", "pw-A")
    watch.visit(f"/jobs/{job.pk}/")
    expect(page.locator("#job-percent")).to_have_text("10")

    _beat(job, done=100, stage="Halfway")
    expect(page.locator("#job-percent")).to_have_text("50")
    expect(page.locator("#job-stage")).to_have_text("Halfway")

    _beat(job, done=200, status=Job.Status.DONE, ok=True, message="Created 200 DIDs.")
    expect(page.locator("#job-message")).to_have_text("Created 200 DIDs.")
    expect(page.locator("#job-message")).to_be_visible()
    watch.assert_clean()

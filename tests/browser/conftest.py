"""End-to-end browser tests: real headless Chromium (Debian's) driven by Playwright against
pytest-django's ``live_server``.

Playwright's sync API runs an event loop in the test thread, which would make Django refuse
ORM calls from that thread; the tests use the ORM only to set up data and check results,
never concurrently with a request of their own, so the check is switched off here.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path("/tmp/browser-test-screenshots")
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the ``page`` fixture can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created and logged in in every test; the production hasher's work factor
    only slows the suite down here. Login still goes through the real form and backend."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) per test, with ``base_url`` = the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        # A screenshot is a nicety: it must never turn into a second failure.
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


def login(page, username: str, password: str) -> None:
    """Log in through the real login form and wait for the page it lands on."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the form posts, then lands (or shows its error)
        page.get_by_role("button", name="Log in").click()


@pytest.fixture(name="login")
def login_fixture():
    """The ``login(page, username, password)`` helper, as a fixture."""
    return login

"""The API's pages in real Chromium (issue 11): a user creates a token (its key shown once),
uses it from a script, revokes it; Swagger UI and Redoc load from the app itself, under the
site's CSP, and list the API's operations."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from api.models import ApiToken

from .test_csp import Watch

pytestmark = pytest.mark.browser


def _call(base: str, key: str, path: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/{path}", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_token_is_created_shown_once_used_and_revoked(page, world, login, live_server):
    login(page, "user-A", "pw-A")
    page.get_by_role("link", name="API tokens").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    page.get_by_label("Name").fill("billing sync")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-created")).to_contain_text("Copy its key now")
    key = page.locator("#token-key").inner_text()
    assert len(key) > 30
    row = page.locator("#tokens tr[data-token]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("billing sync")
    expect(row).to_contain_text(key[:8])
    assert _call(live_server.url, key, "dids/") == 200

    page.reload()
    expect(page.locator("#token-created")).to_have_count(0)  # shown once
    expect(page.locator("#tokens tr[data-token]")).to_have_count(1)  # and made once
    assert key not in page.content()

    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.locator("#tokens tr[data-token]")).to_contain_text("Revoked")
    assert ApiToken.objects.get().revoked
    assert _call(live_server.url, key, "dids/") == 401


def test_a_token_without_a_name_is_refused_on_the_form(page, world, login):
    login(page, "user-A", "pw-A")
    page.goto("/tokens/")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".field-error")).to_contain_text("Name: enter the token's name.")
    assert not ApiToken.objects.exists()


def test_swagger_ui_and_redoc_are_served_by_the_app_under_its_csp(page, world, login, live_server):
    watch = Watch(page)
    login(page, "user-A", "pw-A")
    outside = []  # what the browser loaded from anywhere but the app
    page.on(
        "response",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto("/tokens/")
    page.get_by_role("link", name="REST API").click()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/dids/bulk/{move}/")
    watch.collect()
    page.goto("/api/v1/redoc/")
    expect(page.get_by_text("DID Inventory API").first).to_be_visible(timeout=20_000)
    watch.collect()
    assert [u for u in outside if not u.startswith(("data:", "blob:"))] == []
    # Redoc's bundle shows a "by Redocly" logo from its CDN: the site's CSP blocks it (and
    # nothing else), so it is never fetched.
    blocked = [v for v in watch.violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v]
    assert blocked == [] and watch.errors == []

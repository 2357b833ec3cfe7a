"""Browser flows: logging in and out; creating an operator."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.models import User
from audit.models import AuditRecord
from operators.models import Operator

pytestmark = pytest.mark.browser


def test_login_wrong_password_then_right_password_then_logout(page, live_server, world, login):
    # An anonymous visit to the home page is sent to the login form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    login(page, "user-A", "wrong password")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".msg-error")).to_have_text(
        "Your username and password didn't match. Please try again."
    )
    expect(page.locator("header nav")).to_have_count(0)
    assert User.objects.get(username="user-A").last_login is None
    assert Session.objects.count() == 0

    login(page, "user-A", "pw-A")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Inventory at a glance")).to_be_visible()
    expect(page.locator("svg#chart-status")).to_be_visible()
    expect(page.locator("header .who")).to_have_text("user-A · A")
    assert User.objects.get(username="user-A").last_login is not None
    assert Session.objects.count() == 1

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert Session.objects.count() == 0
    # Logged out for real: the home page asks for the login again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_create_operator_and_refuse_a_duplicate_name(page, world, login):
    login(page, "user-A", "pw-A")
    page.locator("header nav").get_by_role("link", name="Operators").click()
    expect(page.get_by_role("heading", name="Operators")).to_be_visible()

    page.get_by_role("link", name="New Operator").click()
    expect(page.get_by_role("heading", name="New Operator")).to_be_visible()
    page.get_by_label("Name").fill("Telia Nordic")
    # A reseller user's operator belongs to their own reseller, chosen for them.
    expect(page.get_by_label("Reseller")).to_have_value(str(world.reseller.pk))
    page.get_by_role("button", name="OK").click()

    expect(page).to_have_url(re.compile(r"/operators/$"))
    expect(page.get_by_role("status")).to_have_text("Operator Telia Nordic created.")
    op = Operator.objects.get(name="Telia Nordic")
    assert op.reseller == world.reseller
    row = page.locator(f'#operators tr[data-operator="{op.pk}"]')
    expect(row.locator("td").nth(1)).to_have_text("Telia Nordic")
    expect(row.locator("td.ops-count")).to_have_text("0")
    expect(row.locator("td").nth(3)).to_have_text("A")
    assert AuditRecord.objects.filter(
        object_type="operator", object_id=op.pk, action="create"
    ).exists()

    # The same name again for the same reseller: an error under Name, nothing created.
    page.get_by_role("link", name="New Operator").click()
    page.get_by_label("Name").fill("Telia Nordic")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("heading", name="New Operator")).to_be_visible()
    expect(page.locator("#id_name-error")).to_have_text(
        "Name: A already has an operator named “Telia Nordic”."
    )
    expect(page.get_by_label("Name")).to_have_value("Telia Nordic")
    assert Operator.objects.filter(name="Telia Nordic").count() == 1
    assert Operator.objects.filter(reseller=world.reseller).count() == 2  # with "Op A"

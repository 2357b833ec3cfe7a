"""Issue 7, item 10: login lockout, password validators, Content-Security-Policy and HSTS."""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.services import AccountError, user_create
from audit.services import Actor
from tests.test_url_matrix import request_row, url_rows

LOGIN = "/login/"
GOOD = "Quiet-Harbor-42"
HOME = "10.0.0.1"
AWAY = "10.0.0.2"


def _login(client, username, password, address=HOME):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


# --------------------------------------------------------------------------- lockout


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=GOOD, role=User.Role.ADMIN)


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password=GOOD, role=User.Role.ADMIN)


def _fail_until_locked(client, username="alice", address=HOME):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        resp = _login(client, username, "wrong password", address)
        assert resp.status_code == 200  # the login page again, with its error
        assert "didn&#x27;t match" in resp.content.decode() or "match" in resp.content.decode()
    resp = _login(client, username, "wrong password", address)
    assert resp.status_code == 429
    return resp


def test_failed_logins_lock_out_that_user_from_that_address(client, alice):
    resp = _fail_until_locked(client)
    body = resp.content.decode()
    assert "Too many failed logins" in body and "Try again in 15 minutes" in body

    # The right password is refused while locked.
    resp = _login(client, "alice", GOOD)
    assert resp.status_code == 429 and "Too many failed logins" in resp.content.decode()
    assert _logged_in_as(client) is None


def test_lockout_leaves_other_users_and_other_addresses_alone(client, alice, bob):
    _fail_until_locked(client, "alice", HOME)

    # Another user from the same address.
    resp = _login(client, "bob", GOOD, HOME)
    assert resp.status_code == 302 and _logged_in_as(client) == str(bob.pk)
    client.logout()
    # The same user from another address.
    resp = _login(client, "alice", GOOD, AWAY)
    assert resp.status_code == 302 and _logged_in_as(client) == str(alice.pk)
    client.logout()
    # And still locked where it was.
    assert _login(client, "alice", GOOD, HOME).status_code == 429


def test_lockout_ends_after_the_cool_off(client, alice):
    _fail_until_locked(client)
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == dt.timedelta(minutes=15)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    resp = _login(client, "alice", GOOD)
    assert resp.status_code == 302 and _logged_in_as(client) == str(alice.pk)


def test_fewer_failures_than_the_limit_do_not_lock(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "alice", "wrong password").status_code == 200
    assert _login(client, "alice", GOOD).status_code == 302


def test_api_token_failures_do_not_feed_the_lockout(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        resp = client.get("/api/v1/route/123", HTTP_AUTHORIZATION="Bearer not-a-token")
        assert resp.status_code == 401
    assert not AccessAttempt.objects.exists()
    assert _login(client, "alice", GOOD).status_code == 302


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    "username, password, reason",
    [
        ("marketing.team", "marketing.team1", "too similar to the username"),
        ("nordic.voip", "Nordic.Voip", "too similar to the username"),
        ("ops-user", "8467102938475", "entirely numeric"),
    ],
)
def test_user_form_refuses_weak_passwords(as_admin, world, username, password, reason):
    data = {
        "username": username,
        "password1": password,
        "password2": password,
        "email": "",
    }
    resp = as_admin.post(reverse("accounts:user_add", args=[world.reseller.pk]), data)
    assert resp.status_code == 200
    errors = resp.context["form"].errors["password1"]
    assert any(e.startswith("Password: ") and reason in e for e in errors), errors
    assert not User.objects.filter(username=username).exists()


def test_user_service_refuses_a_password_like_the_username(admin, world):
    with pytest.raises(AccountError, match="too similar to the username"):
        user_create(
            username="resellerone",
            password="Resellerone",
            reseller=world.reseller,
            actor=Actor.for_user(admin),
        )
    assert not User.objects.filter(username="resellerone").exists()


def test_demo_passwords_pass_the_validators(db):
    """seed_demo validates its passwords like every user form; these are printed by app.sh."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for username, password in [
        ("admin", "demo-platform"),
        ("reseller1", "demo-tenant"),
        ("reseller2", "demo-tenant"),
    ]:
        assert User.objects.get(username=username).check_password(password)
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    app_sh = (Path(settings.BASE_DIR) / "app.sh").read_text()
    assert "admin / demo-platform" in readme and "reseller1 / demo-tenant" in readme
    assert "admin / demo-platform" in app_sh and "reseller1 / demo-tenant" in app_sh


# --------------------------------------------------------------------------- CSP and HSTS


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_csp_allows_only_own_scripts_and_styles(as_a):
    resp = as_a.get("/")
    assert resp.status_code == 200
    policy = _directives(resp["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]


def test_csp_is_sent_on_the_login_page_too(client):
    resp = client.get(LOGIN)
    assert "script-src 'self'" in resp["Content-Security-Policy"]


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline script bodies, on* handler attributes,
    style attributes, <style> elements and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._script: bool = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style>")
        self._script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._script and data.strip():
            self.problems.append(f"<script>{data.strip()[:40]}")


def _inline(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


def test_the_inline_finder_finds_what_csp_blocks():
    assert _inline('<select onchange="go()"></select>') == ["<select onchange=...>"]
    assert _inline("<script>alert(1)</script>") == ["<script>alert(1)"]
    assert _inline('<p style="color:red">') == ["<p style=...>"]
    assert _inline('<a href="javascript:void(0)">') == ["<a href=javascript:...>"]
    assert _inline('<script src="/static/js/app.js"></script><p data-confirm="x">') == []


# Every page of the URL matrix, and the POSTs that answer with a page (Mass Edit's confirm).
PAGE_ROWS = [r for r in url_rows() if r.method == "get" or 200 in r.owner]


@pytest.mark.parametrize("row", PAGE_ROWS, ids=lambda r: f"{r.method}-{r.name}")
def test_every_page_has_no_inline_script_or_style(client, world, admin, row):
    """Every page of the URL matrix, rendered with data, as its owner (admin pages as admin)."""
    world.did()
    world.did("active")
    world.did("on_hold")  # the client's DIDs page then offers "Release now" (a confirm)
    client.force_login(admin if row.admin_only else world.user)
    resp = request_row(client, row, world)
    assert resp.status_code in ((200,) if row.admin_only else row.owner), resp.status_code
    assert "script-src 'self'" in resp.get("Content-Security-Policy", "")
    if resp.status_code == 200 and "text/html" in resp.get("Content-Type", ""):
        assert _inline(resp.content.decode()) == [], row.name


def test_login_and_lockout_pages_have_no_inline_script_or_style(client, alice):
    assert _inline(client.get(LOGIN).content.decode()) == []
    locked = _fail_until_locked(client)
    assert "script-src 'self'" in locked["Content-Security-Policy"]
    assert _inline(locked.content.decode()) == []


def test_no_template_has_inline_script_or_style():
    roots = [Path(settings.BASE_DIR) / "templates"] + sorted(
        Path(settings.BASE_DIR).glob("*/templates")
    )
    files = [f for root in roots for f in root.rglob("*.html")]
    assert len(files) > 30
    bad = []
    for f in files:
        text = f.read_text()
        # Template tags would confuse the HTML parser's attribute reading: blank them out.
        html = re.sub(r"{%.*?%}|{{.*?}}", "x", text, flags=re.S)
        bad += [f"{f.name}: {p}" for p in _inline(html)]
    assert bad == []


def test_client_pages_confirm_through_data_attributes(as_a, world):
    did = world.did("on_hold")
    body = as_a.get(reverse("clients:client_dids", args=[world.client.pk])).content.decode()
    assert f'data-confirm="Release {did.number} now? It leaves {world.client.name}."' in body
    assert 'src="/static/js/base.js"' in body


def test_hsts_on_https_only(client):
    seconds = settings.SECURE_HSTS_SECONDS  # SECURE_HSTS_SECONDS env; a year unless DEBUG
    assert seconds == (0 if settings.DEBUG else 31_536_000)
    assert seconds > 0, "the tests run with DEBUG off, like production"
    secure = client.get(LOGIN, secure=True)
    assert secure["Strict-Transport-Security"] == f"max-age={seconds}"
    plain = client.get(LOGIN)
    assert "Strict-Transport-Security" not in plain


def test_hsts_seconds_come_from_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    resp = client.get(LOGIN, secure=True)
    assert resp["Strict-Transport-Security"] == "max-age=600; includeSubDomains"

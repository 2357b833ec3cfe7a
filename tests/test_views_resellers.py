"""Resellers page: platform admins only; resellers with counts, new resellers and users."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Reseller, User
from audit.models import AuditRecord
from operators.models import Operator

LIST = "/resellers/"
NEW = "/resellers/new/"
NEW_ADMIN = "/resellers/admins/new/"
STRONG = "correct-horse-battery-9"


@pytest.fixture
def admin(db):
    return User.objects.create_user("admin", password="x", role=User.Role.ADMIN)


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


def user_url(reseller):
    return f"/resellers/{reseller.pk}/users/new/"


def test_urls_are_named():
    assert reverse("accounts:reseller_list") == LIST
    assert reverse("accounts:reseller_add") == NEW
    assert reverse("accounts:admin_add") == NEW_ADMIN
    assert reverse("accounts:reseller_detail", args=[3]) == "/resellers/3/"
    assert reverse("accounts:user_add", args=[3]) == "/resellers/3/users/new/"


def _all_urls(reseller):
    return [LIST, NEW, NEW_ADMIN, f"/resellers/{reseller.pk}/", user_url(reseller)]


def test_reseller_user_gets_403_everywhere(client, world):
    client.force_login(world.user)
    for url in _all_urls(world.reseller):
        assert client.get(url).status_code == 403, url
    assert client.post(NEW, {"name": "Evil"}).status_code == 403
    data = {"username": "evil", "password1": STRONG, "password2": STRONG}
    assert client.post(NEW_ADMIN, data).status_code == 403
    assert client.post(user_url(world.reseller), data).status_code == 403
    assert not Reseller.objects.filter(name="Evil").exists()
    assert not User.objects.filter(username="evil").exists()


def test_list_shows_resellers_with_counts(as_admin, world, other_world):
    for _ in range(3):
        world.did()
    Operator.objects.create(name="Op A2", reseller=world.reseller)
    User.objects.create_user("a2", password="x", reseller=world.reseller)
    resp = as_admin.get(LIST)
    assert resp.status_code == 200
    rows = {
        r.name: (r.operator_count, r.user_count, r.did_count) for r in resp.context["resellers"]
    }
    assert rows == {"A": (2, 2, 3), "B": (1, 1, 0)}
    body = resp.content.decode()
    for label in (
        "New Reseller",
        "Operators count",
        "Users count",
        "DIDs count",
        "New Platform Admin",
    ):
        assert label in body
    assert "admin" in [u.username for u in resp.context["admins"]]


def test_list_counts_do_not_grow_per_row(as_admin, world):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert as_admin.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(15):
        Reseller.objects.create(name=f"R{i:02d}")
    assert queries() == few


def test_admin_creates_reseller(as_admin, admin):
    resp = as_admin.post(NEW, {"name": " Reseller 3 "})
    reseller = Reseller.objects.get(name="Reseller 3")
    assert resp.status_code == 302 and resp.url == f"/resellers/{reseller.pk}/"
    rec = AuditRecord.objects.get(object_type="reseller", object_id=reseller.pk)
    assert (rec.action, rec.user_id, rec.after) == ("create", admin.pk, {"name": "Reseller 3"})


def test_duplicate_reseller_name_is_a_form_error(as_admin, world):
    resp = as_admin.post(NEW, {"name": "a"})
    assert resp.status_code == 200
    assert any("already exists" in e for e in resp.context["form"].errors["name"])
    assert Reseller.objects.count() == 1
    assert not AuditRecord.objects.filter(object_type="reseller").exists()


def test_admin_creates_reseller_user_who_can_log_in(as_admin, admin, world, other_world, client):
    data = {"username": "alice", "password1": STRONG, "password2": STRONG, "email": "a@x.io"}
    resp = as_admin.post(user_url(world.reseller), data)
    assert resp.status_code == 302 and resp.url == f"/resellers/{world.reseller.pk}/"
    alice = User.objects.get(username="alice")
    assert (alice.role, alice.reseller, alice.email) == ("reseller", world.reseller, "a@x.io")
    rec = AuditRecord.objects.get(object_type="user", object_id=alice.pk)
    assert (rec.action, rec.user_id, rec.reseller_id) == ("create", admin.pk, world.reseller.pk)
    stored = json.dumps([rec.before, rec.after, rec.message, rec.object_repr])
    assert STRONG not in stored and "password" not in stored
    assert alice.password.split("$")[-1] not in stored
    # The detail page lists the new user.
    assert "alice" in [
        u.username for u in as_admin.get(f"/resellers/{world.reseller.pk}/").context["users"]
    ]
    # The new user logs in and sees only their reseller's operators.
    client.logout()
    login = client.post(reverse("login"), {"username": "alice", "password": STRONG})
    assert login.status_code == 302
    ops = client.get("/operators/").context["operators"]
    assert [op.name for op in ops] == ["Op A"]
    assert client.get(LIST).status_code == 403


def test_admin_creates_platform_admin(as_admin, client, world):
    data = {"username": "root2", "password1": STRONG, "password2": STRONG}
    assert as_admin.post(NEW_ADMIN, data).status_code == 302
    root2 = User.objects.get(username="root2")
    assert (root2.role, root2.reseller) == ("admin", None)
    rec = AuditRecord.objects.get(object_type="user", object_id=root2.pk)
    assert rec.after["role"] == "admin" and rec.reseller_id is None
    client.logout()
    assert client.login(username="root2", password=STRONG)
    assert client.get(LIST).status_code == 200


def test_password_mismatch_is_a_form_error(as_admin, world):
    data = {"username": "bob", "password1": STRONG, "password2": STRONG + "x"}
    resp = as_admin.post(user_url(world.reseller), data)
    assert resp.status_code == 200
    assert any("do not match" in e for e in resp.context["form"].errors["password2"])
    assert not User.objects.filter(username="bob").exists()
    assert not AuditRecord.objects.filter(object_type="user").exists()


@pytest.mark.parametrize("weak", ["short1", "password123"])
def test_weak_password_is_a_form_error(as_admin, world, weak):
    data = {"username": "bob", "password1": weak, "password2": weak}
    resp = as_admin.post(user_url(world.reseller), data)
    assert resp.status_code == 200
    errors = resp.context["form"].errors["password1"]
    assert errors and all(e.startswith("Password:") for e in errors)
    assert "Password:" in resp.content.decode()
    assert not User.objects.filter(username="bob").exists()


def test_duplicate_username_is_a_form_error(as_admin, world):
    data = {"username": "USER-A", "password1": STRONG, "password2": STRONG}
    resp = as_admin.post(user_url(world.reseller), data)
    assert resp.status_code == 200
    assert any("already exists" in e for e in resp.context["form"].errors["username"])
    assert User.objects.filter(username__iexact="user-a").count() == 1


def test_unknown_reseller_is_404(as_admin, db):
    assert as_admin.get("/resellers/999999/").status_code == 404
    assert as_admin.get(user_url(Reseller(pk=999999))).status_code == 404

"""The project as a user meets it: settings, login page, home page, demo data, Celery setup."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Reseller, User
from audit.models import AuditRecord
from inventory.choices import Status
from inventory.models import DID
from subscriptions.models import Subscription


def _settings_error(env):
    """Import the settings in a fresh interpreter with ``env``; return stderr ('' if fine)."""
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    full.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DEBUG)"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout.strip(), proc.stderr


def test_production_refuses_to_start_without_a_secret_key():
    code, _out, err = _settings_error({"DATABASE_URL": "postgres://x@localhost/x"})
    assert code != 0 and "SECRET_KEY must be set" in err


def test_debug_is_off_unless_asked():
    code, out, _err = _settings_error({"DATABASE_URL": "postgres://x@h/x", "SECRET_KEY": "k"})
    assert (code, out) == (0, "False")


def test_only_postgresql_is_accepted():
    code, _out, err = _settings_error({"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "k"})
    assert code != 0 and "PostgreSQL" in err


def test_embedded_broker_without_redis(settings):
    if os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL"):
        assert settings.CELERY_BROKER_URL.startswith("redis")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
    assert {"expire-holds", "expire-subscriptions"} <= set(settings.CELERY_BEAT_SCHEDULE)


def test_login_page_and_home_behind_login(client, db):
    assert client.get(reverse("home")).status_code == 302
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b"Log in" in page.content
    User.objects.create_user("u", password="pw", reseller=Reseller.objects.create(name="R"))
    resp = client.post(reverse("login"), {"username": "u", "password": "pw"}, follow=True)
    assert resp.status_code == 200 and b"Inventory at a glance" in resp.content


def test_demo_data_has_every_status_for_two_resellers(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Reseller.objects.count() == 2
    for reseller in Reseller.objects.all():
        statuses = set(DID.objects.filter(reseller=reseller).values_list("status", flat=True))
        assert statuses == set(Status.values), reseller
    assert DID.objects.count() > 3000
    assert Subscription.objects.filter(status="active").exists()
    assert Subscription.objects.filter(status="cancelled").exists()
    assert User.objects.get(username="admin").check_password("demo-platform")
    assert AuditRecord.objects.filter(action="assign").exists()
    # Second start: nothing new.
    before = DID.objects.count()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert DID.objects.count() == before


@pytest.mark.django_db
def test_home_counts_only_the_users_resellers_dids(client):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    client.login(username="reseller2", password="demo-tenant")
    resp = client.get(reverse("home"))
    r2 = Reseller.objects.get(name="Reseller 2")
    assert resp.context["total"] == DID.objects.filter(reseller=r2).count()


def test_django_admin_cannot_change_dids(client, world):
    """DIDs change only through the lifecycle and services (audit log); the admin is view-only."""
    User.objects.create_superuser("su", password="pw", role=User.Role.ADMIN)
    client.login(username="su", password="pw")
    did = world.did()
    assert client.get("/django-admin/inventory/did/").status_code == 200
    assert client.get("/django-admin/inventory/did/add/").status_code == 403
    resp = client.post(f"/django-admin/inventory/did/{did.pk}/change/", {"status": "archive"})
    assert resp.status_code in (403, 200)
    did.refresh_from_db()
    assert did.status == Status.IN_STOCK
    assert (
        client.post(f"/django-admin/inventory/did/{did.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert DID.objects.filter(pk=did.pk).exists()

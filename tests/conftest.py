import datetime as dt
import itertools

import pytest
from django.http import HttpRequest
from django.test import Client as TestClient
from django.utils import timezone

from accounts.models import Reseller, User
from audit.services import Actor
from clients.models import Account, Client
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

_seq = itertools.count(1)


class World:
    """A small consistent world for a test: one reseller with everything a DID needs."""

    def __init__(self, name: str):
        self.reseller = Reseller.objects.create(name=name)
        self.user = User.objects.create_user(
            username=f"user-{name}", password="pw-" + name, reseller=self.reseller
        )
        self.actor = Actor.for_user(self.user)
        self.operator = Operator.objects.create(name=f"Op {name}", reseller=self.reseller)
        self.client = Client.objects.create(name=f"Client {name}", reseller=self.reseller)
        self.account = Account.objects.create(client=self.client, name=f"acc_{name}")
        self.package = Package.objects.create(
            reseller=self.reseller, name=f"Pack {name}", did_allowance=100, hold_days=30
        )
        self.subscription = Subscription.objects.create(
            client=self.client, package=self.package, start_date=dt.date(2026, 1, 1)
        )

    def step(self) -> Actor:
        """The world's user, acting anew (a change set of its own)."""
        return Actor.for_user(self.user)

    def did(self, status: str = Status.IN_STOCK, **fields) -> DID:
        """A new DID brought to ``status`` through the lifecycle services, each step a user
        action of its own (its own change set), as on the pages; ``self.actor`` is left to
        the action under test."""
        number = fields.pop("number", None) or f"7{next(_seq):09d}"
        create_dids(parse(number), operator=self.operator, actor=self.step(), **fields)
        did = DID.objects.get(number=number)
        status = Status(status)
        if status in (Status.RESERVED, Status.ARCHIVE):
            lifecycle.set_status(did, status, actor=self.step())
        elif status != Status.IN_STOCK:
            lifecycle.assign(
                did, account=self.account, subscription=self.subscription, actor=self.step()
            )
            if status == Status.BLOCKED:
                lifecycle.block(did, actor=self.step())
            elif status == Status.ON_HOLD:
                lifecycle.hold(did, actor=self.step())
        did.refresh_from_db()
        assert did.status == status
        return did


@pytest.fixture(autouse=True)
def _login_passes_a_request(monkeypatch):
    """django-axes' backend (failed-login lockout) needs the request, which the test client's
    ``login()`` does not pass to ``authenticate()``: give it one from the test client's
    address, so that ``client.login()`` goes through axes like a real login."""
    login = TestClient.login

    def login_with_request(self, **credentials):
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        return login(self, **credentials)

    monkeypatch.setattr(TestClient, "login", login_with_request)


@pytest.fixture
def world(db):
    return World("A")


@pytest.fixture
def other_world(db):
    return World("B")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def admin(db):
    """A platform admin."""
    return User.objects.create_user("admin", password="x", role=User.Role.ADMIN)


@pytest.fixture
def as_a(client, world):
    """The test client logged in as reseller A's user."""
    client.force_login(world.user)
    return client


@pytest.fixture
def as_admin(client, admin):
    """The test client logged in as a platform admin."""
    client.force_login(admin)
    return client


# --------------------------------------------------------------------------- Import DIDs


@pytest.fixture
def import_dir(settings, tmp_path):
    """Uploaded import files go to this test's own folder."""
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


@pytest.fixture
def as_importer(as_a, world):
    """``as_a``, uploading with reseller A's operator as the default operator."""
    as_a.default_operator = str(world.operator.pk)
    return as_a


@pytest.fixture
def eager(settings):
    """Celery runs a queued task at once, in the test's process."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def scene(db):
    """Two resellers with DIDs in every status, and an admin; numbers known to the tests."""
    a, b = World("A"), World("B")
    for w in (a, b):
        for status in Status:
            w.did(status, tag="gold")
    admin = User.objects.create_user("root", password="pw-root", role=User.Role.ADMIN)
    return a, b, admin

"""The routing endpoint: GET /api/v1/route/<number> with a Bearer token."""

import io
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import auth
from api.models import ApiToken, hash_key
from inventory.choices import Status


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    auth.clear_cache()
    yield
    auth.clear_cache()


def _get(client, number, key, method="get"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    return getattr(client, method)(f"/api/v1/route/{quote(number)}", **headers)


@pytest.fixture
def token(world):
    return ApiToken.issue(name="switch", reseller=world.reseller)[1]


def test_active_number_is_routable_with_its_names(client, world, token):
    did = world.did(Status.ACTIVE)
    resp = _get(client, did.number, token)
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"
    assert resp.json() == {
        "number": did.number,
        "routable": True,
        "status": "active",
        "reseller": world.reseller.name,
        "operator": world.operator.name,
        "client": world.client.name,
        "account": world.account.name,
        "subscription_id": world.subscription.pk,
    }
    assert "Set-Cookie" not in resp


@pytest.mark.parametrize("status", [Status.BLOCKED, Status.ON_HOLD, Status.IN_STOCK])
def test_other_statuses_are_not_routable(client, world, token, status):
    did = world.did(status)
    body = _get(client, did.number, token).json()
    assert body["routable"] is False
    assert body["status"] == status.value
    if status == Status.IN_STOCK:
        assert body["client"] is None and body["account"] is None
        assert body["subscription_id"] is None
    else:
        assert body["client"] == world.client.name


def test_plus_numbers_url_encoded_or_not(client, world, token):
    did = world.did(Status.ACTIVE, number="+14155550100")
    for path in ("/api/v1/route/%2B14155550100", "/api/v1/route/+14155550100"):
        resp = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert resp.status_code == 200 and resp.json()["number"] == did.number
    # Leading zeros matter: the number is looked up exactly as stored.
    assert _get(client, "14155550100", token).status_code == 404


def test_unknown_number_is_404(client, world, token):
    resp = _get(client, "999000111", token)
    assert resp.status_code == 404
    assert "999000111" in resp.json()["error"]


def test_another_resellers_number_is_404(client, world, other_world, token):
    theirs = other_world.did(Status.ACTIVE)
    resp = _get(client, theirs.number, token)
    assert resp.status_code == 404
    # Exactly what an unknown number gets: nothing tells that the number exists elsewhere.
    assert resp.json() == {"error": f"Number {theirs.number} is not in this inventory."}


def test_platform_token_sees_every_reseller(client, world, other_world):
    _token, key = ApiToken.issue(name="billing", reseller=None)
    mine, theirs = world.did(Status.ACTIVE), other_world.did(Status.BLOCKED)
    assert _get(client, mine.number, key).json()["reseller"] == world.reseller.name
    body = _get(client, theirs.number, key).json()
    assert body["reseller"] == other_world.reseller.name and body["routable"] is False


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer nope", "Basic dXNlcjpwdw==", "Token abc"]
)
def test_missing_or_bad_token_is_401(client, world, token, header):
    did = world.did(Status.ACTIVE)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    resp = client.get(f"/api/v1/route/{did.number}", **extra)
    assert resp.status_code == 401
    assert "error" in resp.json()
    assert resp["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401_at_once(client, world):
    obj, key = ApiToken.issue(name="old switch", reseller=world.reseller)
    did = world.did(Status.ACTIVE)
    assert _get(client, did.number, key).status_code == 200  # now cached
    obj.revoked = True
    obj.save()
    assert _get(client, did.number, key).status_code == 401


def test_revoked_elsewhere_stops_within_the_cache_period(client, world, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    obj, key = ApiToken.issue(name="s", reseller=world.reseller)
    did = world.did(Status.ACTIVE)
    assert _get(client, did.number, key).status_code == 200
    ApiToken.objects.filter(pk=obj.pk).update(revoked=True)  # another process, no signal
    assert _get(client, did.number, key).status_code == 401


@pytest.mark.parametrize("number", ["12a4", "++123", "1 2", "-5", "1" * 40, "+"])
def test_malformed_number_is_400(client, world, token, number):
    resp = _get(client, number, token)
    assert resp.status_code == 400
    assert "not a number" in resp.json()["error"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head(client, world, token, method):
    did = world.did(Status.ACTIVE)
    resp = _get(client, did.number, token, method=method)
    assert resp.status_code == 405
    assert resp["Allow"] == "GET, HEAD"
    assert "error" in resp.json()


def test_head_is_allowed(client, world, token):
    did = world.did(Status.ACTIVE)
    assert _get(client, did.number, token, method="head").status_code == 200


def test_one_query_per_lookup_once_the_token_is_cached(client, world, token, monkeypatch):
    import psycopg

    did = world.did(Status.ACTIVE)
    _get(client, did.number, token)
    # The lookup runs on psycopg's connection itself (past Django's cursor wrapper): count
    # what goes that way as well as what goes through Django.
    raw = []
    real = psycopg.Connection.execute

    def counted(self, query, *args, **kwargs):
        raw.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    with CaptureQueriesContext(connection) as queries:
        assert _get(client, did.number, token).status_code == 200
    sent = [q["sql"] for q in queries] + raw
    assert len(sent) == 1, sent
    # The one query is the planned-once lookup function (api migration 0002).
    assert "api_route_lookup" in sent[0]


def test_token_stores_only_a_hash_and_stamps_last_use(client, world):
    obj, key = ApiToken.issue(name="s", reseller=world.reseller)
    obj.refresh_from_db()
    assert obj.key_hash == hash_key(key) and key not in obj.key_hash
    assert obj.prefix == key[:8] and obj.last_used_at is None
    _get(client, world.did().number, key)
    obj.refresh_from_db()
    assert obj.last_used_at is not None


def test_create_api_token_command_prints_a_working_key(client, world):
    did = world.did(Status.ACTIVE)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "--reseller",
        world.reseller.name,
        "--name",
        "sw",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    token = ApiToken.objects.get(name="sw")
    assert token.reseller == world.reseller and token.prefix in err.getvalue()
    assert _get(client, did.number, key).status_code == 200
    # By id, and platform-wide without --reseller.
    call_command(
        "create_api_token",
        "--reseller",
        str(world.reseller.pk),
        "--name",
        "x",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    call_command("create_api_token", "--name", "all", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.get(name="x").reseller == world.reseller
    assert ApiToken.objects.get(name="all").reseller is None


def test_admin_creates_a_token_and_shows_the_key_once(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser(
        "root", password="pw", role="admin", reseller=None
    )
    client.force_login(admin)
    resp = client.post(
        "/django-admin/api/apitoken/add/",
        {"name": "from admin", "reseller": world.reseller.pk},
    )
    assert resp.status_code == 200
    key = resp.context["raw_key"]
    assert key.encode() in resp.content
    token = ApiToken.objects.get(name="from admin")
    assert token.key_hash == hash_key(key)
    client.logout()
    did = world.did(Status.ACTIVE)
    assert _get(client, did.number, key).status_code == 200
    # The change page never shows the key again.
    client.force_login(admin)
    page = client.get(f"/django-admin/api/apitoken/{token.pk}/change/")
    assert page.status_code == 200 and key.encode() not in page.content


def test_unknown_numbers_are_not_logged_as_warnings(client, world, token, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        assert _get(client, "999000111", token).status_code == 404
    assert not [r for r in caplog.records if r.name == "django.request"]

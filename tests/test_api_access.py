"""The REST API's tokens, sessions, tenancy, errors and rate limits (issue 11)."""

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

from api.models import ApiToken, hash_key
from audit.models import AuditRecord
from clients.models import Client
from inventory.choices import Status
from inventory.models import DID

from .api_support import Api, api_a, token_for  # noqa: F401

# --------------------------------------------------------------------------- tokens


def test_a_user_creates_a_token_on_its_page_seen_once_and_stored_hashed(client, world):
    client.force_login(world.user)
    page = client.post(
        "/tokens/", {"name": "billing sync", "scope": "write"}, follow=True
    ).content.decode()
    token = ApiToken.objects.get(user=world.user)
    key = page.split('id="token-key">')[1].split("<")[0]
    assert token.key_hash == hash_key(key) and key not in (token.key_hash, token.prefix)
    assert token.scope == "write" and token.reseller == world.reseller
    assert "billing sync" in client.get("/tokens/").content.decode()
    assert key not in client.get("/tokens/").content.decode()  # shown once
    assert AuditRecord.objects.filter(object_type="apitoken", action="create").exists()
    assert Api(client, key).get("dids/").status_code == 200


def test_a_revoked_token_stops_working_and_only_its_owner_revokes_it(client, world, other_world):
    key = token_for(world.user)
    token = ApiToken.objects.get(key_hash=hash_key(key))
    client.force_login(other_world.user)
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(world.user)
    client.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked
    assert AuditRecord.objects.filter(object_type="apitoken", action="revoke").exists()
    client.logout()
    response = Api(client, key).get("dids/")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_form_that_is_not_valid_says_why(client, world):
    client.force_login(world.user)
    page = client.post("/tokens/", {"name": "", "scope": "root"}).content.decode()
    assert "Name: enter the token&#x27;s name." in page and "Scope: choose" in page
    assert not ApiToken.objects.exists()


def test_a_read_token_only_reads(client, world):
    read = Api(client, token_for(world.user, "read"))
    did = world.did()
    assert read.get(f"dids/{did.pk}/").status_code == 200
    for response in (
        read.post(f"dids/{did.pk}/block/"),
        read.patch(f"dids/{did.pk}/", {"tag": "x"}),
        read.delete(f"dids/{did.pk}/"),
    ):
        assert response.status_code == 403
    did.refresh_from_db()
    assert did.tag == "" and did.status == Status.IN_STOCK


def test_routing_tokens_and_user_tokens_do_not_cross(client, world):
    did = world.did()
    _routing, routing_key = ApiToken.issue(name="switch", reseller=world.reseller)
    user_key = token_for(world.user)
    assert Api(client, routing_key).get("dids/").status_code == 401
    lookup = client.get(f"/api/v1/route/{did.number}", HTTP_AUTHORIZATION=f"Bearer {user_key}")
    assert lookup.status_code == 401
    lookup = client.get(f"/api/v1/route/{did.number}", HTTP_AUTHORIZATION=f"Bearer {routing_key}")
    assert lookup.status_code == 200


def test_the_browser_session_works_and_needs_its_csrf_token(world):
    from django.test import Client as Browser

    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(world.user)
    assert browser.get("/api/v1/clients/").status_code == 200
    refused = browser.post("/api/v1/clients/", {"name": "Via session"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Client.objects.filter(name="Via session").exists()


def test_no_credentials_is_a_401(client, world):
    response = client.get("/api/v1/dids/")
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]
    garbage = client.get("/api/v1/dids/", HTTP_AUTHORIZATION="Bearer " + "x" * 5000)
    assert garbage.status_code == 401


# --------------------------------------------------------------------------- tenancy


def _objects(w):
    did = w.did(Status.ACTIVE)
    return {
        "dids": did.pk,
        "operators": w.operator.pk,
        "clients": w.client.pk,
        "accounts": w.account.pk,
        "packages": w.package.pk,
        "subscriptions": w.subscription.pk,
    }


def test_another_resellers_objects_are_404_and_never_listed(client, world, other_world):
    mine, theirs = _objects(world), _objects(other_world)
    api = Api(client, token_for(world.user))
    for resource, pk in theirs.items():
        assert api.get(f"{resource}/{pk}/").status_code == 404, resource
        listed = [row["id"] for row in api.get(f"{resource}/").json()["results"]]
        assert pk not in listed and mine[resource] in listed, resource
    for path, body in (
        (f"dids/{theirs['dids']}/block/", {}),
        (f"dids/{theirs['dids']}/release/", {}),
        (f"subscriptions/{theirs['subscriptions']}/cancel/", {}),
        ("dids/bulk/block/", {"ids": [theirs["dids"]]}),
    ):
        assert api.post(path, body).status_code == 404, path
    assert api.patch(f"dids/{theirs['dids']}/", {"tag": "x"}).status_code == 404
    assert api.delete(f"operators/{theirs['operators']}/").status_code == 404
    assert DID.objects.get(pk=theirs["dids"]).status == Status.ACTIVE


def test_another_resellers_objects_cannot_be_named_in_a_write(client, world, other_world):
    api = Api(client, token_for(world.user))
    free = world.did()
    checks = [
        ("accounts/", {"name": "x", "client": other_world.client.pk}, "client"),
        ("operators/", {"name": "x", "reseller": other_world.reseller.pk}, "reseller"),
        (
            "subscriptions/",
            {
                "client": other_world.client.pk,
                "package": world.package.pk,
                "start_date": "2026-12-01",
            },
            "client",
        ),
        (
            "dids/",
            {
                "numbers": "1",
                "operator": other_world.operator.pk,
                "status": "in_stock",
                "after_hold": "in_stock",
            },
            "operator",
        ),
        (f"dids/{free.pk}/assign/", {"account": other_world.account.pk}, "account"),
    ]
    for path, body, field in checks:
        response = api.post(path, body)
        assert response.status_code == 400 and field in response.json(), (path, response.json())
        assert other_world.reseller.name not in response.content.decode()
    free.refresh_from_db()
    assert free.status == Status.IN_STOCK


# --------------------------------------------------------------------------- errors, limits


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("dids/", {"per_page": "7"}),
        ("dids/", {"page": "abc", "sort": "notes"}),
        ("dids/", {"did": "x" * 5000}),
        ("dids/", {"before": "%%%"}),
        ("audit/", {"change_set": "nope"}),
        ("jobs/", {"status": "\x00"}),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api_a, world, path, params):
    response = api_a.get(path, params)
    assert response.status_code == 400, response.content
    data = response.json()
    assert set(params) & set(data), data
    assert data["detail"]


def test_bad_bodies_are_a_400_never_a_500(api_a, world):
    did = world.did()
    for path, body in (
        ("dids/bulk/block/", {"ids": "all"}),
        ("dids/bulk/block/", {"ids": [True]}),
        ("dids/bulk/block/", {"ids": list(range(20_000))}),
        ("dids/bulk/set-status/", {"ids": [did.pk], "status": "flying"}),
        ("dids/bulk/block/", {"filter": ["status"]}),
        (f"dids/{did.pk}/assign/", {"account": "9" * 40}),
        ("packages/", {"name": "P", "did_allowance": "many", "hold_days": 1}),
        ("clients/", ["not", "an", "object"]),
        ("operators/", {"name": {"nested": 1}}),
        ("subscriptions/", {"client": True, "package": 1.5, "start_date": True}),
        ("packages/", {"name": None, "did_allowance": [1, 2], "hold_days": False}),
    ):
        response = api_a.post(path, body)
        assert response.status_code == 400, (path, response.content)
    not_json = api_a.client.post(
        "/api/v1/clients/", "{", content_type="application/json", **api_a.headers
    )
    assert not_json.status_code == 400


def test_too_many_requests_are_a_429_with_retry_after(client, world, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api", "3/min")
    monkeypatch.setattr("api.permissions.TokenRateThrottle.THROTTLE_RATES", {"api": "3/min"})
    cache.clear()
    api = Api(client, token_for(world.user))
    other = Api(client, token_for(world.user, "read"))
    codes = [api.get("clients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get("clients/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert other.get("clients/").status_code == 200  # per token
    cache.clear()

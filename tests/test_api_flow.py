"""A provisioning script over real HTTP, as a billing system would run it: create an operator
and a range, subscribe a client, assign, cancel, release (issue 11). It speaks only HTTP and
JSON to a live server, with a token made on the tokens page."""

import json
import urllib.error
import urllib.request

import pytest

from audit.models import AuditRecord
from inventory.models import DID


class Script:
    def __init__(self, base: str, key: str):
        self.base = base.rstrip("/") + "/api/v1/"
        self.key = key

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def _key_from_the_tokens_page(live_server, user) -> str:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    page = browser.post(
        "/tokens/", {"name": "provisioning", "scope": "write"}, follow=True
    ).content.decode()
    return page.split('id="token-key">')[1].split("<")[0]


@pytest.mark.django_db(transaction=True)
def test_a_whole_provisioning_flow_over_http(live_server):
    from .conftest import World

    world = World("Flow")
    api = Script(live_server.url, _key_from_the_tokens_page(live_server, world.user))

    status, operator = api.call("POST", "operators/", {"name": "Carrier One"})
    assert status == 201
    status, made = api.call(
        "POST",
        "dids/",
        {
            "numbers": "4155550100-4155550149",
            "operator": operator["id"],
            "status": "in_stock",
            "after_hold": "in_stock",
            "tag": "gold",
        },
    )
    assert (status, made["created"]) == (201, 50)

    status, client = api.call("POST", "clients/", {"name": "Rose Orig"})
    assert status == 201
    status, account = api.call("POST", "accounts/", {"name": "rose_orig", "client": client["id"]})
    assert status == 201
    status, package = api.call(
        "POST",
        "packages/",
        {"name": "Pack 10", "did_allowance": 10, "allowed_tags": ["gold"], "hold_days": 30},
    )
    assert status == 201
    status, subscription = api.call(
        "POST",
        "subscriptions/",
        {"client": client["id"], "package": package["id"], "start_date": "2026-12-01"},
    )
    assert status == 201

    # "Reserve 5 numbers in 415555 for this customer": find them, then assign them.
    status, found = api.call(
        "GET", "dids/?did=41555501&did_match=prefix&status=in_stock&per_page=20"
    )
    assert status == 200 and found["count"] == 50
    ids = [row["id"] for row in found["results"][:5]]
    body = {"ids": ids, "account": account["id"], "subscription": subscription["id"]}
    status, preview = api.call("POST", "dids/bulk/assign/", {**body, "dry_run": True})
    assert (status, preview["moved"], preview["refused"]) == (200, 5, 0)
    status, assigned = api.call("POST", "dids/bulk/assign/", body)
    assert (status, assigned["moved"]) == (200, 5)
    too_many = api.call(
        "POST", "dids/bulk/assign/", {**body, "ids": [r["id"] for r in found["results"][5:11]]}
    )
    assert too_many[0] == 400 and "6 more do not fit" in too_many[1]["detail"]

    status, cancelled = api.call("POST", f"subscriptions/{subscription['id']}/cancel/")
    assert (status, cancelled["moved"]) == (200, 5)
    status, held = api.call("GET", "dids/?status=on_hold&per_page=20")
    assert [row["id"] for row in held["results"]] == ids
    status, released = api.call("POST", "dids/bulk/release/", {"ids": ids})
    assert (status, released["moved"]) == (200, 5)
    assert DID.objects.filter(status="in_stock", tag="gold").count() == 50
    # Every step is on the audit log, under the token's user.
    assert AuditRecord.objects.filter(username=world.user.username, action="release").count() == 5

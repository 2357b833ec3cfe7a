"""Helpers of the REST API tests: tokens, and a client that sends one."""

from __future__ import annotations

import json

import pytest

from api import services
from audit.services import Actor

API = "/api/v1/"


def token_for(user, scope: str = "write") -> str:
    """A new API token of ``user``; its key."""
    _token, key = services.token_create(
        user=user, name=f"{scope} token", scope=scope, actor=Actor.for_user(user)
    )
    return key


class Api:
    """The Django test client, sending a token and JSON."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def get(self, path, params=None):
        return self.client.get(API + path, params or {}, **self.headers)

    def _send(self, method, path, data):
        send = getattr(self.client, method)
        body = json.dumps(data if data is not None else {})
        return send(API + path, body, content_type="application/json", **self.headers)

    def post(self, path, data=None):
        return self._send("post", path, data)

    def patch(self, path, data=None):
        return self._send("patch", path, data)

    def put(self, path, data=None):
        return self._send("put", path, data)

    def delete(self, path):
        return self.client.delete(API + path, **self.headers)


@pytest.fixture
def api_a(client, world):
    return Api(client, token_for(world.user))


@pytest.fixture
def api_admin(client, admin):
    return Api(client, token_for(admin))

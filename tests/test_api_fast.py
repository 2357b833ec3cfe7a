"""The WSGI fast path for routing lookups answers exactly as the Django view does."""

import io
import json
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults

import pytest

from api import auth
from api.models import ApiToken
from config.wsgi import application
from inventory.choices import Status


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    auth.clear_cache()
    yield
    auth.clear_cache()


def wsgi(path, key=None, method="GET", host="testserver"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(),
    }
    if key is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


def view(client, path, key=None, method="get"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    return getattr(client, method)(path, **headers)


@pytest.fixture
def numbers(world, other_world):
    return {
        "active": world.did(Status.ACTIVE).number,
        "blocked": world.did(Status.BLOCKED).number,
        "in_stock": world.did().number,
        "theirs": other_world.did(Status.ACTIVE).number,
        "unknown": "999000111",
        "malformed": "12ab",
    }


@pytest.mark.parametrize(
    "case", ["active", "blocked", "in_stock", "theirs", "unknown", "malformed"]
)
@pytest.mark.parametrize("auth_kind", ["reseller", "bad", "none"])
def test_fast_path_answers_like_the_view(client, world, numbers, case, auth_kind):
    key = {
        "reseller": ApiToken.issue(name="s", reseller=world.reseller)[1],
        "bad": "nope",
        "none": None,
    }[auth_kind]
    path = f"/api/v1/route/{quote(numbers[case])}"
    status, headers, body = wsgi(path, key)
    expected = view(client, path, key)
    assert status == expected.status_code
    assert json.loads(body) == expected.json()
    assert headers["Content-Type"] == "application/json"
    if status == 401:
        assert headers["WWW-Authenticate"] == expected["WWW-Authenticate"]


def test_fast_path_is_taken_and_routable_only_when_active(world, numbers, monkeypatch):
    key = ApiToken.issue(name="s", reseller=world.reseller)[1]
    # Django's own handler must not be reached for a lookup.
    monkeypatch.setattr("config.wsgi._django", lambda *a: pytest.fail("went through Django"))
    status, _h, body = wsgi(f"/api/v1/route/{numbers['active']}", key)
    assert status == 200 and json.loads(body)["routable"] is True
    status, _h, body = wsgi(f"/api/v1/route/{numbers['blocked']}", key)
    assert status == 200 and json.loads(body)["routable"] is False


def test_other_methods_paths_and_hosts(world, numbers):
    key = ApiToken.issue(name="s", reseller=world.reseller)[1]
    from api.views import answer

    assert answer("POST", {}, numbers["active"])[0] == 405  # POST is left to Django: 405 too
    status, _h, body = wsgi(f"/api/v1/route/{numbers['active']}", key, method="HEAD")
    assert status == 200 and body == b""
    assert wsgi(f"/api/v1/route/{numbers['active']}", key, host="evil.example")[0] == 400
    # Anything but a plain lookup is left to Django.
    from api import fast

    assert not fast.handles({"PATH_INFO": "/api/v1/route/1/2", "REQUEST_METHOD": "GET"})
    assert not fast.handles({"PATH_INFO": "/api/v1/routes/1", "REQUEST_METHOD": "GET"})
    assert not fast.handles({"PATH_INFO": "/api/v1/route/1", "REQUEST_METHOD": "POST"})
    assert fast.handles({"PATH_INFO": "/api/v1/route/+1", "REQUEST_METHOD": "HEAD"})

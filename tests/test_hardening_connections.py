"""Issue 7, item 9: a persistent database connection that the server dropped costs no request.

Requests go through Django's real WSGI handler, not the test client: the test client
disconnects ``close_old_connections`` from ``request_started``, and that handler is where a
reused connection is marked for its health check (``CONN_HEALTH_CHECKS``), which then runs
before the request's first query.
"""

import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections


def _get(path: str) -> str:
    """The status line of a GET through the WSGI handler that gunicorn and runserver use."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, HTTP_HOST="testserver", SERVER_NAME="testserver")
    status = []
    body = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        b"".join(body)
    finally:
        body.close()  # sends request_finished, as a WSGI server does
    return status[0]


def _backend_pid() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _terminate(pid: int) -> None:
    """pg_terminate_backend ``pid`` from a second connection, and wait until it is gone."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cur.fetchone()[0] is True
            for _ in range(100):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cur.fetchone()[0] == 0:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} is still there")
    finally:
        other.close()


@pytest.fixture
def pooled(transactional_db):
    """The persistent connection of this thread, warmed by one request and kept after it."""
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert _get("/healthz").startswith("200")
    assert connection.connection is not None  # kept for the next request
    return _backend_pid()


def test_health_checks_are_on():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_request_after_the_connection_was_terminated_succeeds(pooled):
    _terminate(pooled)

    assert _get("/healthz").startswith("200")
    assert _backend_pid() != pooled  # the dropped connection was replaced, not reused
    assert _get("/healthz").startswith("200")


def test_without_health_checks_the_same_drop_fails_one_request(pooled):
    """The defect the setting fixes, so that the test above is known to exercise it."""
    connection.close()
    before = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    try:
        pid = _backend_pid()
        _terminate(pid)

        assert _get("/healthz").startswith("500")
        assert _get("/healthz").startswith("200")  # the broken connection was closed after it
    finally:
        connection.close()
        connection.settings_dict["CONN_HEALTH_CHECKS"] = before


def _route(number: str, key: str) -> str:
    """The status line of a routing lookup through ``config.wsgi`` (its fast path)."""
    from config.wsgi import application

    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        PATH_INFO=f"/api/v1/route/{number}",
        HTTP_HOST="testserver",
        SERVER_NAME="testserver",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    status = []
    b"".join(application(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0]


def test_the_routing_fast_path_survives_a_dropped_connection_in_one_lookup(pooled):
    from api.models import ApiToken

    from .conftest import World

    world = World("R")
    did = world.did()
    _token, key = ApiToken.issue(name="switch", reseller=world.reseller)
    assert _route(did.number, key).startswith("200")
    pid = _backend_pid()
    _terminate(pid)

    assert _route(did.number, key).startswith("200")  # reconnected within the lookup
    assert _backend_pid() != pid

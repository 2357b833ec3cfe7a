"""The routing lookup straight from WSGI, without Django's URL resolver and middleware stack.

Switches ask thousands of times a second, and per lookup Django's request cycle costs more
than the lookup itself. ``config.wsgi`` sends ``GET|HEAD /api/v1/route/<number>`` here; the
answer comes from the same ``api.views.answer`` the Django view uses. Everything else goes to
Django as usual.
"""

from __future__ import annotations

import json
import logging

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.http.request import split_domain_port, validate_host

from .views import answer

log = logging.getLogger(__name__)
PREFIX = "/api/v1/route/"
_REASONS = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    404: "404 Not Found",
    500: "500 Internal Server Error",
}


def handles(environ) -> bool:
    path = environ.get("PATH_INFO", "")
    return (
        path.startswith(PREFIX)
        and "/" not in path[len(PREFIX) :]
        and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
    )


def _host_ok(environ) -> bool:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _recycle():
    """Close a broken or expired connection (CONN_MAX_AGE), never one inside a transaction."""
    if not connection.in_atomic_block:
        close_old_connections()


def _answer(environ, number):
    """``answer`` on the persistent connection, checked by the lookup itself: one round trip,
    not CONN_HEALTH_CHECKS' ``SELECT 1`` and then the lookup. A connection the server dropped
    fails the lookup; it is closed and the lookup runs once more on a new one."""
    for attempt in (1, 2):
        if connection.connection is not None:
            connection.health_check_done = True
        try:
            return answer(environ["REQUEST_METHOD"], environ, number)
        except (InterfaceError, OperationalError, psycopg.OperationalError, psycopg.InterfaceError):
            if attempt == 2 or connection.in_atomic_block:
                raise
            log.warning("Routing lookup: the database connection was gone; reconnecting")
            connection.close()
    raise AssertionError("unreachable")


def app(environ, start_response):
    # WSGI gives the path as latin-1 decoded bytes; numbers are ASCII, but decode like Django.
    raw = environ["PATH_INFO"][len(PREFIX) :]
    number = raw.encode("latin-1").decode("utf-8", "replace")
    if not _host_ok(environ):
        status, headers, body = 400, {}, {"error": "Bad Host header."}
    else:
        _recycle()  # what Django does at each request's start and end
        try:
            status, headers, body = _answer(environ, number)
        except Exception:  # noqa: BLE001 - answer 500 like Django, and log it
            log.exception("Routing lookup failed for %r", number)
            status, headers, body = 500, {}, {"error": "Internal error."}
        finally:
            _recycle()
    data = json.dumps(body).encode()
    start_response(
        _REASONS.get(status, f"{status} Error"),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        + list(headers.items()),
    )
    return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [data]

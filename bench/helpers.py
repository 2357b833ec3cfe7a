"""The benchmark's helpers: SQL in one line, a timer, child processes and their servers, and
reading the list page's links."""

from __future__ import annotations

import contextlib
import html as html_lib
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

from .dburl import database_url

BASE_DIR = Path(settings.BASE_DIR)


def table_of(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def run_sql(sql: str, params=None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.rowcount


def scalar(sql: str, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


# The DID table's counts triggers (inventory migration 0005): a baseline's plain statement runs
# without them, as a bare table would; each baseline undoes its own change the same way, so
# the counts table stays right.
COUNT_TRIGGERS = ("did_count_insert", "did_count_update", "did_count_delete")


@contextlib.contextmanager
def bare(table: str):
    """``table`` without the counts triggers inside the block."""
    for name in COUNT_TRIGGERS:
        run_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        for name in COUNT_TRIGGERS:
            run_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")


def timed(fn: Callable) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


# --------------------------------------------------------------------------- the benchmark

_LINK = re.compile(r"""<a\b([^>]*)>(.*?)</a>""", re.I | re.S)
_HREF = re.compile(r"""href=["']([^"']*)["']""", re.I)


def links(html: str) -> list[tuple[str, str, str]]:
    """(query string, tag attributes, text) of every link with a query string."""
    found = []
    for attrs, text in _LINK.findall(html):
        m = _HREF.search(attrs)
        if m and "?" in m.group(1):
            href = html_lib.unescape(m.group(1))
            label = re.sub(r"<[^>]+>", "", text).strip()
            found.append((href[href.index("?") :], attrs.lower(), label))
    return found


def deep_page_query(html: str, n: int) -> str:
    """The query string of a page near the end of the list, read from the first page's links.

    Prefers a link marked or labelled "last"; else the highest ``page=`` number seen; else a
    guess of ``page`` for 100 rows a page.
    """
    best_page, best_query = 0, None
    for query, attrs, label in links(html):
        if 'rel="last"' in attrs or "last page" in attrs or label.lower().startswith("last"):
            return query
        m = re.search(r"[?&]page=(\d+)", query)
        if m and int(m.group(1)) > best_page:
            best_page, best_query = int(m.group(1)), query
    if best_query:
        return best_query
    return f"?page={max(1, n // 100 - 1)}"


def number_sort_key(html: str) -> str:
    """The list's sort key for the DID number column (``sort=<key>`` on its header link)."""
    for query, _attrs, label in links(html):
        m = re.fullmatch(r"\?sort=-?([\w.]+)", query)
        if m and label.split()[0:1] in (["DID"], ["Number"], ["DIDs"]):
            return m.group(1)
    return "number"


def wait_for_http(port: int, server: subprocess.Popen, log: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log).read_text(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/route/1")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)

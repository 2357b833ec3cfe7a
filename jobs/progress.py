"""Progress written through a connection of its own, outside the work's transaction, so a
browser polling the job sees it while the work (one all-or-nothing transaction) runs.

Every write also sets the row's ``heartbeat_at``, and a daemon thread writes the heartbeat
alone every ``JOB_HEARTBEAT_SECONDS`` while the work runs (one long SQL statement reports no
progress for minutes). A worker that is killed stops beating: after ``JOB_STALE_AFTER`` its
job is failed by ``jobs.services.fail_stale``.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)


class Progress:
    def __init__(
        self,
        table: str,
        row_id: int | None,
        *,
        done_column: str = "done",
        heartbeat: bool = True,
    ):
        self.table = table
        self.row_id = row_id
        self.done_column = done_column
        self._last = 0.0
        self._conn = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        if row_id is not None and heartbeat:
            self._thread = threading.Thread(
                target=self._beat_forever, name=f"heartbeat-{table}-{row_id}", daemon=True
            )
            self._thread.start()

    def __call__(self, done: int | None = None, stage: str | None = None, force: bool = False):
        if self.row_id is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        sets, params = [], []
        if done is not None:
            sets.append(f"{self.done_column} = %s")
            params.append(done)
        if stage is not None:
            sets.append("stage = %s")
            params.append(stage)
        if not sets:
            return
        sets.append("heartbeat_at = now()")
        self._execute(f"UPDATE {self.table} SET {', '.join(sets)} WHERE id = %s", params)

    def update(self, **columns) -> None:
        """Set other columns of the row (``total=...``) where the browser sees them now."""
        if self.row_id is None or not columns:
            return
        sets = ", ".join(f"{name} = %s" for name in columns)
        self._execute(
            f"UPDATE {self.table} SET {sets}, heartbeat_at = now() WHERE id = %s",
            list(columns.values()),
        )

    def beat(self) -> None:
        """Say the worker is alive, without any progress to report."""
        if self.row_id is not None:
            self._execute(f"UPDATE {self.table} SET heartbeat_at = now() WHERE id = %s", [])

    def _beat_forever(self) -> None:
        interval = getattr(settings, "JOB_HEARTBEAT_SECONDS", 30)
        while not self._stop.wait(interval):
            self.beat()

    def _execute(self, sql: str, params: list) -> None:
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = connections.create_connection("default")
                    self._conn.inc_thread_sharing()  # the heartbeat thread writes through it
                with self._conn.cursor() as cur:
                    # Never wait long for the row: the next beat will do.
                    cur.execute("SET lock_timeout = '5s'")
                    cur.execute(sql, [*params, self.row_id])
            except Exception:  # noqa: BLE001 - progress is best effort, never the work's end
                log.warning("Could not write the progress of %s %s", self.table, self.row_id)

    def close(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.dec_thread_sharing()
                    self._conn.close()
                except Exception:  # noqa: BLE001
                    log.warning("Could not close the progress connection of %s", self.table)
                self._conn = None

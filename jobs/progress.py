"""Progress written through a connection of its own, outside the work's transaction, so a
browser polling the job sees it while the work (one all-or-nothing transaction) runs."""

from __future__ import annotations

import logging
import time

from django.db import connections

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, table: str, row_id: int | None, *, done_column: str = "done"):
        self.table = table
        self.row_id = row_id
        self.done_column = done_column
        self._last = 0.0
        self._conn = None

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
        try:
            if self._conn is None:
                self._conn = connections.create_connection("default")
            with self._conn.cursor() as cur:
                cur.execute(
                    f"UPDATE {self.table} SET {', '.join(sets)} WHERE id = %s",
                    [*params, self.row_id],
                )
        except Exception:  # noqa: BLE001 - progress is best effort, never the work's end
            log.warning("Could not write the progress of %s %s", self.table, self.row_id)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

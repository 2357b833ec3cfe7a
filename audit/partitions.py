"""The entries' monthly partitions (``audit_entry_YYYY_MM``, UTC months) and retention.

``ensure`` creates this month's partition and the next ``AUDIT_PARTITIONS_AHEAD`` months'
(the database function ``audit_entry_partition``, which also moves into a new partition any
rows of its month that had gone to ``audit_entry_default``, so a write never fails for want
of a partition). ``purge`` applies ``AUDIT_RETENTION_DAYS``: every month that ended before
the cutoff is dropped whole (``DROP TABLE``, no row-by-row delete), with its change sets; a
record is therefore kept at least that many days and at most a month more. Both run daily
from the beat (``audit.tasks.maintain``) and may be called at any time.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import ChangeSet, Entry
from .services import Actor, record

# What the log shows as the user of a purge: the beat task.
MAINTAIN_TASK = "audit.tasks.maintain"

PARTITION = re.compile(r"^audit_entry_(\d{4})_(\d{2})$")


def month_start(when: dt.datetime) -> dt.datetime:
    when = when.astimezone(dt.UTC)
    return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def ensure(now: dt.datetime | None = None, ahead: int | None = None) -> list[str]:
    """The partitions of this month and the ``ahead`` next ones, created if missing."""
    start = month_start(now or timezone.now())
    ahead = settings.AUDIT_PARTITIONS_AHEAD if ahead is None else ahead
    names = []
    with connection.cursor() as cur:
        for i in range(ahead + 1):
            cur.execute("SELECT audit_entry_partition(%s)", [add_months(start, i)])
            names.append(cur.fetchone()[0])
    return names


def partitions() -> list[tuple[str, dt.datetime]]:
    """(name, first instant) of every monthly partition, oldest first."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [Entry._meta.db_table],
        )
        names = [r[0] for r in cur.fetchall()]
    found = []
    for name in names:
        m = PARTITION.match(name)
        if m:
            found.append((name, dt.datetime(int(m[1]), int(m[2]), 1, tzinfo=dt.UTC)))
    return sorted(found, key=lambda p: p[1])


def purge(
    days: int | None = None, now: dt.datetime | None = None, actor: Actor | None = None
) -> list[str]:
    """Drop the months that ended more than ``days`` days ago (default
    ``AUDIT_RETENTION_DAYS``; None keeps everything) and their change sets, and record that
    (a "purge" change set, by the task). Returns the dropped partitions' names."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days is None:
        return []
    # Only whole months go: everything before the month that holds the cutoff.
    keep_from = month_start((now or timezone.now()) - dt.timedelta(days=days))
    dropped = []
    with transaction.atomic(), connection.cursor() as cur:
        for name, start in partitions():
            if add_months(start, 1) <= keep_from:
                cur.execute(f'DROP TABLE "{name}"')
                dropped.append(name)
        cur.execute(
            f"DELETE FROM {Entry._meta.db_table}_default WHERE created_at < %s", [keep_from]
        )
        purged = ChangeSet.objects.filter(created_at__lt=keep_from).delete()[0]
        if dropped or purged:
            record(
                actor or Actor.system(MAINTAIN_TASK),
                action="purge",
                object_type="auditlog",
                object_id=None,
                object_repr=f"before {keep_from:%Y-%m-%d}",
                before={"kept_from": keep_from, "partitions": dropped, "change_sets": purged},
            )
    return dropped

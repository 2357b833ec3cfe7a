"""What the background-job system knows of the domain: only what the domain apps register.

``jobs`` sits below every domain app and imports none of them. An app that has long work
registers, from its ``AppConfig.ready()``:

* ``register(kind, handler, label=..., user_errors=(...), produced=...)``: the handler that
  runs a ``Job`` of that kind (``handler(job, progress)`` returns its message, or its message
  and the job's columns to set), the label the Jobs page shows, the exceptions whose message
  is for the user (not logged as a crash), and a link to what a finished job produced;
* ``register_slots(count)``: a function counting a user's jobs kept elsewhere (an import's
  ``ImportJob``) against the per-user limit (``jobs.services.reserve_slot``);
* ``register_table(model)``: another table of jobs (same ``status``, ``heartbeat_at``,
  ``backend_pid``, ``backend_start``, ``file_path`` columns) whose Running rows that stopped
  beating are failed by ``jobs.services.fail_stale``;
* ``register_listing(kind, label=..., rows=...)``: that table's jobs on the Jobs page, each
  as a ``Row``, the app scoping them to the user itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


class UnknownKind(LookupError):
    """No app registered a handler for a job's kind; ``str()`` says which kind."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(f"No handler is registered for a job of kind “{kind}”.")


@dataclass(frozen=True)
class Registration:
    kind: str
    handler: Callable
    label: str
    user_errors: tuple[type[BaseException], ...] = ()
    # job -> the URL of what the job produced ("" when none): the DIDs it made or changed;
    # shown as a link named ``produced_label``. A job's file needs none: jobs offers it.
    produced: Callable | None = None
    produced_label: str = "Open"

    def is_user_error(self, exc: BaseException) -> bool:
        return bool(self.user_errors) and isinstance(exc, self.user_errors)


@dataclass(frozen=True)
class Row:
    """One line of the Jobs page."""

    pk: int
    label: str  # the kind of job: "Mass Edit", "Import DIDs"
    username: str
    created_at: dt.datetime
    status: str  # failed, done (ok or not), other
    status_label: str
    percent: int
    message: str
    ok: bool = True
    url: str = ""  # the job's own page, if the user may open it
    produced_url: str = ""  # what the job produced
    produced_label: str = ""


@dataclass(frozen=True)
class Listing:
    kind: str  # its value in the Jobs page's Kind filter
    label: str
    # rows(user, status) -> the user's jobs of that table, newest first (a queryset or a
    # list, sliced by the page), as ``Row``s through ``row``; ``status`` is a ``Job`` status
    # to narrow to ("" for all).
    rows: Callable
    row: Callable


KINDS: dict[str, Registration] = {}
SLOT_COUNTERS: list[Callable] = []
TABLES: list[type] = []
LISTINGS: dict[str, Listing] = {}


def register(
    kind: str,
    handler: Callable,
    *,
    label: str,
    user_errors: tuple[type[BaseException], ...] = (),
    produced: Callable | None = None,
    produced_label: str = "Open",
) -> Registration:
    """Register ``handler`` for jobs of ``kind`` (again: replaces the registration)."""
    entry = Registration(str(kind), handler, label, tuple(user_errors), produced, produced_label)
    KINDS[entry.kind] = entry
    return entry


def handler_for(kind: str) -> Registration:
    """The registration of ``kind``; ``UnknownKind`` when no app registered it."""
    try:
        return KINDS[str(kind)]
    except KeyError:
        raise UnknownKind(str(kind)) from None


def label_for(kind: str, default: str = "") -> str:
    entry = KINDS.get(str(kind))
    return entry.label if entry is not None else (default or str(kind))


def register_slots(count: Callable) -> None:
    """``count(user) -> int``: a user's jobs, kept outside ``Job``, waiting or running."""
    if count not in SLOT_COUNTERS:
        SLOT_COUNTERS.append(count)


def register_table(model: type) -> None:
    """Another table of jobs whose stale Running rows ``fail_stale`` fails."""
    if model not in TABLES:
        TABLES.append(model)


def register_listing(kind: str, *, label: str, rows: Callable, row: Callable) -> None:
    """List another table's jobs on the Jobs page (see ``Listing``)."""
    LISTINGS[kind] = Listing(kind, label, rows, row)

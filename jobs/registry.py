"""What the background-job system knows of the domain: only what the domain apps register.

``jobs`` sits below every domain app and imports none of them. An app that has long work
registers, from its ``AppConfig.ready()``, ``register(kind, handler, label=..., ...)``:

* ``handler(job, progress)`` runs a ``Job`` of that kind inside one transaction and returns
  its message, or its message and the job's columns to set (``ok=False``: done, but not a
  success); ``progress(done, stage)`` is ``jobs.progress.Progress`` on the job's row;
* ``label``: what the Jobs page calls the kind;
* ``user_errors``: the exceptions whose message is for the user (not logged as a crash);
* ``produced(job)``: the URL of what a finished job produced (its file needs none);
* ``unit``: what a job's ``done`` and ``total`` count ("DIDs"; "" when they are only a
  measure of the work, shown as a percentage);
* ``one_at_a_time``: a group name (e.g. "export"): a user may have only one job of the
  kinds of that group waiting or running at a time (``jobs.services.reserve_slot``);
* ``on_end(job)``: called, in a transaction of its own, when a job of that kind ends without
  its handler's outcome (it failed, its worker stopped, or it was cancelled), so the app
  can put its own record of the work (an import's page) back in step.
"""

from __future__ import annotations

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
    on_end: Callable | None = None
    unit: str = "DIDs"
    one_at_a_time: str = ""

    def is_user_error(self, exc: BaseException) -> bool:
        return bool(self.user_errors) and isinstance(exc, self.user_errors)


KINDS: dict[str, Registration] = {}


def register(
    kind: str,
    handler: Callable,
    *,
    label: str,
    user_errors: tuple[type[BaseException], ...] = (),
    produced: Callable | None = None,
    produced_label: str = "Open",
    on_end: Callable | None = None,
    unit: str = "DIDs",
    one_at_a_time: str = "",
) -> Registration:
    """Register ``handler`` for jobs of ``kind`` (again: replaces the registration)."""
    entry = Registration(
        str(kind),
        handler,
        label,
        tuple(user_errors),
        produced,
        produced_label,
        on_end,
        unit,
        one_at_a_time,
    )
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


def kinds_one_at_a_time(kind: str) -> list[str]:
    """The kinds of which a user may run one at a time with ``kind`` (its group's, ``kind``
    included); [] when ``kind`` has no such group."""
    entry = KINDS.get(str(kind))
    if entry is None or not entry.one_at_a_time:
        return []
    return [k for k, e in KINDS.items() if e.one_at_a_time == entry.one_at_a_time]

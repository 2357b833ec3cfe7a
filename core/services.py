"""Writes that several apps make the same way: a named object, its name checked, created
with its "create" audit row, and a taken name refused under the Name field."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import Actor, record_created
from config.limits import NAME_MAX, check_length


def clean_name(name: str | None, noun: str, error: type[Exception]) -> str:
    """``name`` trimmed; ``error`` ("Name: ...") when it is empty or longer than NAME_MAX."""
    name = (name or "").strip()
    if not name:
        raise error(f"Name: enter the {noun}'s name.")
    if problem := check_length("Name", name, NAME_MAX):
        raise error(problem)
    return name


def create_named(
    model,
    error: type[Exception],
    *,
    name: str,
    noun: str,
    taken: str,
    actor: Actor,
    reseller_id: int | None,
    **parents,
):
    """A new ``model`` row named ``name`` under ``parents`` (``reseller=...``,
    ``client=...``), with its "create" audit row (the name and the parents' ids). ``error``
    for a name that is empty, too long, or taken: ``taken`` is the message, with ``{name}``.
    """
    name = clean_name(name, noun, error)
    try:
        with transaction.atomic():
            obj = model.objects.create(name=name, **parents)
            after = {"name": obj.name}
            after.update({f"{key}_id": getattr(obj, f"{key}_id") for key in parents})
            record_created(actor, obj, reseller_id=reseller_id, after=after)
    except IntegrityError as exc:
        raise error(f"Name: {taken.format(name=name)}") from exc
    return obj

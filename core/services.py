"""Writes that several apps make the same way: a named object, its name checked, created
with its "create" audit row, and a taken name refused under the Name field."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import Actor, record, record_created
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


def rename_named(
    obj,
    error: type[Exception],
    *,
    name: str,
    noun: str,
    taken: str,
    actor: Actor,
    reseller_id: int | None,
) -> bool:
    """Rename ``obj`` (an operator, client, account, reseller...): the name checked as
    ``create_named`` checks it, the row locked, an "update" audit row with the old and new
    name. Returns False (and writes nothing) when the name does not change; ``error`` with
    ``taken`` (``{name}``) when another row of the same parent has it."""
    name = clean_name(name, noun, error)
    model = type(obj)
    try:
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=obj.pk)
            if locked.name == name:
                obj.name = name
                return False
            before = {"name": locked.name}
            locked.name = name
            locked.save(update_fields=["name"])
            _record(actor, "update", locked, reseller_id, before=before, after={"name": name})
    except IntegrityError as exc:
        raise error(f"Name: {taken.format(name=name)}") from exc
    obj.name = name
    return True


def delete_audited(obj, *, actor: Actor, reseller_id: int | None, before: dict) -> None:
    """Delete ``obj`` with its "delete" audit row (``before``: what it was). The caller
    checks, in its transaction, that nothing still depends on it."""
    _record(actor, "delete", obj, reseller_id, before=before)
    obj.delete()


def _record(actor: Actor, action: str, obj, reseller_id: int | None, **change) -> None:
    """The audit row of ``action`` on a model instance (its type: the model's name)."""
    record(
        actor,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj),
        reseller_id=reseller_id,
        **change,
    )

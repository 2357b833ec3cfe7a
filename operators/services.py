from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import Actor, record, record_created
from config import text
from config.limits import NAME_MAX, check_length
from core.previews import DeletePreview

from .models import Operator


class OperatorError(Exception):
    pass


def operator_create(*, name: str, reseller, actor: Actor) -> Operator:
    name = (name or "").strip()
    if not name:
        raise OperatorError("Name: enter the operator's name.")
    if problem := check_length("Name", name, NAME_MAX):
        raise OperatorError(problem)
    try:
        with transaction.atomic():
            op = Operator.objects.create(name=name, reseller=reseller)
            record_created(
                actor,
                op,
                reseller_id=op.reseller_id,
                after={"name": op.name, "reseller_id": op.reseller_id},
            )
    except IntegrityError as exc:
        raise OperatorError(
            f"Name: {reseller.name} already has an operator named “{name}”."
        ) from exc
    return op


def operator_delete_preview(operator: Operator) -> DeletePreview:
    """What deleting ``operator`` would do: refused while it owns DIDs."""
    count = operator.dids.count()
    refusal = ""
    if count:
        refusal = (
            f"Operator {operator.name} owns {text.count(count, 'DID')} and cannot be deleted. "
            "Delete or move its DIDs first."
        )
    return DeletePreview(operator, refusal, {"DID": count})


def operator_delete(operator: Operator, *, actor: Actor) -> None:
    with transaction.atomic():
        op = Operator.objects.select_for_update().get(pk=operator.pk)
        preview = operator_delete_preview(op)
        if not preview.allowed:
            raise OperatorError(preview.refusal)
        record(
            actor,
            action="delete",
            object_type="operator",
            object_id=op.pk,
            object_repr=op.name,
            reseller_id=op.reseller_id,
            before={"name": op.name, "reseller_id": op.reseller_id},
        )
        op.delete()

from __future__ import annotations

from django.db import transaction

from audit.services import Actor, record
from config import text
from core.previews import DeletePreview
from core.services import create_named

from .models import Operator


class OperatorError(Exception):
    pass


def operator_create(*, name: str, reseller, actor: Actor) -> Operator:
    return create_named(
        Operator,
        OperatorError,
        name=name,
        noun="operator",
        taken=f"{reseller.name} already has an operator named “{{name}}”.",
        actor=actor,
        reseller_id=reseller.pk,
        reseller=reseller,
    )


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

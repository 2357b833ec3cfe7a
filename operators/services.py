from __future__ import annotations

from django.db import transaction

from audit.services import Actor
from config import text
from core.previews import DeletePreview
from core.services import create_named, delete_audited, rename_named

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


def operator_rename(operator: Operator, *, name: str, actor: Actor) -> bool:
    """Rename ``operator`` (its DIDs follow: they point at the row). False: same name."""
    return rename_named(
        operator,
        OperatorError,
        name=name,
        noun="operator",
        taken=f"{operator.reseller.name} already has an operator named “{{name}}”.",
        actor=actor,
        reseller_id=operator.reseller_id,
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
        delete_audited(
            op,
            actor=actor,
            reseller_id=op.reseller_id,
            before={"name": op.name, "reseller_id": op.reseller_id},
        )

"""Creating, editing and deleting DIDs; operators."""

import pytest

from audit.models import AuditRecord
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import DIDsExist, create_dids, delete_dids, update_dids
from operators.services import OperatorError, operator_create, operator_delete


def test_create_range_set_based_with_one_audit_row_each(world):
    actor = Actor.for_user(world.user)
    result = create_dids(
        parse("0100-0199, +4470000001"),
        operator=world.operator,
        actor=actor,
        status=Status.RESERVED,
        tag="uk",
        notes="batch 1",
    )
    assert result.created == 101
    assert (
        DID.objects.filter(number__startswith="01", status=Status.RESERVED, tag="uk").count() == 100
    )
    assert DID.objects.filter(number="+4470000001", reseller=world.reseller).exists()
    assert AuditRecord.objects.filter(change_set=actor.change_set, action="create").count() == 101


def test_create_reports_existing_numbers_and_changes_nothing(world):
    create_dids(parse("500-509"), operator=world.operator, actor=world.actor)
    with pytest.raises(DIDsExist) as exc:
        create_dids(parse("505-514"), operator=world.operator, actor=world.actor)
    assert exc.value.count == 5 and exc.value.total == 10
    assert str(exc.value) == (
        "5 of these 10 numbers are not available. Skip them, or cancel and change the list."
    )
    assert DID.objects.count() == 10


def test_create_can_skip_existing_numbers(world):
    create_dids(parse("500-509"), operator=world.operator, actor=world.actor)
    result = create_dids(
        parse("505-514"), operator=world.operator, actor=world.actor, skip_existing=True
    )
    assert (result.created, result.skipped) == (5, 5)
    assert DID.objects.count() == 15


def test_create_refuses_an_assigned_start_status(world):
    with pytest.raises(lifecycle.IllegalTransition, match="not Active"):
        create_dids(parse("1"), operator=world.operator, actor=world.actor, status=Status.ACTIVE)
    assert not DID.objects.exists()


def test_overlapping_ranges_create_each_number_once(world):
    result = create_dids(parse("10-20 15-25 20"), operator=world.operator, actor=world.actor)
    assert result.created == 16


def test_update_fields_logs_only_real_changes(world):
    a, b = world.did(tag="x"), world.did(tag="y")
    actor = Actor.for_user(world.user)
    changed = update_dids([a.pk, b.pk], {"tag": "x", "notes": ""}, actor=actor)
    assert changed == 1
    rec = AuditRecord.objects.get(change_set=actor.change_set)
    assert rec.object_id == b.pk and rec.before == {"tag": "y"}  # the changed fields only
    assert rec.after == {"tag": "x"}


def test_delete_refuses_assigned_dids_and_deletes_nothing(world):
    free = world.did()
    held = world.did(Status.ON_HOLD)
    with pytest.raises(
        lifecycle.DIDAssigned, match="1 On Hold DID cannot be deleted: it is assigned"
    ):
        delete_dids([free.pk, held.pk], actor=world.actor)
    assert DID.objects.filter(pk__in=[free.pk, held.pk]).count() == 2
    with pytest.raises(lifecycle.DIDAssigned, match=f"DID {held.number} is On Hold"):
        delete_dids(held, actor=world.actor)


def test_delete_unassigned_writes_audit(world):
    d = world.did(Status.ARCHIVE)
    actor = Actor.for_user(world.user)
    assert delete_dids(d, actor=actor).moved == 1
    assert not DID.objects.filter(pk=d.pk).exists()
    rec = AuditRecord.objects.get(change_set=actor.change_set)
    assert (
        rec.action == "delete" and rec.before["status"] == "archive" and rec.object_repr == d.number
    )


def test_operator_with_dids_cannot_be_deleted(world):
    world.did()
    with pytest.raises(OperatorError, match="owns 1 DID and"):
        operator_delete(world.operator, actor=world.actor)
    empty = operator_create(name="Empty", reseller=world.reseller, actor=world.step())
    operator_delete(empty, actor=world.step())
    assert AuditRecord.objects.filter(object_type="operator", action="delete").count() == 1


def test_operator_name_clash_is_a_clear_message(world):
    with pytest.raises(OperatorError, match="already has an operator named"):
        operator_create(name=world.operator.name, reseller=world.reseller, actor=world.actor)


@pytest.mark.parametrize(
    ("existing", "spec", "count"),
    [
        ("0100-0110", "0105-0120", 6),  # padded range
        ("+100-+120", "+110-+130", 11),  # with +
        ("100-120", "0110-0130", 0),  # other width: other numbers
        ("1000-1010", "100-101", 0),  # a prefix of existing numbers is not a match
        ("98-101", "99-100", 2),  # ends of different lengths: the general path
    ],
)
def test_find_existing_counts_exactly_the_numbers_of_the_spec(world, existing, spec, count):
    from inventory.services import find_existing

    create_dids(parse(existing), operator=world.operator, actor=world.actor)
    assert find_existing(parse(spec))[0] == count

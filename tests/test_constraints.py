"""Database constraints hold even for writes that bypass the services."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Reseller, User
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_did_number_is_unique(world):
    world.did(number="4155550100")
    with pytest.raises(IntegrityError), transaction.atomic():
        DID.objects.create(number="4155550100", operator=world.operator, reseller=world.reseller)


def test_did_number_keeps_leading_zeros_and_plus_as_distinct_numbers(world):
    for n in ("0100", "100", "+100"):
        world.did(number=n)
    assert sorted(DID.objects.values_list("number", flat=True)) == ["+100", "0100", "100"]


@pytest.mark.parametrize("bad", ["12a4", "", "++1", "1+2", " 12"])
def test_did_number_must_be_digits_with_optional_plus(world, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        DID.objects.create(number=bad, operator=world.operator, reseller=world.reseller)


def test_operator_name_unique_per_reseller_only(world, other_world):
    Operator.objects.create(name="Shared", reseller=world.reseller)
    Operator.objects.create(name="Shared", reseller=other_world.reseller)
    with pytest.raises(IntegrityError), transaction.atomic():
        Operator.objects.create(name="Shared", reseller=world.reseller)


def test_status_values_are_checked(world):
    d = world.did()
    with pytest.raises(IntegrityError):
        _raw("UPDATE inventory_did SET status = 'sold' WHERE id = %s", [d.pk])


def test_assigned_status_requires_links(world):
    d = world.did()
    with pytest.raises(IntegrityError):
        _raw("UPDATE inventory_did SET status = 'active' WHERE id = %s", [d.pk])


def test_unassigned_status_forbids_links(world):
    d = world.did(Status.ACTIVE)
    with pytest.raises(IntegrityError):
        _raw("UPDATE inventory_did SET status = 'in_stock' WHERE id = %s", [d.pk])


def test_on_hold_requires_hold_until(world):
    d = world.did(Status.ACTIVE)
    with pytest.raises(IntegrityError):
        _raw("UPDATE inventory_did SET status = 'on_hold' WHERE id = %s", [d.pk])


def test_did_reseller_must_be_its_operators_reseller(world, other_world):
    d = world.did()
    with pytest.raises(IntegrityError):
        _raw(
            "UPDATE inventory_did SET reseller_id = %s WHERE id = %s",
            [other_world.reseller.pk, d.pk],
        )


def test_user_is_admin_without_reseller_or_reseller_user_with_one(db):
    r = Reseller.objects.create(name="R")
    User.objects.create_user("admin", role=User.Role.ADMIN)
    User.objects.create_user("ru", reseller=r)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("bad1", role=User.Role.ADMIN, reseller=r)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("bad2", role=User.Role.RESELLER)


def test_list_filters_and_sorts_have_indexes(db):
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'inventory_did'")
        defs = " ".join(r[0] for r in cur.fetchall())
    for cols in ("(status, id)", "(operator_id, id)", "(reseller_id, id)", "(tag, id)", "(number)"):
        assert cols in defs, cols
    assert "WHERE ((status)::text = 'on_hold'::text)" in defs

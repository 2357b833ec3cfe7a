"""Issue 7, items 2 and 5: every value a user or a file can set is bounded in the form, the
service and the database (PRODUCT.md "Limits", ``config.limits``), and one poisoned row cannot
stop the periodic tasks for everyone else."""

import datetime as dt

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Reseller, User
from clients import services as client_services
from clients.models import Account, Client
from config import limits
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import DIDValueError, create_dids, update_dids
from operators import services as operator_services
from operators.models import Operator
from packages import services as package_services
from packages.models import Package
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

from .bounds import (
    ALLOWANCE_MSG,
    HOLD_DAYS_MSG,
    HUGE,
    LONG_NAME,
    LONG_NOTES,
    LONG_TAG,
    NAME_MSG,
    NOTES_MSG,
    TAG_MSG,
)


def test_the_bounds_are_the_ones_product_md_states():
    assert (limits.HOLD_DAYS_MIN, limits.HOLD_DAYS_MAX) == (0, 3_650)
    assert (limits.DID_ALLOWANCE_MIN, limits.DID_ALLOWANCE_MAX) == (0, 10_000_000)
    assert (limits.TAG_MAX, limits.NOTES_MAX, limits.NAME_MAX, limits.NUMBER_MAX) == (
        64,
        1_000,
        150,
        32,
    )


def msgs(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


# --------------------------------------------------------------------------- forms


def package_form(**over):
    data = {"name": "Gold", "did_allowance": "10", "allowed_tags": "", "hold_days": "30"}
    data.update(over)
    return data


@pytest.mark.parametrize("value", HUGE + [-1])
def test_package_form_refuses_hold_days_past_the_bound(as_a, world, value):
    resp = as_a.post(
        "/packages/new/", package_form(hold_days=str(value), reseller=world.reseller.pk)
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["hold_days"] == [HOLD_DAYS_MSG]
    assert not Package.objects.filter(name="Gold").exists()


@pytest.mark.parametrize("value", [10_000_001, 2_147_483_647, 10**12, -1])
def test_package_form_refuses_an_allowance_past_the_bound(as_a, world, value):
    resp = as_a.post(
        "/packages/new/", package_form(did_allowance=str(value), reseller=world.reseller.pk)
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["did_allowance"] == [ALLOWANCE_MSG]
    assert not Package.objects.filter(name="Gold").exists()


def test_package_form_takes_the_bounds_themselves(as_a, world):
    resp = as_a.post(
        "/packages/new/",
        package_form(did_allowance="10000000", hold_days="3650", reseller=world.reseller.pk),
    )
    assert resp.status_code == 302
    package = Package.objects.get(name="Gold")
    assert (package.did_allowance, package.hold_days) == (10_000_000, 3_650)


def test_package_form_refuses_a_long_name_and_too_many_tags(as_a, world):
    tags = " ".join(f"t{i}" for i in range(limits.ALLOWED_TAGS_MAX + 1))
    resp = as_a.post(
        "/packages/new/",
        package_form(name=LONG_NAME, allowed_tags=tags, reseller=world.reseller.pk),
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert errors["name"] == [NAME_MSG]
    assert errors["allowed_tags"] == ["Allowed tags: at most 100 tags."]


def test_package_edit_form_refuses_hold_days_past_the_bound(as_a, world):
    resp = as_a.post(
        f"/packages/{world.package.pk}/edit/",
        package_form(name="Pack A", hold_days="2000000000", did_allowance=str(10**12)),
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert errors["hold_days"] == [HOLD_DAYS_MSG] and errors["did_allowance"] == [ALLOWANCE_MSG]
    world.package.refresh_from_db()
    assert (world.package.hold_days, world.package.did_allowance) == (30, 100)


def did_form(did, **over):
    data = {
        "status": did.status,
        "operator": did.operator_id,
        "after_hold_status": did.after_hold_status,
        "tag": did.tag,
        "notes": did.notes,
        "hold_days": "" if did.hold_days is None else str(did.hold_days),
        "updated_at": did.updated_at.isoformat(),
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hold_days", "3651", HOLD_DAYS_MSG),
        ("hold_days", "2147483647", HOLD_DAYS_MSG),
        ("hold_days", str(10**12), HOLD_DAYS_MSG),
        ("notes", LONG_NOTES, NOTES_MSG),
        ("tag", LONG_TAG, TAG_MSG),
    ],
)
def test_did_page_refuses_values_past_the_bound(as_a, world, field, value, message):
    did = world.did(Status.ACTIVE)
    resp = as_a.post(
        reverse("inventory:did_detail", args=[did.pk]), did_form(did, **{field: value})
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors[field] == [message]
    fresh = DID.objects.get(pk=did.pk)
    assert (fresh.hold_days, fresh.notes, fresh.tag) == (None, "", "")


def test_new_dids_form_refuses_long_notes_and_tag(as_a, world):
    resp = as_a.post(
        reverse("inventory:did_add"),
        {
            "numbers": "5550100",
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
            "tag": LONG_TAG,
            "notes": LONG_NOTES,
        },
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert errors["notes"] == [NOTES_MSG] and errors["tag"] == [TAG_MSG]
    assert not DID.objects.filter(number="5550100").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notes", LONG_NOTES, "Mass Edit: Notes: at most 1,000 characters."),
        ("tag", LONG_TAG, "Mass Edit: Tag: at most 64 characters."),
        ("hold_days", "3651", "Mass Edit: Hold days: enter a whole number from 0 to 3,650."),
        ("hold_days", str(10**12), "Mass Edit: Hold days: enter a whole number from 0 to 3,650."),
    ],
)
def test_mass_edit_refuses_values_past_the_bound(as_a, world, field, value, message):
    dids = [world.did() for _ in range(2)]
    data = {"ids": [d.pk for d in dids], "action": "update", field: value, "confirm": "1"}
    resp = as_a.post(reverse("inventory:did_bulk_edit"), data, follow=True)
    assert resp.status_code == 200
    assert message in msgs(resp)
    assert not DID.objects.filter(pk__in=[d.pk for d in dids]).exclude(
        notes="", tag="", hold_days=None
    )


def test_operator_client_and_account_forms_refuse_long_names(as_a, world):
    resp = as_a.post("/operators/new/", {"name": LONG_NAME, "reseller": world.reseller.pk})
    assert resp.status_code == 200 and resp.context["form"].errors["name"] == [NAME_MSG]
    resp = as_a.post("/clients/new/", {"name": LONG_NAME, "reseller": world.reseller.pk})
    assert resp.status_code == 200 and resp.context["form"].errors["name"] == [NAME_MSG]
    resp = as_a.post(f"/clients/{world.client.pk}/accounts/new/", {"name": LONG_NAME})
    assert resp.status_code == 200 and resp.context["form"].errors["name"] == [NAME_MSG]
    assert not Operator.objects.filter(name=LONG_NAME).exists()
    assert not Client.objects.filter(name=LONG_NAME).exists()
    assert not Account.objects.filter(name=LONG_NAME).exists()


def test_reseller_and_user_forms_refuse_long_values(as_admin, world):
    resp = as_admin.post("/resellers/new/", {"name": LONG_NAME})
    assert resp.status_code == 200 and resp.context["form"].errors["name"] == [NAME_MSG]
    strong = "correct-horse-battery-9"
    email = "a" * 250 + "@example.com"
    resp = as_admin.post(
        f"/resellers/{world.reseller.pk}/users/new/",
        {"username": "alice", "password1": strong, "password2": strong, "email": email},
    )
    assert resp.status_code == 200
    assert "Email: at most 254 characters." in resp.context["form"].errors["email"]
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("1900-01-01", "", "start_date", "Start date: enter a date from 2000-01-01 to 2999-12-31."),
        (
            "2026-01-01",
            "9999-12-31",
            "end_date",
            "End date: enter a date from 2000-01-01 to 2999-12-31.",
        ),
    ],
)
def test_subscription_form_refuses_dates_past_the_bound(as_a, world, start, end, field, message):
    before = Subscription.objects.count()
    resp = as_a.post(
        "/subscriptions/new/",
        {
            "client": world.client.pk,
            "package": world.package.pk,
            "start_date": start,
            "end_date": end,
        },
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors[field] == [message]
    assert Subscription.objects.count() == before


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("value", HUGE)
def test_package_services_refuse_hold_days_and_allowance_past_the_bound(world, value):
    with pytest.raises(package_services.PackageError, match="^Hold days: "):
        package_services.package_create(
            reseller=world.reseller,
            name="Gold",
            did_allowance=1,
            allowed_tags=[],
            hold_days=value,
            actor=world.actor,
        )
    with pytest.raises(package_services.PackageError, match="^DID allowance: "):
        package_services.package_update(
            world.package,
            name="Pack A",
            did_allowance=value * 10_000,
            allowed_tags=[],
            hold_days=30,
            actor=world.actor,
        )
    world.package.refresh_from_db()
    assert (world.package.hold_days, world.package.did_allowance) == (30, 100)
    assert not Package.objects.filter(name="Gold").exists()


def test_package_services_refuse_long_names_and_tags(world):
    for kwargs, label in [
        ({"name": LONG_NAME}, "Name"),
        ({"allowed_tags": [LONG_TAG]}, "Allowed tags"),
        ({"allowed_tags": [f"t{i}" for i in range(101)]}, "Allowed tags"),
    ]:
        args = {"name": "Gold", "did_allowance": 1, "allowed_tags": [], "hold_days": 1}
        args.update(kwargs)
        with pytest.raises(package_services.PackageError, match=f"^{label}: "):
            package_services.package_create(reseller=world.reseller, actor=world.actor, **args)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notes", LONG_NOTES, NOTES_MSG),
        ("tag", LONG_TAG, TAG_MSG),
        ("hold_days", 3_651, HOLD_DAYS_MSG),
        ("hold_days", 2_147_483_647, HOLD_DAYS_MSG),
    ],
)
def test_did_services_refuse_values_past_the_bound(world, field, value, message):
    did = world.did()
    with pytest.raises(DIDValueError) as exc:
        update_dids([did.pk], {field: value}, actor=world.actor)
    assert str(exc.value) == message
    with pytest.raises(DIDValueError) as exc:
        create_dids(parse("5550100"), operator=world.operator, actor=world.actor, **{field: value})
    assert str(exc.value) == message
    assert not DID.objects.filter(number="5550100").exists()
    fresh = DID.objects.get(pk=did.pk)
    assert (fresh.hold_days, fresh.notes, fresh.tag) == (None, "", "")


def test_did_services_take_the_bounds_themselves(world):
    did = world.did()
    notes = "é" * limits.NOTES_MAX  # characters, not bytes
    update_dids([did.pk], {"notes": notes, "tag": "t" * 64, "hold_days": 3_650}, actor=world.actor)
    did.refresh_from_db()
    assert (did.notes, did.hold_days) == (notes, 3_650)


def test_name_services_refuse_long_names(world):
    with pytest.raises(operator_services.OperatorError, match="^Name: at most 150"):
        operator_services.operator_create(
            name=LONG_NAME, reseller=world.reseller, actor=world.actor
        )
    with pytest.raises(client_services.ClientError, match="^Name: at most 150"):
        client_services.client_create(name=LONG_NAME, reseller=world.reseller, actor=world.actor)
    with pytest.raises(client_services.ClientError, match="^Name: at most 150"):
        client_services.account_create(client=world.client, name=LONG_NAME, actor=world.actor)
    with pytest.raises(account_services.AccountError, match="^Name: at most 150"):
        account_services.reseller_create(name=LONG_NAME, actor=world.actor)
    with pytest.raises(account_services.AccountError, match="^Email: at most 254"):
        account_services.user_create(
            username="alice",
            password="correct-horse-battery-9",
            email="a" * 255,
            reseller=world.reseller,
            actor=world.actor,
        )


def test_subscription_service_refuses_dates_past_the_bound(world):
    with pytest.raises(subscription_services.SubscriptionError, match="^Start date: "):
        subscription_services.subscription_create(
            client=world.client,
            package=world.package,
            start_date=dt.date(1, 1, 1),
            actor=world.actor,
        )
    with pytest.raises(subscription_services.SubscriptionError, match="^End date: "):
        subscription_services.subscription_create(
            client=world.client,
            package=world.package,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(9999, 12, 31),
            actor=world.actor,
        )


# --------------------------------------------------------------------------- database


def refused_by_the_database(exc_type, query):
    with pytest.raises(exc_type), transaction.atomic():
        query()


@pytest.mark.parametrize(
    "changes",
    [
        {"hold_days": 3_651},
        {"hold_days": 2_147_483_647},
        {"notes": LONG_NOTES},
        {"notes": "é" * (limits.NOTES_MAX + 1)},
    ],
)
def test_the_database_refuses_did_values_past_the_bound(world, changes):
    did = world.did()
    refused_by_the_database(IntegrityError, lambda: DID.objects.filter(pk=did.pk).update(**changes))


def test_the_database_refuses_long_did_text_and_names(world):
    did = world.did()
    refused_by_the_database(DataError, lambda: DID.objects.filter(pk=did.pk).update(tag=LONG_TAG))
    refused_by_the_database(
        DataError, lambda: DID.objects.filter(pk=did.pk).update(number="1" * 33)
    )
    for model, obj in [
        (Operator, world.operator),
        (Client, world.client),
        (Account, world.account),
        (Package, world.package),
        (Reseller, world.reseller),
    ]:
        refused_by_the_database(
            DataError, lambda m=model, o=obj: m.objects.filter(pk=o.pk).update(name=LONG_NAME)
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"hold_days": 3_651},
        {"hold_days": 2_000_000_000},
        {"did_allowance": 10_000_001},
        {"allowed_tags": [f"t{i}" for i in range(101)]},
    ],
)
def test_the_database_refuses_package_values_past_the_bound(world, changes):
    refused_by_the_database(
        IntegrityError, lambda: Package.objects.filter(pk=world.package.pk).update(**changes)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"start_date": dt.date(1999, 12, 31)},
        {"end_date": dt.date(3000, 1, 1)},
    ],
)
def test_the_database_refuses_subscription_dates_past_the_bound(world, changes):
    refused_by_the_database(
        IntegrityError,
        lambda: Subscription.objects.filter(pk=world.subscription.pk).update(**changes),
    )


def test_the_database_refuses_raw_sql_past_the_bound(world):
    did = world.did()
    for sql, params in [
        ("UPDATE inventory_did SET hold_days = 2147483647 WHERE id = %s", [did.pk]),
        ("UPDATE inventory_did SET notes = repeat('x', 9000000) WHERE id = %s", [did.pk]),
        ("UPDATE packages_package SET hold_days = 2000000000 WHERE id = %s", [world.package.pk]),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)

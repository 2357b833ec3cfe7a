"""Issue 7, item 2: one poisoned row cannot stop the periodic tasks (subscription expiry, the hold
sweep) for everyone else, and an import refuses values past the bounds of ``config.limits``."""

import datetime as dt
import logging

import pytest
from django.db import connection
from django.utils import timezone

from config import limits
from imports import preview, readers, services
from imports.errors import ImportFileError
from imports.spec import ImportSpec, refusal_text
from inventory import lifecycle
from inventory import tasks as inventory_tasks
from inventory.choices import Status
from inventory.lifecycle import subscriptions as lifecycle_subscriptions
from inventory.models import DID
from subscriptions import tasks as subscription_tasks
from subscriptions.models import Subscription

from .bounds import LONG_NOTES, LONG_TAG

# --------------------------------------------------------------------------- the schedule


def force(sql: str, params=None) -> None:
    """Write a value the constraints refuse, as data from before them would be: drop the
    constraint inside the test's transaction (rolled back with it)."""
    with connection.cursor() as cur:
        if sql.lstrip().startswith(("ALTER", "CREATE")):
            # DDL waits for no deferred foreign-key checks: run the pending ones now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(sql, params)
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cur.execute(sql, params)


def ended(world) -> tuple[Subscription, list[DID]]:
    """World's subscription, its end date passed, with two Active DIDs."""
    dids = [world.did(Status.ACTIVE) for _ in range(2)]
    sub = world.subscription
    Subscription.objects.filter(pk=sub.pk).update(end_date=sub.start_date)
    return sub, dids


def test_a_poisoned_package_cannot_stop_another_resellers_subscriptions_expiring(
    world, other_world
):
    sub_a, dids_a = ended(world)
    sub_b, dids_b = ended(other_world)
    assert sub_a.pk < sub_b.pk  # A's is expired first: it used to stop the loop
    force("ALTER TABLE packages_package DROP CONSTRAINT IF EXISTS package_hold_days_in_range")
    force("UPDATE packages_package SET hold_days = 2000000000 WHERE id = %s", [world.package.pk])

    before = timezone.now()
    assert subscription_tasks.expire_subscriptions() == 2

    sub_b.refresh_from_db()
    assert sub_b.status == Subscription.Status.EXPIRED
    for did in DID.objects.filter(pk__in=[d.pk for d in dids_b]):
        assert did.status == Status.ON_HOLD
        assert did.hold_until - before < dt.timedelta(days=31)
    # A's own hold is capped at the largest legal hold instead of overflowing.
    sub_a.refresh_from_db()
    assert sub_a.status == Subscription.Status.EXPIRED
    for did in DID.objects.filter(pk__in=[d.pk for d in dids_a]):
        assert did.status == Status.ON_HOLD
        assert dt.timedelta(days=3_650) <= did.hold_until - before < dt.timedelta(days=3_651)


def poison_did_updates(did_id: int) -> None:
    """A database fault on one DID: every UPDATE of that row fails."""
    force(
        """
        CREATE FUNCTION pg_temp.poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'poisoned DID %', OLD.id; END $$;
        """
    )
    force(
        "CREATE TRIGGER poisoned BEFORE UPDATE ON inventory_did FOR EACH ROW "
        f"WHEN (OLD.id = {int(did_id)}) EXECUTE FUNCTION pg_temp.poisoned()"
    )


def test_a_failing_subscription_is_logged_and_skipped_and_the_others_expire(
    world, other_world, caplog
):
    sub_a, dids_a = ended(world)
    sub_b, dids_b = ended(other_world)
    poison_did_updates(dids_a[0].pk)

    with caplog.at_level(logging.ERROR, logger="inventory.lifecycle.subscriptions"):
        assert subscription_tasks.expire_subscriptions() == 1

    sub_b.refresh_from_db()
    assert sub_b.status == Subscription.Status.EXPIRED
    assert set(
        DID.objects.filter(pk__in=[d.pk for d in dids_b]).values_list("status", flat=True)
    ) == {Status.ON_HOLD}
    # A's expiry rolled back whole: still active, its DIDs untouched, due again next run.
    sub_a.refresh_from_db()
    assert sub_a.status == Subscription.Status.ACTIVE
    assert set(
        DID.objects.filter(pk__in=[d.pk for d in dids_a]).values_list("status", flat=True)
    ) == {Status.ACTIVE}
    assert any(f"subscription {sub_a.pk} failed" in r.getMessage() for r in caplog.records)


def test_a_subscription_whose_expiry_raises_is_skipped(world, other_world, monkeypatch):
    sub_a, _ = ended(world)
    sub_b, _ = ended(other_world)
    real = lifecycle.expire_subscription

    def flaky(subscription, **kwargs):
        if subscription == sub_a.pk:
            raise RuntimeError("boom")
        return real(subscription, **kwargs)

    # The sweep calls it from its own module.
    monkeypatch.setattr(lifecycle_subscriptions, "expire_subscription", flaky)
    assert lifecycle.expire_subscriptions() == 1
    sub_a.refresh_from_db()
    sub_b.refresh_from_db()
    assert (sub_a.status, sub_b.status) == (Subscription.Status.ACTIVE, Subscription.Status.EXPIRED)


def due_holds(world, count: int) -> list[DID]:
    dids = [world.did(Status.ON_HOLD) for _ in range(count)]
    DID.objects.filter(pk__in=[d.pk for d in dids]).update(
        hold_until=timezone.now() - dt.timedelta(minutes=1)
    )
    return dids


def test_a_failing_hold_batch_cannot_stop_the_hold_sweep(world, other_world, monkeypatch, caplog):
    monkeypatch.setattr(inventory_tasks, "HOLD_BATCH", 4)
    held_a = due_holds(world, 5)
    held_b = due_holds(other_world, 5)
    poison_did_updates(held_a[1].pk)

    with caplog.at_level(logging.WARNING, logger="inventory.tasks"):
        assert inventory_tasks.expire_holds() == 9

    statuses = dict(DID.objects.values_list("pk", "status"))
    assert statuses[held_a[1].pk] == Status.ON_HOLD  # skipped, due again next run
    assert all(statuses[d.pk] == Status.IN_STOCK for d in held_a if d.pk != held_a[1].pk)
    assert all(statuses[d.pk] == Status.IN_STOCK for d in held_b)
    assert any(f"DID id {held_a[1].pk} failed" in r.getMessage() for r in caplog.records)


def test_the_hold_sweep_gives_up_when_everything_fails(world, monkeypatch):
    monkeypatch.setattr(inventory_tasks, "HOLD_BATCH", 2)
    monkeypatch.setattr(inventory_tasks, "HOLD_FAILURES_MAX", 3)
    due_holds(world, 6)
    calls = []

    def broken(**kwargs):
        calls.append(kwargs["ids"])
        raise RuntimeError("database is gone")

    monkeypatch.setattr(lifecycle, "expire_holds", broken)
    assert inventory_tasks.expire_holds() == 0
    assert len(calls) == 3


def test_holding_a_did_with_out_of_range_hold_days_is_capped_not_a_500(world):
    did = world.did(Status.ACTIVE)
    force("ALTER TABLE inventory_did DROP CONSTRAINT IF EXISTS did_hold_days_in_range")
    force("UPDATE inventory_did SET hold_days = 2147483647 WHERE id = %s", [did.pk])
    before = timezone.now()
    lifecycle.hold(did, actor=world.actor)
    did.refresh_from_db()
    assert did.status == Status.ON_HOLD
    assert dt.timedelta(days=3_650) <= did.hold_until - before < dt.timedelta(days=3_651)


# --------------------------------------------------------------------------- import


def import_spec(world, path, **kw) -> ImportSpec:
    info = preview.inspect_file(path, readers.kind_of(str(path)))
    return ImportSpec(
        path=path,
        kind=info.kind,
        delimiter=info.delimiter,
        has_header=info.has_header,
        mapping=info.mapping,
        reseller_id=world.reseller.pk,
        operator_id=world.operator.pk,
        status=Status.IN_STOCK,
        **kw,
    )


@pytest.fixture
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return tmp_path


def test_import_refuses_rows_with_hold_days_notes_or_tag_past_the_bound(world, import_dir):
    world.did(Status.IN_STOCK, number="600")
    path = import_dir / "bounds.csv"
    path.write_text(
        "DID,Hold days,Notes,Tag\n"
        "600,3651,,\n"
        "601,99999999999,,\n"
        f"602,,{LONG_NOTES},\n"
        f"603,,,{LONG_TAG}\n"
        f"604,3650,{'y' * limits.NOTES_MAX},{'t' * limits.TAG_MAX}\n"
    )
    rep = services.check(import_spec(world, path))
    assert [refusal_text(e) for e in rep.errors] == [
        "Row 2, Hold days: “3651” is more than 3,650 days",
        "Row 3, Hold days: “99999999999” is more than 3,650 days",
        "Row 4, Notes: longer than 1,000 characters",
        "Row 5, Tag: longer than 64 characters",
    ]

    rep = services.apply(import_spec(world, path), actor=world.actor, only_valid=True)
    assert (rep.created, rep.refused) == (1, 4)
    assert DID.objects.get(number="600").hold_days is None
    assert set(DID.objects.values_list("number", flat=True)) == {"600", "604"}
    assert DID.objects.get(number="604").hold_days == 3_650


def test_import_refuses_default_notes_past_the_bound(world, import_dir):
    path = import_dir / "plain.csv"
    path.write_text("DID\n700\n")
    with pytest.raises(ImportFileError, match="^Notes: "):
        services.check(import_spec(world, path, notes=LONG_NOTES))

"""Assignment under real concurrent transactions on PostgreSQL (one connection per thread)."""

import threading

import pytest
from django.db import connection, connections

from audit.services import Actor
from clients.models import Account, Client
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from subscriptions.models import Subscription

from .conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def race(*jobs):
    """Run each job in its own thread (so its own connection and transaction), all released
    at the same instant by a barrier. Returns what each job returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def slow_updates():
    """Make every DID UPDATE take a little while, so racing transactions really overlap."""
    yield slow_down_dids_updates
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER IF EXISTS test_slow ON inventory_did")


def slow_down_dids_updates():
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE OR REPLACE FUNCTION test_slow() RETURNS trigger AS $$
            BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_slow BEFORE UPDATE ON inventory_did
            FOR EACH ROW EXECUTE FUNCTION test_slow();
            """
        )


@pytest.mark.parametrize("attempt", range(3))
def test_racing_for_the_last_slot_never_exceeds_the_allowance(attempt, slow_updates):
    w = World(f"race{attempt}")
    w.package.did_allowance = 1
    w.package.save()
    dids = [w.did() for _ in range(4)]
    slow_updates()
    jobs = [
        (lambda d=d: lifecycle.assign(d.pk, account=w.account.pk, actor=Actor.for_user(w.user)))
        for d in dids
    ]
    results = race(*jobs)
    wins = [r for r in results if isinstance(r, lifecycle.MoveResult)]
    losses = [r for r in results if isinstance(r, lifecycle.AllowanceExceeded)]
    assert len(wins) == 1 and len(losses) == 3, results
    assert DID.objects.filter(subscription=w.subscription).count() == 1
    assert DID.objects.filter(status=Status.ACTIVE).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_racing_for_the_same_did_gives_it_to_one_account(attempt, slow_updates):
    w = World(f"same{attempt}")
    other_client = Client.objects.create(name="Other", reseller=w.reseller)
    other_account = Account.objects.create(client=other_client, name="acc_other")
    Subscription.objects.create(client=other_client, package=w.package, start_date="2026-01-01")
    did = w.did()
    slow_updates()
    results = race(
        lambda: lifecycle.assign(did.pk, account=w.account.pk, actor=Actor.for_user(w.user)),
        lambda: lifecycle.assign(did.pk, account=other_account.pk, actor=Actor.for_user(w.user)),
    )
    wins = [r for r in results if isinstance(r, lifecycle.MoveResult)]
    losses = [r for r in results if isinstance(r, lifecycle.IllegalTransition)]
    assert len(wins) == 1 and len(losses) == 1, results
    did.refresh_from_db()
    assert did.status == Status.ACTIVE
    assert did.account_id in (w.account.pk, other_account.pk)
    from audit.models import AuditRecord

    assert AuditRecord.objects.filter(object_id=did.pk, action="assign").count() == 1


def test_racing_bulk_assignments_never_exceed_the_allowance(slow_updates):
    w = World("bulk")
    w.package.did_allowance = 5
    w.package.save()
    dids = [w.did() for _ in range(9)]
    slow_updates()
    batches = [dids[0:3], dids[3:6], dids[6:9]]
    results = race(
        *[
            (
                lambda b=b: lifecycle.assign(
                    [d.pk for d in b], account=w.account.pk, actor=Actor.for_user(w.user)
                )
            )
            for b in batches
        ]
    )
    wins = [r for r in results if isinstance(r, lifecycle.MoveResult)]
    assert len(wins) == 1
    assert DID.objects.filter(subscription=w.subscription).count() == 3

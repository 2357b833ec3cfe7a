"""Set-based moves under real concurrent transactions: no deadlock between two moves over the
same DIDs, one retry after a deadlock, and a clear "try again" when it persists (issue 7,
item 4: the hold sweep against a user's Mass Edit of the same DIDs)."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import connection, transaction

from audit.models import AuditRecord
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import AfterHold, Status
from inventory.models import DID
from inventory.services import delete_dids, update_dids
from inventory.tasks import sweep_holds
from jobs import services as jobs
from jobs.models import Job

from .conftest import World
from .test_concurrency import race, slow_down_dids_updates

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_updates():
    """Every DID UPDATE takes a little while, so racing transactions really overlap."""
    yield slow_down_dids_updates
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER IF EXISTS test_slow ON inventory_did")


def _set(**gucs) -> None:
    with connection.cursor() as cur:
        for name, value in gucs.items():
            cur.execute(f"SET {name} = {value}")


def _lay_out_backwards() -> None:
    """Store the DIDs' rows in descending id order: a sequential scan then meets them from the
    highest id down, an index scan from the lowest up."""
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE backwards AS SELECT * FROM inventory_did ORDER BY id DESC")
        cur.execute("DELETE FROM inventory_did")
        cur.execute("INSERT INTO inventory_did SELECT * FROM backwards ORDER BY id DESC")
        cur.execute("DROP TABLE backwards")
        cur.execute("ANALYZE inventory_did")


# A plan per transaction, so that each UPDATE meets (and so locks) the same rows in the
# opposite order of the other's: a sequential scan (highest id first, see above) against
# index scans (lowest id first).
BY_SCAN = {"enable_indexscan": "off", "enable_bitmapscan": "off", "enable_indexonlyscan": "off"}
BY_INDEX = {"enable_seqscan": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}


def _deadlocks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "deadlock" in r.getMessage()]


@pytest.mark.parametrize("attempt", range(2))
def test_two_moves_over_the_same_dids_in_opposite_orders_do_not_deadlock(
    attempt, slow_updates, caplog
):
    """A status move and a Mass Edit field change over the same DIDs, each planned to meet
    the rows in the opposite order: both lock in id order first, so one waits for the other;
    no deadlock is even detected (before, one failed or both deadlocked twice)."""
    caplog.set_level(logging.WARNING, logger="inventory.lifecycle")
    w = World(f"dl{attempt}")
    ids = [w.did().pk for _ in range(8)]
    _lay_out_backwards()
    slow_updates()
    selection = DID.objects.filter(reseller=w.reseller)

    def move():
        _set(**BY_SCAN)
        return lifecycle.set_status(selection, Status.ARCHIVE, actor=Actor.for_user(w.user))

    def edit():
        _set(**BY_INDEX)
        return update_dids(selection, {"tag": "gold"}, actor=Actor.for_user(w.user))

    moved, edited = race(move, edit)

    assert isinstance(moved, lifecycle.MoveResult) and moved.moved == 8, moved
    assert edited == 8, edited
    assert _deadlocks(caplog) == []
    assert sorted(DID.objects.values_list("id", "status", "tag")) == [
        (pk, Status.ARCHIVE, "gold") for pk in ids
    ]


def test_the_hold_sweep_and_a_mass_edit_of_the_same_dids_both_finish(slow_updates, caplog):
    """The reported case: the periodic hold sweep releases due DIDs while a user's Mass Edit
    sets their after-hold status and notes; each in its own plan order."""
    caplog.set_level(logging.WARNING, logger="inventory.lifecycle")
    w = World("sweep")
    dids = [w.did(Status.ON_HOLD) for _ in range(8)]
    DID.objects.filter(pk__in=[d.pk for d in dids]).update(hold_until="2020-01-01T00:00Z")
    _lay_out_backwards()
    slow_updates()
    selection = DID.objects.filter(reseller=w.reseller)

    def sweep():
        _set(**BY_SCAN)
        return sweep_holds()

    def mass_edit():
        _set(**BY_INDEX)
        with transaction.atomic():
            return update_dids(
                selection,
                {"after_hold_status": AfterHold.ARCHIVE, "notes": "edited"},
                actor=Actor.for_user(w.user),
            )

    released, edited = race(sweep, mass_edit)

    assert released == 8 and edited == 8, (released, edited)
    assert _deadlocks(caplog) == []
    assert set(DID.objects.values_list("notes", flat=True)) == {"edited"}
    assert not DID.objects.filter(status=Status.ON_HOLD).exists()


def test_a_deadlock_that_persists_is_a_clear_try_again_and_changes_nothing(caplog):
    """Two transactions that each hold a DID the other's next move needs: PostgreSQL picks one
    as the deadlock's victim; its move is tried once more, meets the same deadlock, and is
    refused with the "try again" message; its transaction rolls back whole and the other
    finishes."""
    caplog.set_level(logging.WARNING, logger="inventory.lifecycle")
    w = World("stuck")
    # y in another counts-table combination (its tag) than x: the first steps of the two
    # transactions touch different counts rows, so they meet only on the DIDs themselves.
    x, y = w.did(), w.did(tag="y")
    halfway = threading.Barrier(2, timeout=60)  # a wait that never ends fails, not hangs

    def first():
        with transaction.atomic():
            lifecycle.set_status([x.pk], Status.ARCHIVE, actor=Actor.for_user(w.user))
            halfway.wait()
            lifecycle.set_status([y.pk], Status.ARCHIVE, actor=Actor.for_user(w.user))
        return "done"

    def second():
        with transaction.atomic():
            update_dids([y.pk], {"tag": "second"}, actor=Actor.for_user(w.user))
            halfway.wait()
            update_dids([x.pk], {"tag": "second"}, actor=Actor.for_user(w.user))
        return "done"

    results = race(first, second)

    busy = [r for r in results if isinstance(r, lifecycle.DIDsBusy)]
    assert len(busy) == 1 and results.count("done") == 1, results
    assert str(busy[0]) == "The DIDs are being changed by someone else right now; try again."
    assert len(_deadlocks(caplog)) == 2  # the deadlock, the retry's deadlock
    x.refresh_from_db()
    y.refresh_from_db()
    if results[0] == "done":  # the move won: the edit rolled back whole
        assert (x.status, y.status, x.tag, y.tag) == (Status.ARCHIVE, Status.ARCHIVE, "", "y")
    else:
        assert (x.status, y.status, x.tag, y.tag) == (
            Status.IN_STOCK,
            Status.IN_STOCK,
            "second",
            "second",
        )


# --------------------------------------------------------------------------- deadlock as a fault


@pytest.fixture
def deadlocking():
    """Every UPDATE and DELETE of a DID fails as PostgreSQL's deadlock victim does (SQLSTATE
    40P01), the first ``times`` times (None: always); ``attempts()`` counts them."""

    def install(times: int | None = None):
        limit = "NULL" if times is None else str(times)
        with connection.cursor() as cur:
            cur.execute(
                f"""
                CREATE SEQUENCE IF NOT EXISTS test_deadlocks;
                CREATE OR REPLACE FUNCTION test_deadlock() RETURNS trigger AS $$
                BEGIN
                  IF nextval('test_deadlocks') <= COALESCE({limit}, 1e18) THEN
                    RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected';
                  END IF;
                  RETURN NULL;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER test_deadlock BEFORE UPDATE OR DELETE ON inventory_did
                FOR EACH STATEMENT EXECUTE FUNCTION test_deadlock();
                """
            )

    def attempts() -> int:
        # nextval() is not rolled back with the failed statements: it counts every try.
        with connection.cursor() as cur:
            cur.execute("SELECT last_value, is_called FROM test_deadlocks")
            value, called = cur.fetchone()
            return value if called else 0

    install.attempts = attempts
    yield install
    with connection.cursor() as cur:
        cur.execute(
            "DROP TRIGGER IF EXISTS test_deadlock ON inventory_did; "
            "DROP SEQUENCE IF EXISTS test_deadlocks"
        )


def test_a_move_that_deadlocks_once_is_retried_and_applies(deadlocking):
    w = World("once")
    dids = [w.did() for _ in range(3)]
    deadlocking(times=1)
    result = lifecycle.set_status([d.pk for d in dids], Status.ARCHIVE, actor=w.actor)
    assert result.moved == 3 and deadlocking.attempts() == 2
    assert set(DID.objects.values_list("status", flat=True)) == {Status.ARCHIVE}
    assert AuditRecord.objects.filter(action="set_status").count() == 3  # one try's records


@pytest.mark.parametrize(
    "write",
    [
        lambda ids, w: lifecycle.set_status(ids, Status.ARCHIVE, actor=w.actor),
        lambda ids, w: update_dids(ids, {"tag": "x"}, actor=w.actor),
        lambda ids, w: delete_dids(ids, actor=w.actor),
    ],
    ids=["move", "edit", "delete"],
)
def test_a_write_that_deadlocks_twice_is_refused_as_busy(deadlocking, write):
    w = World("twice")
    ids = [w.did().pk for _ in range(3)]
    before = sorted(DID.objects.values_list("id", "status", "tag"))
    deadlocking()
    with pytest.raises(lifecycle.DIDsBusy, match="being changed by someone else right now"):
        write(ids, w)
    assert deadlocking.attempts() == 2  # tried, and tried once more
    assert sorted(DID.objects.values_list("id", "status", "tag")) == before


def test_mass_edit_that_deadlocks_twice_says_try_again_not_500(client, deadlocking):
    w = World("view")
    ids = [w.did().pk for _ in range(3)]
    client.force_login(w.user)
    deadlocking()
    resp = client.post(
        "/dids/mass-edit/",
        {"ids": ids, "set_status": "archive", "action": "update", "confirm": "1"},
        follow=True,
    )
    assert resp.status_code == 200
    assert (
        "Mass Edit: The DIDs are being changed by someone else right now; try again."
        in resp.content.decode()
    )
    assert set(DID.objects.values_list("status", flat=True)) == {Status.IN_STOCK}


def test_a_background_mass_edit_that_deadlocks_twice_ends_failed_saying_try_again(deadlocking):
    w = World("job")
    ids = [w.did().pk for _ in range(3)]
    job = Job.objects.create(
        kind=Job.Kind.MASS_EDIT,
        user=w.user,
        reseller=w.reseller,
        total=3,
        params={"action": "update", "ids": ids, "set_status": "archive", "changes": {}},
    )
    deadlocking()
    job = jobs.run(job.pk)
    assert job.status == Job.Status.FAILED and not job.ok
    assert job.message == (
        "Nothing was changed. The DIDs are being changed by someone else right now; try again."
    )
    assert set(DID.objects.values_list("status", flat=True)) == {Status.IN_STOCK}

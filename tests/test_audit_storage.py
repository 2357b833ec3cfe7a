"""Issue 10, storage: one change set per user action and one compact entry per changed
object (changed fields only), entries in monthly partitions that retention drops whole;
every path that changes data leaves its record; a reseller reads only its own."""

import datetime as dt
import io
import uuid

from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from audit import partitions, selectors
from audit.choices import Kind
from audit.models import ChangeSet, Entry
from audit.services import Actor, record
from inventory import lifecycle
from inventory import tasks as inventory_tasks
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, update_dids
from subscriptions import tasks as subscription_tasks
from subscriptions.models import Subscription


def change_set_of(actor: Actor) -> ChangeSet:
    return ChangeSet.objects.get(uuid=actor.change_set)


def latest(**filters) -> ChangeSet:
    return ChangeSet.objects.filter(**filters).order_by("-id").first()


# --------------------------------------------------------------------------- the storage


def test_record_writes_one_change_set_and_an_entry_of_the_changed_fields(world):
    actor = world.step()
    record(
        actor,
        action="update",
        object_type="package",
        object_id=world.package.pk,
        object_repr="Pack A",
        reseller_id=world.reseller.pk,
        before={"name": "Pack A", "hold_days": 30, "did_allowance": 100},
        after={"name": "Pack A", "hold_days": 10, "did_allowance": 100},
        message="shorter holds",
    )
    cs = change_set_of(actor)
    assert (cs.action, cs.username, cs.user_id) == ("update", world.user.username, world.user.pk)
    assert (cs.object_type, cs.object_id, cs.object_repr) == ("package", world.package.pk, "Pack A")
    assert cs.reseller_id == world.reseller.pk and cs.message == "shorter holds"
    assert cs.counts == {"package.update": 1} and cs.total == 1
    entry = Entry.objects.get(change_set=cs)
    assert entry.kind == Kind.UPDATE and entry.created_at == cs.created_at
    assert (entry.before, entry.after) == ({"hold_days": 30}, {"hold_days": 10})


def test_one_actor_is_one_change_set_whatever_it_writes(world):
    actor = world.step()
    create_dids(parse("5550000-5550009"), operator=world.operator, actor=actor)
    ids = list(DID.objects.filter(number__startswith="555000").values_list("id", flat=True))
    lifecycle.set_status(DID.objects.filter(pk__in=ids[:4]), Status.ARCHIVE, actor=actor)
    update_dids(ids, {"tag": "gold"}, actor=actor)
    cs = change_set_of(actor)
    assert cs.action == "create"  # the first write names the action
    assert cs.counts == {"did.create": 10, "did.in_stock>archive": 4, "did.update": 10}
    assert cs.total == 24 == Entry.objects.filter(change_set=cs).count()
    assert cs.reseller_id == world.reseller.pk
    moved = Entry.objects.filter(change_set=cs, after__status="archive")
    assert moved.count() == 4
    assert all(e.before == {"status": "in_stock"} for e in moved)
    created = Entry.objects.filter(change_set=cs, kind=Kind.CREATE).first()
    assert created.before is None and created.after["status"] == "in_stock"


def test_a_move_from_several_statuses_logs_each_ones_before(world):
    stock, archived = world.did(), world.did(Status.ARCHIVE)
    actor = world.step()
    both = DID.objects.filter(pk__in=[stock.pk, archived.pk])
    assert lifecycle.change_status(both, Status.RESERVED, actor=actor).moved == 2
    cs = change_set_of(actor)
    assert cs.counts == {"did.in_stock>reserved": 1, "did.archive>reserved": 1}
    before = dict(Entry.objects.filter(change_set=cs).values_list("object_id", "before"))
    assert before == {stock.pk: {"status": "in_stock"}, archived.pk: {"status": "archive"}}
    # Bulk entries go straight to their month's partition.
    assert _partition_of(cs.pk) == f"audit_entry_{cs.created_at:%Y_%m}"


def test_a_move_logs_only_the_fields_it_changed(world):
    did = world.did(Status.ACTIVE)
    actor = world.step()
    lifecycle.hold(did, actor=actor)
    entry = Entry.objects.get(change_set=change_set_of(actor))
    assert entry.before == {"status": "active", "hold_until": None}
    assert set(entry.after) == {"status", "hold_until"} and entry.after["status"] == "on_hold"
    assert change_set_of(actor).counts == {"did.active>on_hold": 1}


def test_a_deleted_did_keeps_its_number(world):
    did = world.did(Status.ARCHIVE)
    from inventory.services import delete_dids

    actor = world.step()
    delete_dids(did, actor=actor)
    entry = Entry.objects.get(change_set=change_set_of(actor))
    assert entry.kind == Kind.DELETE and entry.after is None
    assert entry.before["number"] == did.number and entry.before["status"] == "archive"


def test_an_action_that_changes_nothing_lists_no_change_set(world):
    did = world.did(tag="x")
    actor = world.step()
    assert update_dids([did.pk], {"tag": "x"}, actor=actor) == 0
    assert not Entry.objects.filter(change_set__uuid=actor.change_set).exists()
    visible = selectors.change_sets_for(None, every_reseller=True)
    assert not visible.filter(uuid=actor.change_set).exists()


def test_the_request_id_is_recorded(client, world):
    client.force_login(world.user)
    resp = client.post(
        reverse("clients:client_add"),
        {"name": "Rose Orig", "reseller": world.reseller.pk},
        HTTP_X_REQUEST_ID="req-42.a",
    )
    assert resp.status_code == 302 and resp["X-Request-ID"] == "req-42.a"
    assert latest(action="create", object_type="client").request_id == "req-42.a"
    # A header that is not an id is replaced by a new one.
    resp = client.get("/audit/", HTTP_X_REQUEST_ID="bad id\x01")
    assert resp["X-Request-ID"] != "bad id\x01" and len(resp["X-Request-ID"]) == 32


# --------------------------------------------------------------------------- tenancy


def test_resellers_read_only_their_own_change_sets_and_entries(world, other_world, admin):
    mine, theirs = world.did(), other_world.did()
    both = Actor.for_user(admin)  # a platform admin's action across two resellers
    lifecycle.set_status(DID.objects.filter(pk__in=[mine.pk, theirs.pk]), "archive", actor=both)
    a_only = world.step()
    update_dids([mine.pk], {"notes": "mine"}, actor=a_only)

    cs_both = change_set_of(both)
    assert cs_both.reseller_id is None and cs_both.total == 2
    seen_a = selectors.change_sets_for(world.reseller.pk, every_reseller=False)
    seen_b = selectors.change_sets_for(other_world.reseller.pk, every_reseller=False)
    assert seen_a.filter(uuid=a_only.change_set).exists()
    assert not seen_b.filter(uuid=a_only.change_set).exists()
    assert not seen_a.filter(uuid=both.change_set).exists()  # it holds B's DID too
    assert (
        selectors.change_set(a_only.change_set, other_world.reseller.pk, every_reseller=False)
        is None
    )
    assert selectors.change_set(both.change_set, None, every_reseller=True) == cs_both
    # Each reseller sees its own DID's entry of the shared action, and not the other's.
    assert [
        e.object_id for e in selectors.entries_of(cs_both, world.reseller.pk, every_reseller=False)
    ] == [mine.pk]
    history_b = selectors.history("did", mine.pk, other_world.reseller.pk, every_reseller=False)
    assert not history_b.exists()
    history_a = selectors.history("did", mine.pk, world.reseller.pk, every_reseller=False)
    assert [e.change_set.action for e in history_a][:2] == ["edit", "set_status"]


def test_count_rows_word_the_counts():
    rows = selectors.count_rows({"did.in_stock>archive": 5, "client.create": 1})
    assert [(r.object_type, r.kind, r.source, r.target, r.count) for r in rows] == [
        ("did", "status", "in_stock", "archive", 5),
        ("client", "create", "", "", 1),
    ]


# --------------------------------------------------------------------------- partitions


def _entry_at(when: dt.datetime) -> int:
    """A change set and one entry written at ``when`` (a past or future month)."""
    cs = ChangeSet.objects.create(uuid=uuid.uuid4(), action="test", created_at=when, total=1)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_entry (change_set_id, created_at, object_id, kind, object_type)"
            " VALUES (%s, %s, 1, 1, 'did')",
            [cs.pk, when],
        )
    return cs.pk


def _partition_of(cs_id: int) -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tableoid::regclass::text FROM audit_entry WHERE change_set_id = %s", [cs_id]
        )
        return cur.fetchone()[0]


def test_entries_go_to_their_months_partition_and_none_is_ever_missing(db):
    now = timezone.now()
    assert _partition_of(_entry_at(now)) == f"audit_entry_{now:%Y_%m}"
    far = dt.datetime(2031, 7, 15, tzinfo=dt.UTC)
    cs_id = _entry_at(far)  # no partition yet: the default one takes it
    assert _partition_of(cs_id) == "audit_entry_default"
    # Creating the month's partition moves its rows out of the default one.
    assert partitions.ensure(now=far, ahead=1) == ["audit_entry_2031_07", "audit_entry_2031_08"]
    assert _partition_of(cs_id) == "audit_entry_2031_07"
    assert partitions.ensure(now=far, ahead=0) == ["audit_entry_2031_07"]  # idempotent


def test_retention_drops_whole_old_months_and_their_change_sets(db, settings):
    now = dt.datetime(2031, 7, 15, tzinfo=dt.UTC)
    partitions.ensure(now=dt.datetime(2031, 3, 1, tzinfo=dt.UTC), ahead=5)
    old = _entry_at(dt.datetime(2031, 3, 20, tzinfo=dt.UTC))
    edge = _entry_at(dt.datetime(2031, 5, 30, tzinfo=dt.UTC))  # its month holds the cutoff
    new = _entry_at(dt.datetime(2031, 7, 1, tzinfo=dt.UTC))
    settings.AUDIT_RETENTION_DAYS = None
    assert partitions.purge(now=now) == []  # the default: kept forever
    dropped = partitions.purge(days=50, now=now)  # cutoff 2031-05-26
    assert "audit_entry_2031_03" in dropped and "audit_entry_2031_04" in dropped
    assert "audit_entry_2031_05" not in dropped
    names = [name for name, _ in partitions.partitions()]
    assert "audit_entry_2031_03" not in names and "audit_entry_2031_05" in names
    assert not ChangeSet.objects.filter(pk=old).exists()
    assert ChangeSet.objects.filter(pk__in=[edge, new]).count() == 2
    assert Entry.objects.filter(change_set_id__in=[edge, new]).count() == 2
    purge = latest(action="purge")
    assert purge.username == "audit.tasks.maintain" and purge.reseller_id is None


def test_the_daily_task_creates_the_coming_months(db, settings):
    settings.AUDIT_PARTITIONS_AHEAD = 3
    from audit.tasks import maintain

    out = maintain()
    assert len(out["created"]) == 4 and out["dropped"] == []
    assert "audit-maintain" in settings.CELERY_BEAT_SCHEDULE


# --------------------------------------------------------------------------- every path


def test_a_form_leaves_its_record(as_a, world):
    as_a.post(reverse("clients:client_add"), {"name": "Rose Orig", "reseller": world.reseller.pk})
    cs = latest(object_type="client")
    assert (cs.action, cs.username, cs.object_repr) == ("create", world.user.username, "Rose Orig")
    assert cs.counts == {"client.create": 1}


def test_a_mass_edit_is_one_change_set(as_a, world):
    dids = [world.did() for _ in range(3)]
    ids = [d.pk for d in dids]
    data = {"ids": ids, "set_status": "archive", "tag": "bulk", "action": "update", "confirm": "1"}
    as_a.post(reverse("inventory:did_bulk_edit"), data)
    cs = latest(action="mass_edit")
    assert cs.counts == {"did.in_stock>archive": 3, "did.update": 3}
    assert cs.username == world.user.username and cs.reseller_id == world.reseller.pk


def test_new_dids_record_their_creation(as_a, world):
    as_a.post(
        reverse("inventory:did_add"),
        {
            "numbers": "6660000-6660004",
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    cs = latest(action="create", counts__has_key="did.create")
    assert cs is not None and cs.counts == {"did.create": 5}


def test_the_beat_tasks_record_as_the_task_by_name(world):
    due = world.did(Status.ON_HOLD)
    DID.objects.filter(pk=due.pk).update(hold_until=timezone.now() - dt.timedelta(days=1))
    assert inventory_tasks.expire_holds() == 1
    cs = latest(action="expire_hold")
    assert cs.username == "inventory.tasks.expire_holds" and cs.user_id is None
    assert cs.counts == {"did.on_hold>in_stock": 1}
    released = Entry.objects.get(change_set=cs)
    assert released.before["client_id"] == world.client.pk and released.after["client_id"] is None
    assert released.before["account_id"] == world.account.pk and released.before["hold_until"]

    world.did(Status.ACTIVE)
    Subscription.objects.filter(pk=world.subscription.pk).update(
        end_date=world.subscription.start_date
    )
    assert subscription_tasks.expire_subscriptions() == 1
    cs = latest(action="subscription_expire")
    assert cs.username == "subscriptions.tasks.expire_subscriptions"
    assert cs.counts == {"subscription.active>expired": 1, "did.active>on_hold": 1}


def test_api_tokens_created_and_revoked_on_the_page(client, world):
    client.force_login(world.user)
    client.post("/tokens/", {"name": "billing sync", "scope": "write"})
    token = ApiToken.objects.get(user=world.user)
    created = latest(object_type="apitoken", action="create")
    assert created.object_id == token.pk and created.reseller_id == world.reseller.pk
    entry = Entry.objects.get(change_set=created)
    assert "key_hash" not in entry.after and entry.after["name"] == "billing sync"
    client.post(f"/tokens/{token.pk}/revoke/")
    revoked = latest(action="revoke")
    assert Entry.objects.get(change_set=revoked).after == {"revoked": True}


def test_the_django_admin_records_token_saves_deletes_and_revokes(client, world, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw", role="admin")
    client.force_login(root)
    client.post(
        "/django-admin/api/apitoken/add/", {"name": "switch-1", "reseller": world.reseller.pk}
    )
    token = ApiToken.objects.get(name="switch-1")
    assert latest(action="create", object_type="apitoken").username == "root"
    client.post(
        f"/django-admin/api/apitoken/{token.pk}/change/",
        {"name": "switch-one", "reseller": world.reseller.pk},
    )
    changed = Entry.objects.get(change_set=latest(action="update", object_type="apitoken"))
    assert (changed.before, changed.after) == ({"name": "switch-1"}, {"name": "switch-one"})
    client.post(
        "/django-admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked and latest(action="revoke").username == "root"
    client.post(f"/django-admin/api/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    gone = Entry.objects.get(change_set=latest(action="delete", object_type="apitoken"))
    assert gone.kind == Kind.DELETE and gone.before["name"] == "switch-one"


def test_the_token_command_records_its_token(world):
    call_command("create_api_token", "--name", "sw", stdout=io.StringIO(), stderr=io.StringIO())
    cs = latest(object_type="apitoken", action="create")
    assert cs.username == "manage.py create_api_token" and cs.object_repr.startswith("sw ")


def test_reseller_and_user_management_is_recorded(client, admin):
    client.force_login(admin)
    client.post(reverse("accounts:reseller_add"), {"name": "North"})
    cs = latest(object_type="reseller")
    assert (cs.action, cs.object_repr, cs.username) == ("create", "North", "admin")
    reseller = cs.object_id
    client.post(
        reverse("accounts:user_add", args=[reseller]),
        {
            "username": "north-ops",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    cs = latest(object_type="user")
    assert cs.object_repr == "north-ops" and cs.reseller_id == reseller
    assert "password" not in str(Entry.objects.get(change_set=cs).after)

"""The DID lifecycle of PRODUCT.md: every (from, to) pair, the rules, single vs set-based."""

import contextlib
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditRecord
from audit.services import Actor
from inventory import lifecycle
from inventory.choices import AfterHold, Status
from inventory.lifecycle import TRANSITIONS, Trigger
from inventory.models import DID
from subscriptions.models import Subscription

from .product import ASSIGNED, UNASSIGNED

S = Status
T = Trigger

# PRODUCT.md's table, written out independently of the module, pair by pair.
EXPECTED = (
    {(a, b, T.SET_STATUS) for a in UNASSIGNED for b in UNASSIGNED if a != b}
    | {(S.IN_STOCK, S.ACTIVE, T.ASSIGN)}
    | {(S.ACTIVE, S.BLOCKED, T.BLOCK)}
    | {(S.BLOCKED, S.ACTIVE, T.ACTIVATE)}
    | {(S.ACTIVE, S.ON_HOLD, T.HOLD), (S.BLOCKED, S.ON_HOLD, T.HOLD)}
    | {(S.ACTIVE, S.ON_HOLD, T.SUBSCRIPTION_CANCEL), (S.BLOCKED, S.ON_HOLD, T.SUBSCRIPTION_CANCEL)}
    | {(S.ACTIVE, S.ON_HOLD, T.SUBSCRIPTION_EXPIRE), (S.BLOCKED, S.ON_HOLD, T.SUBSCRIPTION_EXPIRE)}
    | {(S.ON_HOLD, S.ACTIVE, T.ACTIVATE), (S.ON_HOLD, S.ACTIVE, T.SUBSCRIPTION_REACTIVATE)}
    | {(S.ON_HOLD, S.IN_STOCK, T.EXPIRE_HOLD), (S.ON_HOLD, S.RESERVED, T.EXPIRE_HOLD)}
    | {(S.ON_HOLD, S.ARCHIVE, T.EXPIRE_HOLD)}
    | {(S.ON_HOLD, S.IN_STOCK, T.RELEASE), (S.ON_HOLD, S.RESERVED, T.RELEASE)}
    | {(S.ON_HOLD, S.ARCHIVE, T.RELEASE)}
)


def test_transition_table_is_exactly_the_product_table():
    assert set(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize("trigger", list(Trigger))
def test_can_offers_exactly_the_tables_moves(trigger):
    for status in Status:
        expected = any(a == status and t == trigger for a, _b, t in EXPECTED)
        assert lifecycle.can(status, trigger) is expected, (status, trigger)


def _state(did: DID) -> tuple:
    did.refresh_from_db()
    return (
        did.status,
        did.client_id,
        did.account_id,
        did.subscription_id,
        did.hold_until,
        did.after_hold_status,
    )


def _user_move(world, did: DID, target: Status):
    """The path a user takes to bring ``did`` to ``target``."""
    if target == S.ACTIVE and did.status in UNASSIGNED:
        return lifecycle.assign(
            did, account=world.account, subscription=world.subscription, actor=world.actor
        )
    return lifecycle.change_status(did, target, actor=world.actor)


def _legal_by_user(source: Status, target: Status) -> bool:
    if source == S.IN_STOCK and target == S.ACTIVE:
        return True
    if source in UNASSIGNED and target == S.ACTIVE:
        return False  # only In Stock can be assigned
    trigger = lifecycle.MANUAL_TRIGGER[target]
    return (source, target, trigger) in TRANSITIONS


PAIRS = [(a, b) for a in Status for b in Status if a != b]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_status_pair_by_user_action(world, source, target):
    did = world.did(source)
    before = _state(did)
    audit_before = AuditRecord.objects.count()
    if _legal_by_user(source, target):
        result = _user_move(world, did, target)
        assert result.moved == 1
        assert _state(did)[0] == target
        rec = AuditRecord.objects.filter(object_type="did", object_id=did.pk).order_by("-id")[0]
        assert rec.before["status"] == source and rec.after["status"] == target
        assert rec.username == world.user.username
    else:
        with pytest.raises(lifecycle.LifecycleError) as exc:
            _user_move(world, did, target)
        assert did.number in str(exc.value)
        assert _state(did) == before
        assert AuditRecord.objects.count() == audit_before


def test_set_status_to_same_status_is_unchanged_not_refused(world):
    did = world.did(S.RESERVED)
    result = lifecycle.set_status([did.pk], S.RESERVED, actor=world.actor)
    assert (result.moved, result.unchanged, result.refused) == (0, 1, 0)


@pytest.mark.parametrize("source", list(Status))
def test_release_only_from_on_hold_to_after_hold_status(world, source):
    did = world.did(source, after_hold=AfterHold.ARCHIVE)
    before = _state(did)
    if source == S.ON_HOLD:
        lifecycle.release_now(did, actor=world.actor)
        did.refresh_from_db()
        assert did.status == S.ARCHIVE
        assert (did.client_id, did.account_id, did.subscription_id, did.hold_until) == (None,) * 4
    else:
        with pytest.raises(lifecycle.IllegalTransition, match=did.number):
            lifecycle.release_now(did, actor=world.actor)
        assert _state(did) == before


@pytest.mark.parametrize("after_hold", list(AfterHold))
def test_expire_holds_moves_only_due_holds_to_their_after_hold_status(world, after_hold):
    due = world.did(S.ON_HOLD, after_hold=after_hold)
    not_due = world.did(S.ON_HOLD, after_hold=after_hold)
    others = [world.did(s) for s in Status if s != S.ON_HOLD]
    DID.objects.filter(pk=due.pk).update(hold_until=timezone.now() - dt.timedelta(minutes=1))
    states = [_state(d) for d in [not_due, *others]]

    result = lifecycle.expire_holds()

    assert result.moved == 1
    due.refresh_from_db()
    assert due.status == after_hold and due.client_id is None and due.subscription_id is None
    assert [_state(d) for d in [not_due, *others]] == states
    swept = AuditRecord.objects.get(object_id=due.pk, action="expire_hold")
    assert swept.username == "inventory.tasks.expire_holds"  # the task, by name
    assert lifecycle.expire_holds().moved == 0


def test_cancel_subscription_holds_active_and_blocked_and_leaves_others(world):
    active, blocked, held = world.did(S.ACTIVE), world.did(S.BLOCKED), world.did(S.ON_HOLD)
    unassigned = [world.did(s) for s in UNASSIGNED]
    states = [_state(d) for d in [held, *unassigned]]
    result = lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    assert result.moved == 2
    for d in (active, blocked):
        d.refresh_from_db()
        assert d.status == S.ON_HOLD and d.subscription_id == world.subscription.pk
    assert [_state(d) for d in [held, *unassigned]] == states
    world.subscription.refresh_from_db()
    assert world.subscription.status == Subscription.Status.CANCELLED
    # One change set for the subscription and its DIDs.
    sets = set(
        AuditRecord.objects.filter(action="subscription_cancel").values_list(
            "change_set", flat=True
        )
    )
    assert sets == {world.actor.change_set}
    assert AuditRecord.objects.filter(action="subscription_cancel").count() == 3


def test_cancel_refused_for_a_subscription_that_is_not_active(world):
    lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    with pytest.raises(lifecycle.SubscriptionNotActive, match="Cancelled"):
        lifecycle.cancel_subscription(world.subscription, actor=world.actor)


def test_reactivation_before_hold_ends_brings_dids_back_to_active(world):
    d1, d2 = world.did(S.ACTIVE), world.did(S.BLOCKED)
    lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    result = lifecycle.reactivate_subscription(world.subscription, actor=world.actor)
    assert result.moved == 2
    for d in (d1, d2):
        d.refresh_from_db()
        assert d.status == S.ACTIVE and d.hold_until is None


def test_reactivation_after_hold_ended_does_not_bring_expired_dids_back(world):
    d = world.did(S.ACTIVE)
    lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    DID.objects.filter(pk=d.pk).update(hold_until=timezone.now() - dt.timedelta(seconds=1))
    assert lifecycle.reactivate_subscription(world.subscription, actor=world.actor).moved == 0
    lifecycle.expire_holds()
    d.refresh_from_db()
    assert d.status == S.IN_STOCK and d.subscription_id is None


def test_on_hold_cannot_be_activated_while_subscription_is_cancelled(world):
    d = world.did(S.ACTIVE)
    lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    d.refresh_from_db()
    with pytest.raises(lifecycle.SubscriptionNotActive, match=d.number):
        lifecycle.activate(d, actor=world.actor)
    d.refresh_from_db()
    assert d.status == S.ON_HOLD


def test_subscription_expiry_task_expires_past_end_date_and_holds_dids(world):
    d = world.did(S.ACTIVE)
    world.subscription.end_date = dt.date(2026, 2, 1)
    world.subscription.save()
    current = Subscription.objects.create(
        client=world.client, package=world.package, start_date=dt.date(2026, 1, 1)
    )
    assert lifecycle.expire_subscriptions(today=dt.date(2026, 2, 2)) == 1
    world.subscription.refresh_from_db()
    current.refresh_from_db()
    assert world.subscription.status == Subscription.Status.EXPIRED
    assert current.status == Subscription.Status.ACTIVE
    d.refresh_from_db()
    assert d.status == S.ON_HOLD
    assert AuditRecord.objects.filter(action="subscription_expire", object_type="did").count() == 1


# --------------------------------------------------------------------------- rules


def test_allowance_counts_active_blocked_and_on_hold(world):
    world.package.did_allowance = 3
    world.package.save()
    world.did(S.ACTIVE), world.did(S.BLOCKED), world.did(S.ON_HOLD)
    extra = world.did(S.IN_STOCK)
    with pytest.raises(lifecycle.AllowanceExceeded, match="allows 3 DIDs and 3 are already linked"):
        lifecycle.assign(
            extra, account=world.account, subscription=world.subscription, actor=world.actor
        )
    extra.refresh_from_db()
    assert extra.status == S.IN_STOCK


def test_released_dids_free_their_slot(world):
    world.package.did_allowance = 1
    world.package.save()
    held = world.did(S.ON_HOLD)
    extra = world.did(S.IN_STOCK)
    lifecycle.release_now(held, actor=world.actor)
    lifecycle.assign(
        extra, account=world.account, subscription=world.subscription, actor=world.actor
    )
    extra.refresh_from_db()
    assert extra.status == S.ACTIVE


def test_bulk_assign_beyond_allowance_assigns_nothing(world):
    world.package.did_allowance = 2
    world.package.save()
    dids = [world.did() for _ in range(3)]
    with pytest.raises(lifecycle.AllowanceExceeded):
        lifecycle.assign(
            [d.pk for d in dids],
            account=world.account,
            subscription=world.subscription,
            actor=world.actor,
        )
    assert DID.objects.filter(status=S.ACTIVE).count() == 0


def test_tag_must_be_allowed_by_package(world):
    world.package.allowed_tags = ["premium"]
    world.package.save()
    plain = world.did(tag="basic")
    premium = world.did(tag="premium")
    with pytest.raises(lifecycle.TagNotAllowed, match=plain.number):
        lifecycle.assign(
            plain, account=world.account, subscription=world.subscription, actor=world.actor
        )
    lifecycle.assign(
        premium, account=world.account, subscription=world.subscription, actor=world.actor
    )
    assert DID.objects.get(pk=plain.pk).status == S.IN_STOCK
    assert DID.objects.get(pk=premium.pk).status == S.ACTIVE


def test_empty_allowed_tags_allow_any_tag(world):
    d = world.did(tag="whatever")
    lifecycle.assign(d, account=world.account, actor=world.actor)
    assert DID.objects.get(pk=d.pk).status == S.ACTIVE


def test_assign_needs_an_active_subscription(world):
    lifecycle.cancel_subscription(world.subscription, actor=world.actor)
    d = world.did()
    with pytest.raises(lifecycle.SubscriptionNotActive, match="no active subscription"):
        lifecycle.assign(d, account=world.account, actor=world.actor)
    with pytest.raises(lifecycle.SubscriptionNotActive, match="Cancelled"):
        lifecycle.assign(
            d, account=world.account, subscription=world.subscription, actor=world.actor
        )


def test_assign_refuses_another_resellers_did(world, other_world):
    foreign = other_world.did()
    with pytest.raises(lifecycle.ResellerMismatch, match=foreign.number):
        lifecycle.assign(foreign, account=world.account, actor=world.actor)
    assert DID.objects.get(pk=foreign.pk).status == S.IN_STOCK


def test_assign_refuses_account_of_another_client(world, other_world):
    d = world.did()
    with pytest.raises(lifecycle.AccountMismatch):
        lifecycle.assign(
            d, account=other_world.account, subscription=world.subscription, actor=world.actor
        )


def test_hold_days_of_the_did_take_precedence_over_the_package(world, now):
    world.package.hold_days = 30
    world.package.save()
    own = world.did(S.ACTIVE, hold_days=5)
    inherited = world.did(S.ACTIVE)
    zero = world.did(S.ACTIVE, hold_days=0)
    lifecycle.hold([own.pk, inherited.pk, zero.pk], actor=world.actor, now=now)
    own.refresh_from_db(), inherited.refresh_from_db(), zero.refresh_from_db()
    assert own.hold_until == now + dt.timedelta(days=5)
    assert inherited.hold_until == now + dt.timedelta(days=30)
    assert zero.hold_until == now


def test_hold_until_crosses_month_and_dst_boundaries_in_whole_days(world):
    start = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)
    d = world.did(S.ACTIVE, hold_days=3)
    lifecycle.hold(d, actor=world.actor, now=start)
    d.refresh_from_db()
    assert d.hold_until == dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)


def test_cancel_uses_each_dids_own_hold_days(world, now):
    a = world.did(S.ACTIVE, hold_days=2)
    b = world.did(S.BLOCKED)
    lifecycle.cancel_subscription(world.subscription, actor=world.actor, now=now)
    a.refresh_from_db(), b.refresh_from_db()
    assert a.hold_until == now + dt.timedelta(days=2)
    assert b.hold_until == now + dt.timedelta(days=world.package.hold_days)


# --------------------------------------------------------------------------- single vs bulk


def _mixed(world, n_each=2):
    return [world.did(s, after_hold=AfterHold.RESERVED) for s in Status for _ in range(n_each)]


def _snapshot(dids):
    return {d.number[-4:]: _state(d)[0:4] for d in dids}


@pytest.mark.parametrize(
    "action",
    ["reserved", "in_stock", "archive", "blocked", "active", "on_hold", "release"],
)
def test_single_and_set_based_forms_agree(world, action):
    """Each DID moved one by one ends where the same DID moved in one set-based call ends."""
    singles = _mixed(world)
    bulk = _mixed(world)

    actor = Actor.for_user(world.user)

    def run(selection, strict):
        if action == "release":
            return lifecycle.release_now(selection, actor=actor, strict=strict)
        return lifecycle.change_status(selection, action, actor=actor, strict=strict)

    moved_single = 0
    for d in singles:
        with contextlib.suppress(lifecycle.LifecycleError):
            moved_single += run(d, True).moved
    result = run(DID.objects.filter(pk__in=[d.pk for d in bulk]), False)

    assert result.moved == moved_single
    single_states = [_state(d)[0] for d in singles]
    bulk_states = [_state(d)[0] for d in bulk]
    assert single_states == bulk_states
    assert result.moved + result.unchanged + result.refused == len(bulk)
    # Every moved DID has exactly one audit record of this action, in one change set.
    recs = AuditRecord.objects.filter(change_set=actor.change_set, object_type="did")
    assert recs.filter(object_id__in=[d.pk for d in bulk]).count() == result.moved
    assert recs.filter(object_id__in=[d.pk for d in singles]).count() == moved_single
    assert set(recs.values_list("action", flat=True)) == {result.trigger}


def test_strict_bulk_move_with_one_illegal_did_changes_nothing(world):
    dids = [world.did(S.IN_STOCK) for _ in range(3)] + [world.did(S.ACTIVE)]
    audit_before = AuditRecord.objects.count()
    with pytest.raises(
        lifecycle.IllegalTransition, match="1 Active DID cannot become Archive: it is assigned"
    ):
        lifecycle.set_status([d.pk for d in dids], S.ARCHIVE, actor=world.actor)
    assert [_state(d)[0] for d in dids] == [S.IN_STOCK] * 3 + [S.ACTIVE]
    assert AuditRecord.objects.count() == audit_before


def test_preview_counts_what_change_status_then_does(world):
    dids = _mixed(world)
    qs = DID.objects.filter(pk__in=[d.pk for d in dids])
    preview = lifecycle.preview_change_status(qs, S.IN_STOCK)
    assert (preview.moved, preview.unchanged, preview.refused) == (4, 2, 6)
    assert any("assigned" in r.reason for r in preview.refusals)
    done = lifecycle.change_status(qs, S.IN_STOCK, actor=world.actor, strict=False)
    assert (done.moved, done.unchanged, done.refused) == (4, 2, 6)


def test_statuses_cover_assigned_and_unassigned():
    assert set(ASSIGNED) | set(UNASSIGNED) == set(Status)

"""Assign DIDs from a client's DIDs tab: ticked In Stock DIDs or typed numbers and ranges,
under one of the client's active subscriptions, within its allowance and allowed tags; another
reseller's numbers are neither shown nor assignable."""

import datetime as dt

from audit.models import AuditRecord
from clients.models import Account, Client
from inventory.choices import Status
from inventory.models import DID
from packages.models import Package
from subscriptions.models import Subscription

from .clients_support import (
    assign_url,
    dids_tab,
    make_range,
    msgs,
    statuses,
)

# --------------------------------------------------------------------------- Assign DIDs


def _assign(client, world, **data):
    payload = {"account": world.account.pk, "subscription": world.subscription.pk, **data}
    return client.post(assign_url(world.client), payload, follow=True)


def test_assign_form_offers_the_clients_accounts_and_active_subscriptions(as_a, world):
    Subscription.objects.create(
        client=world.client,
        package=world.package,
        status=Subscription.Status.CANCELLED,
        start_date=dt.date(2026, 1, 1),
    )
    world.did(Status.ACTIVE)
    form = as_a.get(dids_tab(world.client)).context["form"]
    assert list(form.fields["account"].queryset) == [world.account]
    assert list(form.fields["subscription"].queryset) == [world.subscription]
    label = form.fields["subscription"].label_from_instance(world.subscription)
    assert label == f"Pack A (#{world.subscription.pk}, 1 / 100 DIDs)"
    assert str(form["account"]).count("Client A | acc_A") == 1


def test_assign_by_ticking(as_a, world):
    dids = [world.did(), world.did(), world.did()]
    resp = _assign(as_a, world, ids=[dids[0].pk, dids[2].pk])
    assert resp.redirect_chain[-1][0] == dids_tab(world.client)
    assert msgs(resp) == ["Assigned 2 DIDs to Client A | acc_A under Pack A."]
    assert statuses(dids) == [Status.ACTIVE, Status.IN_STOCK, Status.ACTIVE]
    linked = DID.objects.get(pk=dids[0].pk)
    assert (linked.client_id, linked.account_id, linked.subscription_id) == (
        world.client.pk,
        world.account.pk,
        world.subscription.pk,
    )
    recs = AuditRecord.objects.filter(action="assign")
    assert sorted(recs.values_list("object_id", flat=True)) == [dids[0].pk, dids[2].pk]
    assert len(set(recs.values_list("change_set", flat=True))) == 1  # one action
    assert {r.username for r in recs} == {world.user.username}


def test_assign_by_typed_range(as_a, world):
    dids = make_range(world, "5550100-5550104")
    resp = _assign(as_a, world, numbers="5550100-5550103")
    assert msgs(resp) == ["Assigned 4 DIDs to Client A | acc_A under Pack A."]
    assert statuses(dids) == [Status.ACTIVE] * 4 + [Status.IN_STOCK]
    assert AuditRecord.objects.filter(action="assign").count() == 4


def test_assign_ticked_and_typed_together(as_a, world):
    dids = make_range(world, "5550100-5550102")
    extra = world.did()
    resp = _assign(as_a, world, ids=[extra.pk, dids[0].pk], numbers="5550100 5550101")
    assert msgs(resp) == ["Assigned 3 DIDs to Client A | acc_A under Pack A."]
    assert statuses([*dids, extra]) == [Status.ACTIVE, Status.ACTIVE, Status.IN_STOCK] + [
        Status.ACTIVE
    ]


def test_assign_over_allowance_names_the_package_and_assigns_nothing(as_a, world):
    Package.objects.filter(pk=world.package.pk).update(did_allowance=3)
    world.did(Status.ACTIVE)
    dids = make_range(world, "5550100-5550102")
    before = AuditRecord.objects.count()
    resp = _assign(as_a, world, numbers="5550100-5550102")
    assert resp.status_code == 200
    (message,) = msgs(resp)
    assert "package Pack A allows 3 DIDs and 1 is already linked" in message
    assert statuses(dids) == [Status.IN_STOCK] * 3
    assert AuditRecord.objects.count() == before
    # The typed numbers stay in the form to correct them.
    assert "5550100-5550102</textarea>" in resp.content.decode()


def test_assign_a_number_not_in_stock_is_named_and_nothing_assigned(as_a, world):
    dids = make_range(world, "5550100-5550102")
    taken = world.did(Status.ACTIVE, number="5550103")
    reserved = world.did(Status.RESERVED, number="5550104")
    before = AuditRecord.objects.count()
    resp = _assign(as_a, world, numbers="5550100-5550105")
    (message,) = msgs(resp)
    assert message == (
        "Nothing was assigned. These numbers are not DIDs of A: 5550105; "
        "not In Stock: 5550103 (Active), 5550104 (Reserved)."
    )
    assert statuses(dids) == [Status.IN_STOCK] * 3
    assert statuses([taken, reserved]) == [Status.ACTIVE, Status.RESERVED]
    assert AuditRecord.objects.count() == before


def test_assign_a_ticked_did_no_longer_in_stock_is_named(as_a, world):
    fresh = world.did()
    taken = world.did(Status.ACTIVE)
    resp = _assign(as_a, world, ids=[fresh.pk, taken.pk])
    assert msgs(resp) == [
        f"Nothing was assigned. These numbers are not In Stock: {taken.number} (Active)."
    ]
    assert statuses([fresh]) == [Status.IN_STOCK]


def test_assign_does_not_reveal_another_resellersnumbers_of(as_a, world, other_world):
    theirs = other_world.did(number="5550200")
    resp = _assign(as_a, world, numbers="5550200")
    assert msgs(resp) == ["Nothing was assigned. These numbers are not DIDs of A: 5550200."]
    theirs.refresh_from_db()
    assert theirs.status == Status.IN_STOCK


def test_assign_ticking_another_resellers_did_is_404(as_a, world, other_world):
    mine, theirs = world.did(), other_world.did()
    before = AuditRecord.objects.count()
    resp = as_a.post(
        assign_url(world.client),
        {
            "account": world.account.pk,
            "subscription": world.subscription.pk,
            "ids": [mine.pk, theirs.pk],
        },
    )
    assert resp.status_code == 404
    assert statuses([mine, theirs]) == [Status.IN_STOCK, Status.IN_STOCK]
    assert AuditRecord.objects.count() == before


def test_assign_to_another_resellers_client_is_404(as_a, world, other_world):
    did = other_world.did()
    resp = as_a.post(
        assign_url(other_world.client),
        {
            "account": other_world.account.pk,
            "subscription": other_world.subscription.pk,
            "ids": [did.pk],
        },
    )
    assert resp.status_code == 404
    assert statuses([did]) == [Status.IN_STOCK]


def test_assign_a_bad_range_is_named(as_a, world):
    resp = _assign(as_a, world, numbers="5550109-5550100")
    assert resp.status_code == 200
    assert any("runs backwards" in m and "5550109-5550100" in m for m in msgs(resp))


def test_assign_needs_dids_and_a_subscription_of_this_client(as_a, world):
    resp = _assign(as_a, world)
    assert msgs(resp) == ["Tick at least one DID or type the numbers to assign."]
    other = Client.objects.create(name="Other", reseller=world.reseller)
    other_account = Account.objects.create(client=other, name="x")
    did = world.did()
    resp = _assign(as_a, world, account=other_account.pk, ids=[did.pk])
    assert msgs(resp) == ["Account: choose one of this client's accounts."]
    assert statuses([did]) == [Status.IN_STOCK]


def test_assign_under_a_cancelled_subscription_is_refused(as_a, world):
    cancelled = Subscription.objects.create(
        client=world.client,
        package=world.package,
        status=Subscription.Status.CANCELLED,
        start_date=dt.date(2026, 1, 1),
    )
    did = world.did()
    resp = _assign(as_a, world, subscription=cancelled.pk, ids=[did.pk])
    assert msgs(resp) == ["Subscription: choose one of this client's active packages."]
    assert statuses([did]) == [Status.IN_STOCK]


def test_assign_a_tag_the_package_does_not_allow(as_a, world):
    Package.objects.filter(pk=world.package.pk).update(allowed_tags=["gold"])
    gold, plain = world.did(tag="gold"), world.did(tag="plain")
    resp = _assign(as_a, world, ids=[gold.pk, plain.pk])
    (message,) = msgs(resp)
    assert "package Pack A does not allow" in message and plain.number in message
    assert statuses([gold, plain]) == [Status.IN_STOCK, Status.IN_STOCK]


def test_dids_tab_explains_what_is_missing(as_a, world):
    bare = Client.objects.create(name="Bare", reseller=world.reseller)
    body = as_a.get(dids_tab(bare)).content.decode()
    assert "Bare has no account yet" in body and "Bare has no active subscription" in body


def test_admin_assigns_for_any_reseller(as_admin, world, other_world):
    did = other_world.did()
    mine = world.did()
    tab = as_admin.get(dids_tab(other_world.client))
    assert [d.number for d in tab.context["stock"]] == [did.number]  # not reseller A's
    resp = _assign(as_admin, other_world, ids=[did.pk])
    assert msgs(resp) == ["Assigned 1 DID to Client B | acc_B under Pack B."]
    # Reseller A's DID through reseller B's client: not a DID of that reseller.
    resp = _assign(as_admin, other_world, numbers=mine.number)
    assert msgs(resp) == [f"Nothing was assigned. These numbers are not DIDs of B: {mine.number}."]

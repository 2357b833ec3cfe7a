"""The client's DIDs tab, for a daily user: several ticked DIDs blocked, activated, held or
released at once (one lifecycle move, one change set, refusals counted); Assign DIDs lists only
the DIDs whose tag the package allows, preselects the only account, and turns ticking off, with
the reason, when the subscription is full."""

import datetime as dt

from audit.models import AuditRecord
from clients.models import Account
from inventory.choices import Status
from packages.models import Package
from subscriptions.models import Subscription

from .clients_support import dids_tab, msgs, statuses


def bulk_url(c):
    return f"/clients/{c.pk}/dids/bulk/"


def _bulk(client, world, action, dids, **extra):
    data = {"action": action, "ids": [d.pk for d in dids], **extra}
    return client.post(bulk_url(world.client), data, follow=True)


def test_block_several_ticked_dids_in_one_change_set(as_a, world):
    dids = [world.did(Status.ACTIVE) for _ in range(3)]
    resp = _bulk(as_a, world, "block", dids[:2])
    assert resp.redirect_chain[-1][0] == dids_tab(world.client)
    assert msgs(resp) == ["Blocked 2 DIDs."]
    assert statuses(dids) == [Status.BLOCKED, Status.BLOCKED, Status.ACTIVE]
    recs = AuditRecord.objects.filter(action="block")
    assert sorted(recs.values_list("object_id", flat=True)) == sorted(d.pk for d in dids[:2])
    assert len(set(recs.values_list("change_set", flat=True))) == 1
    assert {r.username for r in recs} == {world.user.username}


def test_each_move_of_ticked_dids(as_a, world):
    active, blocked = world.did(Status.ACTIVE), world.did(Status.BLOCKED)
    assert msgs(_bulk(as_a, world, "hold", [active, blocked])) == ["Put On Hold 2 DIDs."]
    assert statuses([active, blocked]) == [Status.ON_HOLD, Status.ON_HOLD]
    assert msgs(_bulk(as_a, world, "activate", [active])) == ["Activated 1 DID."]
    assert statuses([active]) == [Status.ACTIVE]
    assert msgs(_bulk(as_a, world, "release", [blocked])) == ["Released 1 DID."]
    blocked.refresh_from_db()
    assert (blocked.status, blocked.client_id) == (Status.IN_STOCK, None)


def test_refusals_are_counted_and_the_rest_moves(as_a, world):
    active = [world.did(Status.ACTIVE), world.did(Status.ACTIVE)]
    held = world.did(Status.ON_HOLD)
    resp = _bulk(as_a, world, "block", [*active, held])
    assert msgs(resp) == [
        f"Blocked 2 DIDs. Refused 1: 1 On Hold DID cannot become Blocked ({held.number})."
    ]
    assert [m.level_tag for m in resp.context["messages"]] == ["warning"]
    assert statuses([*active, held]) == [Status.BLOCKED, Status.BLOCKED, Status.ON_HOLD]


def test_nothing_movable_is_an_error_and_changes_nothing(as_a, world):
    dids = [world.did(Status.ON_HOLD), world.did(Status.ON_HOLD)]
    before = AuditRecord.objects.count()
    resp = _bulk(as_a, world, "block", dids)
    (message,) = resp.context["messages"]
    assert message.level_tag == "error"
    assert str(message).startswith("Blocked 0 DIDs. Refused 2: 2 On Hold DIDs cannot become")
    assert AuditRecord.objects.count() == before


def test_a_did_that_left_the_client_is_refused_by_name(as_a, world):
    mine = world.did(Status.ACTIVE)
    stock = world.did()  # visible to the user, but not this client's
    resp = _bulk(as_a, world, "block", [mine, stock])
    assert msgs(resp) == [
        "Blocked 1 DID. Refused 1: 1 ticked DID left Client A since the page was shown "
        f"({stock.number})."
    ]
    assert statuses([mine, stock]) == [Status.BLOCKED, Status.IN_STOCK]


def test_bad_bulk_requests_are_named_and_change_nothing(as_a, world):
    did = world.did(Status.ACTIVE)
    cases = [
        ({"action": "block"}, "DIDs: tick at least one DID."),
        ({"action": "delete", "ids": [did.pk]}, "Action: choose Block, Activate, Hold or Release"),
        ({"action": "block", "ids": ["x"]}, "DIDs: a ticked DID is not valid."),
        ({"action": "block", "ids": [str(2**70)]}, "DIDs: tick at most 10,000 DIDs at once."),
    ]
    for data, message in cases:
        resp = as_a.post(bulk_url(world.client), data, follow=True)
        assert resp.status_code == 200
        assert any(m.startswith(message) for m in msgs(resp)), (data, msgs(resp))
    assert statuses([did]) == [Status.ACTIVE]
    assert as_a.get(bulk_url(world.client)).status_code == 405


def test_bulk_is_tenant_safe(as_a, world, other_world):
    mine, theirs = world.did(Status.ACTIVE), other_world.did(Status.ACTIVE)
    resp = as_a.post(bulk_url(world.client), {"action": "block", "ids": [mine.pk, theirs.pk]})
    assert resp.status_code == 404
    resp = as_a.post(bulk_url(other_world.client), {"action": "block", "ids": [theirs.pk]})
    assert resp.status_code == 404
    assert statuses([mine, theirs]) == [Status.ACTIVE, Status.ACTIVE]


def test_tab_offers_ticking_and_the_moves(as_a, world):
    did = world.did(Status.ACTIVE)
    body = as_a.get(dids_tab(world.client)).content.decode()
    assert f'name="ids" value="{did.pk}" form="client-bulk"' in body
    for action in ("block", "activate", "hold", "release"):
        assert f'id="bulk-{action}"' in body
    assert 'data-tick-all="client-bulk"' in body


# --------------------------------------------------------------------------- Assign DIDs


def test_stock_lists_only_the_tags_the_package_allows(as_a, world):
    Package.objects.filter(pk=world.package.pk).update(allowed_tags=["gold", "silver"])
    gold, silver = world.did(tag="gold"), world.did(tag="silver")
    world.did(tag="plain")
    world.did()
    tab = as_a.get(dids_tab(world.client))
    assert [d.pk for d in tab.context["stock"]] == sorted([gold.pk, silver.pk])
    assert "Allows tags: gold, silver" in tab.content.decode()
    # The tag search narrows within what the package allows.
    tab = as_a.get(dids_tab(world.client), {"tag": "silver"})
    assert [d.pk for d in tab.context["stock"]] == [silver.pk]
    assert as_a.get(dids_tab(world.client), {"tag": "plain"}).context["stock"] == []


def test_stock_follows_the_chosen_subscription(as_a, world):
    any_tag = Package.objects.create(
        reseller=world.reseller, name="Any", did_allowance=10, hold_days=0
    )
    second = Subscription.objects.create(
        client=world.client, package=any_tag, start_date=dt.date(2026, 1, 1)
    )
    Package.objects.filter(pk=world.package.pk).update(allowed_tags=["gold"])
    gold, plain = world.did(tag="gold"), world.did(tag="plain")
    tab = as_a.get(dids_tab(world.client))
    assert tab.context["chosen"] == world.subscription
    assert [d.pk for d in tab.context["stock"]] == [gold.pk]
    tab = as_a.get(dids_tab(world.client), {"subscription": second.pk})
    assert tab.context["chosen"] == second
    assert [d.pk for d in tab.context["stock"]] == sorted([gold.pk, plain.pk])
    assert f'name="subscription" value="{second.pk}"' in tab.content.decode()


def test_the_only_account_is_preselected(as_a, world):
    form = as_a.get(dids_tab(world.client)).context["form"]
    assert form["account"].value() == world.account.pk
    assert "selected>Client A | acc_A</option>" in str(form["account"])
    Account.objects.create(client=world.client, name="acc_2")
    form = as_a.get(dids_tab(world.client)).context["form"]
    assert form["account"].value() is None


def test_ticking_is_off_with_the_reason_when_the_subscription_is_full(as_a, world):
    Package.objects.filter(pk=world.package.pk).update(did_allowance=1)
    world.did(Status.ACTIVE)
    spare = world.did()
    body = as_a.get(dids_tab(world.client)).content.decode()
    assert "is full: its package allows 1 DID and 1 is linked" in body
    assert f'value="{spare.pk}" id="stock-{spare.pk}" disabled' in body
    assert 'id="assign-submit" disabled' in body
    # Room again: ticking is back.
    Package.objects.filter(pk=world.package.pk).update(did_allowance=2)
    body = as_a.get(dids_tab(world.client)).content.decode()
    assert "is full" not in body and f'id="stock-{spare.pk}">' in body


def test_a_full_subscription_is_not_chosen_while_another_has_room(as_a, world):
    Package.objects.filter(pk=world.package.pk).update(did_allowance=0)
    roomy = Package.objects.create(reseller=world.reseller, name="Roomy", did_allowance=5)
    second = Subscription.objects.create(
        client=world.client, package=roomy, start_date=dt.date(2026, 1, 1)
    )
    tab = as_a.get(dids_tab(world.client))
    assert tab.context["chosen"] == second
    tab = as_a.get(dids_tab(world.client), {"subscription": world.subscription.pk})
    assert "or choose another subscription" in tab.content.decode()

"""Subscriptions (Client Packages): list, status filter, New subscription, Cancel and
Reactivate through the lifecycle (DIDs On Hold and back), tenancy."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditRecord
from audit.services import Actor
from clients.models import Client
from inventory.choices import Status
from inventory.models import DID
from packages.models import Package
from subscriptions import services
from subscriptions.models import Subscription

LIST = "/subscriptions/"
NEW = "/subscriptions/new/"


def cancel_url(sub):
    return f"/subscriptions/{sub.pk}/cancel/"


def reactivate_url(sub):
    return f"/subscriptions/{sub.pk}/reactivate/"


def msgs(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


def statuses(dids):
    return [DID.objects.get(pk=d.pk).status for d in dids]


def cancelled(world, **fields):
    return Subscription.objects.create(
        client=world.client,
        package=world.package,
        status=Subscription.Status.CANCELLED,
        start_date=dt.date(2026, 1, 1),
        **fields,
    )


def test_urls_are_named():
    assert reverse("subscriptions:subscription_list") == LIST
    assert reverse("subscriptions:subscription_add") == NEW
    assert reverse("subscriptions:subscription_cancel", args=[4]) == "/subscriptions/4/cancel/"
    assert (
        reverse("subscriptions:subscription_reactivate", args=[4]) == "/subscriptions/4/reactivate/"
    )


# --------------------------------------------------------------------------- list


def test_list_shows_own_subscriptions_with_usage(as_a, world, other_world):
    world.did(Status.ACTIVE)
    world.did(Status.ON_HOLD)
    resp = as_a.get(LIST)
    assert [s.pk for s in resp.context["subscriptions"]] == [world.subscription.pk]
    body = resp.content.decode()
    assert "Client B" not in body and "Pack B" not in body
    row = re.search(
        rf'<tr data-subscription="{world.subscription.pk}">(.*?)</tr>', body, re.S
    ).group(1)
    for text in ("Client A", "Pack A", "Active", "2026-01-01", "2 / 100", ">Cancel<"):
        assert text in row, text
    assert "Reseller</a></th>" not in body and "<th>Reseller</th>" not in body


def test_list_filter_by_status(as_a, world):
    old = cancelled(world)
    resp = as_a.get(LIST, {"status": "cancelled"})
    assert [s.pk for s in resp.context["subscriptions"]] == [old.pk]
    assert ">Reactivate<" in resp.content.decode()
    resp = as_a.get(LIST, {"status": "active"})
    assert [s.pk for s in resp.context["subscriptions"]] == [world.subscription.pk]
    resp = as_a.get(LIST)
    assert {s.pk for s in resp.context["subscriptions"]} == {old.pk, world.subscription.pk}


def test_list_usage_is_one_grouped_query(as_a, world):
    world.did(Status.ACTIVE)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            as_a.get(LIST)
        return len(ctx.captured_queries)

    few = count()
    for _ in range(25):
        cancelled(world)
    assert count() == few


def test_admin_sees_all_with_reseller(as_admin, world, other_world):
    resp = as_admin.get(LIST)
    assert {s.pk for s in resp.context["subscriptions"]} == {
        world.subscription.pk,
        other_world.subscription.pk,
    }
    assert "Reseller</a></th>" in resp.content.decode()


# --------------------------------------------------------------------------- create


def test_create_subscription(as_a, world):
    resp = as_a.get(NEW)
    form = resp.context["form"]
    assert list(form.fields["client"].queryset) == [world.client]
    assert list(form.fields["package"].queryset) == [world.package]
    resp = as_a.post(
        NEW,
        {"client": world.client.pk, "package": world.package.pk, "start_date": "2026-05-01"},
        follow=True,
    )
    sub = Subscription.objects.order_by("-id").first()
    assert sub.pk != world.subscription.pk
    assert (sub.client, sub.package, sub.status, sub.end_date) == (
        world.client,
        world.package,
        "active",
        None,
    )
    assert msgs(resp) == [f"Subscription #{sub.pk} to Pack A created for Client A."]
    rec = AuditRecord.objects.get(object_type="subscription", object_id=sub.pk)
    assert rec.action == "create" and rec.after["start_date"] == "2026-05-01"
    assert rec.reseller_id == world.reseller.pk


def test_create_refuses_another_resellers_client_or_package(as_a, world, other_world):
    resp = as_a.post(
        NEW,
        {
            "client": other_world.client.pk,
            "package": other_world.package.pk,
            "start_date": "2026-05-01",
        },
    )
    errors = resp.context["form"].errors
    assert errors["client"] == ["Client: choose one of the clients in the list."]
    assert errors["package"] == ["Package: choose one of the packages in the list."]
    assert Subscription.objects.count() == 2


def test_admin_mixing_resellers_gets_an_error_naming_the_package(as_admin, world, other_world):
    resp = as_admin.post(
        NEW,
        {"client": world.client.pk, "package": other_world.package.pk, "start_date": "2026-05-01"},
    )
    assert resp.context["form"].errors["package"] == [
        "Package: Pack B belongs to another reseller than client Client A."
    ]
    assert Subscription.objects.count() == 2


def test_create_end_before_start(as_a, world):
    resp = as_a.post(
        NEW,
        {
            "client": world.client.pk,
            "package": world.package.pk,
            "start_date": "2026-05-01",
            "end_date": "2026-04-30",
        },
    )
    assert resp.context["form"].errors["end_date"] == [
        "End date: it cannot be before the start date."
    ]
    assert Subscription.objects.count() == 1


def test_create_needs_a_start_date(as_a, world):
    resp = as_a.post(NEW, {"client": world.client.pk, "package": world.package.pk})
    assert resp.context["form"].errors["start_date"] == [
        "Start date: enter the date the subscription starts."
    ]


def test_service_refuses_mixed_resellers_and_backwards_dates(world, other_world):
    actor = Actor.for_user(world.user)
    with pytest.raises(services.SubscriptionError, match="^Package: Pack B"):
        services.subscription_create(
            client=world.client,
            package=other_world.package,
            start_date=dt.date(2026, 1, 1),
            actor=actor,
        )
    with pytest.raises(services.SubscriptionError, match="^End date:"):
        services.subscription_create(
            client=world.client,
            package=world.package,
            start_date=dt.date(2026, 1, 2),
            end_date=dt.date(2026, 1, 1),
            actor=actor,
        )
    assert Subscription.objects.count() == 2


# --------------------------------------------------------------------------- Cancel, Reactivate


def test_cancel_puts_dids_on_hold(as_a, world):
    active, blocked = world.did(Status.ACTIVE), world.did(Status.BLOCKED)
    resp = as_a.post(cancel_url(world.subscription), follow=True)
    assert resp.redirect_chain[-1][0] == LIST
    assert msgs(resp) == [
        f"Subscription #{world.subscription.pk} (Client A, Pack A) cancelled; "
        "2 of its DIDs are now On Hold."
    ]
    world.subscription.refresh_from_db()
    assert world.subscription.status == "cancelled"
    assert statuses([active, blocked]) == [Status.ON_HOLD, Status.ON_HOLD]
    held = DID.objects.get(pk=active.pk)
    assert held.hold_until > timezone.now() + dt.timedelta(days=29)
    assert held.subscription_id == world.subscription.pk  # still linked
    sub_rec = AuditRecord.objects.get(object_type="subscription", action="subscription_cancel")
    assert sub_rec.before["status"] == "active" and sub_rec.after["status"] == "cancelled"
    assert (
        AuditRecord.objects.filter(
            object_type="did", action="subscription_cancel", change_set=sub_rec.change_set
        ).count()
        == 2
    )


def test_reactivate_makes_dids_active_again(as_a, world):
    dids = [world.did(Status.ACTIVE), world.did(Status.ACTIVE)]
    as_a.post(cancel_url(world.subscription), follow=True)
    resp = as_a.post(reactivate_url(world.subscription), follow=True)
    assert msgs(resp) == [
        f"Subscription #{world.subscription.pk} (Client A, Pack A) reactivated; "
        "2 of its DIDs are Active again."
    ]
    world.subscription.refresh_from_db()
    assert world.subscription.status == "active"
    assert statuses(dids) == [Status.ACTIVE, Status.ACTIVE]
    assert (
        AuditRecord.objects.filter(object_type="did", action="subscription_reactivate").count() == 2
    )


def test_cancel_twice_and_reactivate_active_show_the_lifecycle_message(as_a, world):
    resp = as_a.post(reactivate_url(world.subscription), follow=True)
    assert msgs(resp) == [f"Subscription {world.subscription.pk} is already active."]
    as_a.post(cancel_url(world.subscription), follow=True)
    before = AuditRecord.objects.count()
    resp = as_a.post(cancel_url(world.subscription), follow=True)
    assert msgs(resp) == [
        f"Subscription {world.subscription.pk} (Client A, Pack A) is Cancelled, not active."
    ]
    assert AuditRecord.objects.count() == before


def test_reactivate_after_end_date_is_refused(as_a, world):
    old = cancelled(world, end_date=dt.date(2026, 1, 2))
    resp = as_a.post(reactivate_url(old), follow=True)
    assert "ended on 2026-01-02; set a later end date first." in msgs(resp)[0]
    old.refresh_from_db()
    assert old.status == "cancelled"


def test_actions_are_post_only(as_a, world):
    assert as_a.get(cancel_url(world.subscription)).status_code == 405
    world.subscription.refresh_from_db()
    assert world.subscription.status == "active"


def test_next_goes_back_to_the_same_site_only(as_a, world):
    page = f"/clients/{world.client.pk}/"
    resp = as_a.post(cancel_url(world.subscription), {"next": page})
    assert resp.url == page
    resp = as_a.post(reactivate_url(world.subscription), {"next": "https://evil.example/"})
    assert resp.url == LIST


def test_another_resellers_subscription_is_404_and_nothing_changes(as_a, world, other_world):
    did = other_world.did(Status.ACTIVE)
    old = cancelled(other_world)
    before = AuditRecord.objects.count()
    assert as_a.post(cancel_url(other_world.subscription)).status_code == 404
    assert as_a.post(reactivate_url(old)).status_code == 404
    other_world.subscription.refresh_from_db()
    old.refresh_from_db()
    assert (other_world.subscription.status, old.status) == ("active", "cancelled")
    assert statuses([did]) == [Status.ACTIVE]
    assert AuditRecord.objects.count() == before


def test_admin_cancels_any_resellers_subscription(as_admin, other_world):
    as_admin.post(cancel_url(other_world.subscription))
    other_world.subscription.refresh_from_db()
    assert other_world.subscription.status == "cancelled"


def test_new_subscription_link_and_client_link(as_a, world):
    body = as_a.get(LIST).content.decode()
    assert 'href="/subscriptions/new/"' in body
    assert f'href="/clients/{world.client.pk}/"' in body


def test_empty_list(as_a, world):
    Subscription.objects.all().delete()
    Client.objects.exclude(pk=world.client.pk).delete()
    assert "No subscriptions." in as_a.get(LIST).content.decode()
    assert Package.objects.filter(pk=world.package.pk).exists()

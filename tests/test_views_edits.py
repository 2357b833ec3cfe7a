"""Issue 12, points 3 and 9: edits where users expect them, and no dead ends.

Renames, deletes refused while DIDs are linked, archived packages, a subscription's end
date, resellers and users (admins), Mass Edit's Operator field, a confirmation that would
change nothing, Home's chart links. Each write is audited and tenant-safe."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as TestClient

from accounts.models import Reseller, User
from audit.models import AuditRecord
from clients.models import Account, Client
from inventory.choices import Status
from inventory.models import DID
from inventory.services import preview_edits, update_dids
from operators.models import Operator
from packages.models import Package
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

from .api_support import api_a  # noqa: F401 (a fixture)
from .viewcases import said


def audit(obj, action):
    return AuditRecord.objects.filter(
        object_type=obj._meta.model_name, object_id=obj.pk, action=action
    )


# --------------------------------------------------------------------------- renames


def test_renaming_an_operator_keeps_its_dids_and_logs_old_and_new(as_a, world):
    did = world.did()
    resp = as_a.post(f"/operators/{world.operator.pk}/edit/", {"name": "Telia"})
    assert resp.status_code == 302
    assert said(resp) == [("success", "Operator renamed to Telia.")]
    world.operator.refresh_from_db()
    assert world.operator.name == "Telia"
    assert DID.objects.get(pk=did.pk).operator_id == world.operator.pk
    [rec] = audit(world.operator, "update")
    assert rec.before == {"name": "Op A"} and rec.after == {"name": "Telia"}


def test_a_rename_to_a_taken_name_or_the_same_name(as_a, world):
    Operator.objects.create(name="Taken", reseller=world.reseller)
    resp = as_a.post(f"/operators/{world.operator.pk}/edit/", {"name": "Taken"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["name"] == ["Name: A already has an operator named “Taken”."]
    resp = as_a.post(f"/operators/{world.operator.pk}/edit/", {"name": " Op A "})
    assert said(resp) == [("info", "Operator Op A: nothing to change.")]
    assert not audit(world.operator, "update").exists()


def test_an_overlong_name_is_refused_under_the_field(as_a, world):
    resp = as_a.post(f"/clients/{world.client.pk}/edit/", {"name": "x" * 151})
    assert resp.status_code == 200
    assert resp.context["form"].errors["name"][0].startswith("Name: ")
    world.client.refresh_from_db()
    assert world.client.name == "Client A"


# --------------------------------------------------------------------------- deletes


def test_a_client_with_linked_dids_shows_why_and_offers_no_ok(as_a, world):
    world.did(Status.ACTIVE)
    resp = as_a.get(f"/clients/{world.client.pk}/delete/")
    html = resp.content.decode()
    assert "Client Client A has 1 DID linked and cannot be deleted." in html
    assert 'id="confirm-delete"' not in html
    resp = as_a.post(f"/clients/{world.client.pk}/delete/")
    assert resp.status_code == 302 and resp["Location"] == f"/clients/{world.client.pk}/"
    assert [level for level, _t in said(resp)] == ["error"]
    assert Client.objects.filter(pk=world.client.pk).exists()


def test_deleting_a_client_without_dids_takes_its_accounts_and_packages(as_a, world):
    sub = world.subscription
    resp = as_a.get(f"/clients/{world.client.pk}/delete/")
    html = resp.content.decode()
    assert "1 account will be deleted with it." in html
    assert "1 Client Package will be deleted with it." in html
    resp = as_a.post(f"/clients/{world.client.pk}/delete/")
    assert said(resp) == [("success", "Client Client A deleted with 1 account and 1 subscription.")]
    assert not Client.objects.filter(pk=world.client.pk).exists()
    assert not Account.objects.filter(pk=world.account.pk).exists()
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    changes = {r.change_set for r in AuditRecord.objects.filter(action="delete")}
    assert len(changes) == 1  # one change set: the client, its account and subscription
    assert audit(world.client, "delete").exists() and audit(world.account, "delete").exists()
    assert audit(sub, "delete").exists()


def test_an_account_with_dids_cannot_be_deleted_and_says_why(as_a, world):
    world.did(Status.BLOCKED)
    resp = as_a.get(f"/clients/accounts/{world.account.pk}/delete/")
    assert "Account Client A | acc_A has 1 DID linked" in resp.content.decode()
    resp = as_a.post(f"/clients/accounts/{world.account.pk}/delete/")
    assert Account.objects.filter(pk=world.account.pk).exists()
    assert said(resp)[0][0] == "error"


# --------------------------------------------------------------------------- packages


def test_an_archived_package_takes_no_new_subscription_anywhere(as_a, world):
    data = {"name": "Pack A", "did_allowance": "100", "hold_days": "30", "archived": "on"}
    resp = as_a.post(f"/packages/{world.package.pk}/edit/", data)
    assert resp.status_code == 302
    world.package.refresh_from_db()
    assert world.package.archived
    [rec] = audit(world.package, "update")
    assert rec.before["archived"] is False and rec.after["archived"] is True
    # The form does not offer it ...
    page = as_a.get("/subscriptions/new/")
    assert world.package not in page.context["form"].fields["package"].queryset
    assert "Archived" in as_a.get("/packages/").content.decode()
    # ... refuses it by name when posted anyway ...
    before = Subscription.objects.count()
    resp = as_a.post(
        "/subscriptions/new/",
        {"client": world.client.pk, "package": world.package.pk, "start_date": "2026-03-01"},
    )
    assert resp.context["form"].errors["package"] == [
        "Package: Pack A is archived and takes no new subscriptions."
    ]
    # ... and so does the service (the REST API calls the same form and service).
    with pytest.raises(subscription_services.SubscriptionError, match="archived"):
        subscription_services.subscription_create(
            client=world.client,
            package=world.package,
            start_date=dt.date(2026, 3, 1),
            actor=world.actor,
        )
    assert Subscription.objects.count() == before
    # Its existing subscription carries on.
    world.subscription.refresh_from_db()
    assert world.subscription.status == Subscription.Status.ACTIVE


def test_the_api_refuses_an_archived_package_and_keeps_archived_on_update(api_a, world):
    Package.objects.filter(pk=world.package.pk).update(archived=True)
    resp = api_a.post(
        "subscriptions/",
        {"client": world.client.pk, "package": world.package.pk, "start_date": "2026-03-01"},
    )
    assert resp.status_code == 400
    assert "Pack A is archived and takes no new subscriptions" in str(resp.json())
    resp = api_a.patch(f"packages/{world.package.pk}/", {"hold_days": 9})
    assert resp.status_code == 200 and resp.json()["archived"] is True
    resp = api_a.patch(f"packages/{world.package.pk}/", {"archived": False})
    assert resp.json()["archived"] is False


# --------------------------------------------------------------------------- subscription end date


def test_a_subscriptions_end_date_is_edited_and_checked(as_a, world):
    sub = world.subscription
    url = f"/subscriptions/{sub.pk}/edit/"
    resp = as_a.post(url, {"end_date": "2025-12-31"})
    assert resp.context["form"].errors["end_date"] == [
        "End date: it cannot be before the start date 2026-01-01."
    ]
    resp = as_a.post(url, {"end_date": "3000-01-01"})
    assert resp.context["form"].errors["end_date"][0].startswith("End date: ")
    resp = as_a.post(url, {"end_date": "2027-06-30"})
    assert resp.status_code == 302
    sub.refresh_from_db()
    assert sub.end_date == dt.date(2027, 6, 30)
    [rec] = audit(sub, "update")
    assert rec.before == {"end_date": None} and rec.after == {"end_date": "2027-06-30"}
    resp = as_a.post(url, {"end_date": ""})
    sub.refresh_from_db()
    assert sub.end_date is None
    assert "end date removed" in said(resp)[-1][1]


def test_a_later_end_date_lets_an_expired_subscription_be_reactivated(as_a, world):
    sub = world.subscription
    Subscription.objects.filter(pk=sub.pk).update(
        status=Subscription.Status.EXPIRED, end_date=dt.date(2026, 2, 1)
    )
    as_a.post(f"/subscriptions/{sub.pk}/edit/", {"end_date": "2999-01-01"})
    resp = as_a.post(f"/subscriptions/{sub.pk}/reactivate/")
    assert said(resp)[0][0] == "success"
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE


def test_another_resellers_subscription_end_date_is_a_404(as_a, world, other_world):
    url = f"/subscriptions/{other_world.subscription.pk}/edit/"
    assert as_a.get(url).status_code == 404
    assert as_a.post(url, {"end_date": "2027-01-01"}).status_code == 404
    other_world.subscription.refresh_from_db()
    assert other_world.subscription.end_date is None


# --------------------------------------------------------------------------- resellers and users


def test_an_admin_renames_a_reseller_and_a_taken_name_is_refused(as_admin, world, other_world):
    url = f"/resellers/{world.reseller.pk}/edit/"
    resp = as_admin.post(url, {"name": "b"})  # "B" exists, whatever the case
    assert resp.context["form"].errors["name"] == ["Name: a reseller named “b” already exists."]
    resp = as_admin.post(url, {"name": "Acme Telecom"})
    assert resp.status_code == 302
    assert Reseller.objects.get(pk=world.reseller.pk).name == "Acme Telecom"
    assert audit(world.reseller, "update").exists()


def test_reseller_users_may_not_rename_resellers_or_edit_users(as_a, world):
    assert as_a.post(f"/resellers/{world.reseller.pk}/edit/", {"name": "X"}).status_code == 403
    resp = as_a.post(f"/resellers/users/{world.user.pk}/edit/", {"is_active": ""})
    assert resp.status_code == 403
    world.user.refresh_from_db()
    assert world.user.is_active and world.reseller.name == "A"


def test_an_admin_deactivates_a_user_who_can_then_no_longer_log_in(as_admin, world):
    other = TestClient()
    other.force_login(world.user)
    assert other.get("/").status_code == 200
    resp = as_admin.post(f"/resellers/users/{world.user.pk}/edit/", {})  # Active unticked
    assert said(resp) == [("success", "User user-A deactivated.")]
    world.user.refresh_from_db()
    assert not world.user.is_active
    assert other.get("/").status_code == 302  # its open session no longer works
    [rec] = audit(world.user, "update")
    assert rec.before == {"is_active": True} and rec.after == {"is_active": False}


def test_an_admin_sets_a_new_password_that_never_reaches_the_log(as_admin, world):
    url = f"/resellers/users/{world.user.pk}/edit/"
    new = "a-Much-longer-pass-7"
    resp = as_admin.post(url, {"is_active": "on", "password1": new, "password2": "other"})
    assert resp.context["form"].errors["password2"] == [
        "New password confirmation: the two passwords do not match."
    ]
    resp = as_admin.post(url, {"is_active": "on", "password1": "123", "password2": "123"})
    assert resp.context["form"].errors["password1"][0].startswith("New password: ")
    resp = as_admin.post(url, {"is_active": "on", "password1": new, "password2": new})
    assert said(resp) == [("success", "User user-A given a new password.")]
    world.user.refresh_from_db()
    assert world.user.check_password(new) and not world.user.check_password("pw-A")
    [rec] = audit(world.user, "update")
    assert rec.after == {"password": "changed"} and new not in str(rec.after)


def test_an_admin_cannot_deactivate_themselves(as_admin, admin):
    resp = as_admin.post(f"/resellers/users/{admin.pk}/edit/", {})
    assert resp.context["form"].errors["is_active"] == [
        "Active: you cannot deactivate your own user."
    ]
    admin.refresh_from_db()
    assert admin.is_active


def test_a_deactivated_user_cannot_authenticate(world, admin):
    from accounts.services import user_update
    from audit.services import Actor

    user_update(world.user, active=False, actor=Actor.for_user(admin))
    assert TestClient().login(username="user-A", password="pw-A") is False
    assert User.objects.get(pk=world.user.pk).is_active is False


# --------------------------------------------------------------------------- Mass Edit: Operator


def mass(client, ids, **data):
    return client.post("/dids/mass-edit/", {"ids": ids, "action": "update", **data})


def test_mass_edit_moves_dids_to_another_operator_of_the_reseller(as_a, world):
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    dids = [world.did(), world.did(Status.ACTIVE)]
    moved_already = world.did()
    DID.objects.filter(pk=moved_already.pk).update(operator=target)
    ids = [d.pk for d in dids] + [moved_already.pk]
    resp = mass(as_a, ids, operator=target.pk)
    html = resp.content.decode()
    assert "Operator will be set to “Op A2” where it differs." in html
    assert "1 has operator Op A2 already." in html
    assert "2 DIDs will be edited." in html
    assert resp.context["will_change"] == 2
    resp = mass(as_a, ids, operator=target.pk, confirm="1")
    assert said(resp) == [("success", "Mass Edit: 2 DIDs edited.")]
    assert set(DID.objects.filter(pk__in=ids).values_list("operator_id", flat=True)) == {target.pk}
    rec = AuditRecord.objects.filter(
        object_type="did", object_id=dids[0].pk, action="mass_edit"
    ).get()
    assert rec.before == {"operator_id": world.operator.pk}
    assert rec.after == {"operator_id": target.pk}


def test_mass_edit_refuses_another_resellers_operator(as_a, world, other_world):
    did = world.did()
    resp = mass(as_a, [did.pk], operator=other_world.operator.pk)
    assert resp.status_code == 302
    assert said(resp) == [
        ("error", "Mass Edit: Operator: choose one of the operators in the list.")
    ]
    resp = mass(as_a, [did.pk], operator=other_world.operator.pk, confirm="1")
    assert DID.objects.get(pk=did.pk).operator_id == world.operator.pk


def test_an_admins_operator_move_counts_and_skips_another_resellers_dids(
    as_admin, world, other_world
):
    mine, theirs = world.did(), other_world.did()
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    resp = mass(as_admin, [mine.pk, theirs.pk], operator=target.pk, tag="t1")
    html = resp.content.decode()
    assert "1 DID of another reseller than operator Op A2" in html
    assert "nothing changes on it" in html and "1 DID will be edited." in html
    mass(as_admin, [mine.pk, theirs.pk], operator=target.pk, tag="t1", confirm="1")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.operator_id, mine.tag) == (target.pk, "t1")
    assert (theirs.operator_id, theirs.tag) == (other_world.operator.pk, "")


def test_preview_edits_counts_what_update_dids_then_changes(world, other_world):
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    ids = [world.did().pk, world.did().pk, other_world.did().pk]
    preview = preview_edits(ids, {"operator_id": target.pk})
    assert (preview.edited, preview.same_operator, preview.other_reseller) == (2, 0, 1)
    assert update_dids(ids, {"operator_id": target.pk}, actor=world.actor) == preview.edited


def test_mass_edit_in_the_background_moves_the_operator_too(
    as_a, world, settings, eager, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_THRESHOLD = 1
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    ids = [world.did().pk, world.did().pk]
    with django_capture_on_commit_callbacks(execute=True):
        resp = mass(as_a, ids, operator=target.pk, confirm="1")
    assert resp.status_code == 302 and "/jobs/" in resp["Location"]
    assert set(DID.objects.filter(pk__in=ids).values_list("operator_id", flat=True)) == {target.pk}


# --------------------------------------------------------------------------- no dead ends


def test_a_confirmation_that_changes_nothing_offers_no_active_button(as_a, world):
    did = world.did(tag="same")
    resp = mass(as_a, [did.pk], tag="same")
    html = resp.content.decode()
    assert resp.context["will_change"] == 0
    assert 'id="nothing-to-change"' in html
    assert 'id="confirm-mass" disabled' in html
    active = world.did(Status.ACTIVE)
    resp = as_a.post("/dids/mass-edit/", {"ids": [active.pk], "action": "delete"})
    assert resp.context["will_change"] == 0
    assert 'id="confirm-mass" disabled' in resp.content.decode()
    # A change that does something: the button is active.
    resp = mass(as_a, [did.pk], tag="other")
    assert 'id="confirm-mass" disabled' not in resp.content.decode()


def test_homes_chart_bars_link_to_the_filtered_list(as_a, world):
    world.did()
    html = as_a.get("/").content.decode()
    assert '<a href="/dids/?status=in_stock" class="bar-link"' in html
    assert f'<a href="/dids/?operator={world.operator.pk}" class="bar-link"' in html


# --------------------------------------------------------------------------- the REST API


def test_the_api_renames_through_the_same_form_and_service(api_a, world):
    resp = api_a.patch(f"operators/{world.operator.pk}/", {"name": "Telia"})
    assert resp.status_code == 200 and resp.json()["name"] == "Telia"
    assert audit(world.operator, "update").exists()
    resp = api_a.patch(f"clients/{world.client.pk}/", {"name": ""})
    assert resp.status_code == 400
    assert resp.json()["name"] == ["Name: enter the client's name."]
    resp = api_a.put(f"accounts/{world.account.pk}/", {"name": "main"})
    assert resp.status_code == 200
    assert Account.objects.get(pk=world.account.pk).name == "main"


def test_the_api_refuses_to_delete_a_client_with_dids_and_deletes_one_without(api_a, world):
    world.did(Status.ACTIVE)
    resp = api_a.delete(f"clients/{world.client.pk}/")
    assert resp.status_code == 400
    assert "has 1 DID linked and cannot be deleted" in str(resp.json())
    spare = Client.objects.create(name="Spare", reseller=world.reseller)
    assert api_a.delete(f"clients/{spare.pk}/").status_code == 204
    assert not Client.objects.filter(pk=spare.pk).exists()


def test_the_api_sets_and_clears_an_end_date_and_keeps_it_when_left_out(api_a, world):
    url = f"subscriptions/{world.subscription.pk}/"
    resp = api_a.patch(url, {"end_date": "2027-03-31"})
    assert resp.status_code == 200 and resp.json()["end_date"] == "2027-03-31"
    assert api_a.patch(url, {}).json()["end_date"] == "2027-03-31"
    resp = api_a.patch(url, {"end_date": "2020-01-01"})
    assert resp.status_code == 400 and "before the start date" in str(resp.json())
    assert api_a.patch(url, {"end_date": None}).json()["end_date"] is None


def test_the_api_keeps_tenancy_on_the_new_writes(api_a, world, other_world):
    assert api_a.patch(f"operators/{other_world.operator.pk}/", {"name": "X"}).status_code == 404
    assert api_a.delete(f"accounts/{other_world.account.pk}/").status_code == 404
    assert api_a.patch(f"resellers/{world.reseller.pk}/", {"name": "X"}).status_code == 403
    assert Operator.objects.get(pk=other_world.operator.pk).name == "Op B"


def test_the_api_moves_one_did_to_another_operator_of_its_reseller_only(
    client, admin, world, other_world
):
    from .api_support import Api, token_for

    api = Api(client, token_for(admin))
    did = world.did()
    target = Operator.objects.create(name="Op A2", reseller=world.reseller)
    resp = api.patch(f"dids/{did.pk}/", {"operator": other_world.operator.pk})
    assert resp.status_code == 400
    assert resp.json()["operator"] == [
        f"Operator: Op B belongs to another reseller than DID {did.number}."
    ]
    resp = api.patch(f"dids/{did.pk}/", {"operator": target.pk})
    assert resp.status_code == 200
    assert DID.objects.get(pk=did.pk).operator_id == target.pk

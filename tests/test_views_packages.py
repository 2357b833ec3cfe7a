"""Packages: list with Subscriptions count, New Package, Edit Package (warning when the
allowance drops below what an active subscription uses), audit records, tenancy."""

import re

from django.urls import reverse

from audit.models import AuditRecord
from inventory.choices import Status
from packages.models import Package
from subscriptions.models import Subscription

LIST = "/packages/"
NEW = "/packages/new/"


def edit_url(p):
    return f"/packages/{p.pk}/edit/"


def msgs(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def form_data(**over):
    data = {"name": "Gold", "did_allowance": "10", "allowed_tags": "", "hold_days": "30"}
    data.update(over)
    return data


def test_urls_are_named():
    assert reverse("packages:package_list") == LIST
    assert reverse("packages:package_add") == NEW
    assert reverse("packages:package_edit", args=[5]) == "/packages/5/edit/"


def test_list_shows_own_packages_with_counts(as_a, world, other_world):
    Package.objects.create(
        reseller=world.reseller, name="Tagged", did_allowance=5, allowed_tags=["gold", "vip"]
    )
    resp = as_a.get(LIST)
    assert [p.name for p in resp.context["packages"]] == ["Pack A", "Tagged"]
    body = resp.content.decode()
    assert "Pack B" not in body
    for label in (
        "Name",
        "DID allowance",
        "Allowed tags",
        "Hold days",
        "Subscriptions",
        "Reseller",
        "New Package",
    ):
        assert label in body, label
    row = re.search(rf'<tr data-package="{world.package.pk}">(.*?)</tr>', body, re.S).group(1)
    assert '<td class="cli-num">100</td>' in row and '<td class="cli-num">1</td>' in row
    assert "any" in row  # empty allowed tags = any tag
    assert "gold, vip" in body


def test_admin_sees_every_package(as_admin, world, other_world):
    resp = as_admin.get(LIST)
    assert [p.name for p in resp.context["packages"]] == ["Pack A", "Pack B"]


def test_create_package(as_a, world):
    resp = as_a.get(NEW)
    assert list(resp.context["form"].fields["reseller"].queryset) == [world.reseller]
    resp = as_a.post(
        NEW,
        form_data(allowed_tags="gold, vip  gold;local", reseller=world.reseller.pk),
        follow=True,
    )
    package = Package.objects.get(name="Gold")
    assert (package.reseller, package.did_allowance, package.allowed_tags, package.hold_days) == (
        world.reseller,
        10,
        ["gold", "vip", "local"],
        30,
    )
    assert msgs(resp) == [("success", "Package Gold created.")]
    rec = AuditRecord.objects.get(object_type="package", object_id=package.pk)
    assert rec.action == "create" and rec.after["allowed_tags"] == ["gold", "vip", "local"]


def test_create_refuses_another_reseller_and_bad_numbers(as_a, world, other_world):
    resp = as_a.post(
        NEW, form_data(reseller=other_world.reseller.pk, did_allowance="-1", hold_days="x")
    )
    errors = resp.context["form"].errors
    assert errors["reseller"] == ["Reseller: choose one of the resellers in the list."]
    assert errors["did_allowance"] == ["DID allowance: enter a whole number from 0 to 10,000,000."]
    assert errors["hold_days"] == ["Hold days: enter a whole number."]
    assert not Package.objects.filter(name="Gold").exists()


def test_create_duplicate_name_is_a_form_error(as_a, world):
    before = AuditRecord.objects.count()
    resp = as_a.post(NEW, form_data(name="Pack A", reseller=world.reseller.pk))
    assert resp.context["form"].errors["name"] == ["Name: A already has a package named “Pack A”."]
    assert AuditRecord.objects.count() == before


def test_too_long_tag_is_named(as_a, world):
    resp = as_a.post(NEW, form_data(allowed_tags="ok " + "x" * 65, reseller=world.reseller.pk))
    assert "is longer than 64 characters" in resp.context["form"].errors["allowed_tags"][0]


def test_admin_creates_for_any_reseller(as_admin, other_world):
    as_admin.post(NEW, form_data(reseller=other_world.reseller.pk))
    assert Package.objects.get(name="Gold").reseller == other_world.reseller


def test_edit_package(as_a, world):
    resp = as_a.get(edit_url(world.package))
    form = resp.context["form"]
    assert "reseller" not in form.fields
    assert form["did_allowance"].value() == 100
    resp = as_a.post(
        edit_url(world.package),
        form_data(name="Pack A+", did_allowance="200", allowed_tags="gold", hold_days="7"),
        follow=True,
    )
    world.package.refresh_from_db()
    assert (world.package.name, world.package.did_allowance, world.package.allowed_tags) == (
        "Pack A+",
        200,
        ["gold"],
    )
    assert world.package.hold_days == 7
    assert msgs(resp) == [("success", "Package Pack A+ saved.")]
    rec = AuditRecord.objects.get(object_type="package", action="update")
    assert rec.before["name"] == "Pack A" and rec.after["name"] == "Pack A+"
    assert rec.before["did_allowance"] == 100 and rec.after["did_allowance"] == 200


def test_edit_without_changes_writes_nothing(as_a, world):
    before = AuditRecord.objects.count()
    resp = as_a.post(
        edit_url(world.package), form_data(name="Pack A", did_allowance="100"), follow=True
    )
    assert msgs(resp) == [("info", "Package Pack A: nothing to change.")]
    assert AuditRecord.objects.count() == before


def test_lowering_allowance_below_usage_is_allowed_but_warned(as_a, world):
    dids = [world.did(Status.ACTIVE) for _ in range(3)]
    resp = as_a.post(
        edit_url(world.package), form_data(name="Pack A", did_allowance="2"), follow=True
    )
    world.package.refresh_from_db()
    assert world.package.did_allowance == 2
    ((level, text),) = msgs(resp)
    assert level == "warning"
    assert "It now allows 2 DIDs" in text
    assert f"#{world.subscription.pk} of Client A uses 3" in text
    for d in dids:
        d.refresh_from_db()
        assert d.status == Status.ACTIVE  # nothing is taken away


def test_lowering_allowance_of_a_cancelled_subscription_is_not_warned(as_a, world):
    world.did(Status.ACTIVE)
    world.did(Status.ACTIVE)
    Subscription.objects.filter(pk=world.subscription.pk).update(status="cancelled")
    resp = as_a.post(
        edit_url(world.package), form_data(name="Pack A", did_allowance="1"), follow=True
    )
    assert msgs(resp) == [("success", "Package Pack A saved.")]


def test_edit_duplicate_name(as_a, world):
    Package.objects.create(reseller=world.reseller, name="Other")
    resp = as_a.post(edit_url(world.package), form_data(name="Other"))
    assert resp.context["form"].errors["name"] == ["Name: A already has a package named “Other”."]
    world.package.refresh_from_db()
    assert world.package.name == "Pack A"


def test_another_resellers_package_is_404_and_nothing_changes(as_a, world, other_world):
    before = AuditRecord.objects.count()
    assert as_a.get(edit_url(other_world.package)).status_code == 404
    resp = as_a.post(edit_url(other_world.package), form_data(name="Hijacked", did_allowance="0"))
    assert resp.status_code == 404
    other_world.package.refresh_from_db()
    assert (other_world.package.name, other_world.package.did_allowance) == ("Pack B", 100)
    assert AuditRecord.objects.count() == before


def test_admin_edits_any_package(as_admin, other_world):
    as_admin.post(edit_url(other_world.package), form_data(name="Pack B2"))
    other_world.package.refresh_from_db()
    assert other_world.package.name == "Pack B2"

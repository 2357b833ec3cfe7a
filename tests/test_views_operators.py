"""Operators tab: list, DID's count, sort, Advanced Search, New Operator, delete, tenancy."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditRecord
from operators.models import Operator

LIST = "/operators/"
NEW = "/operators/new/"


def delete_url(op):
    return f"/operators/{op.pk}/delete/"


def names(resp):
    return [op.name for op in resp.context["operators"]]


def row(resp, op) -> str:
    html = resp.content.decode()
    match = re.search(rf'<tr data-operator="{op.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for operator {op.pk}"
    return match.group(1)


def test_urls_are_named():
    assert reverse("operators:operator_list") == LIST
    assert reverse("operators:operator_add") == NEW
    assert reverse("operators:operator_delete", args=[7]) == "/operators/7/delete/"


def test_reseller_user_sees_only_own_operators(as_a, world, other_world):
    resp = as_a.get(LIST)
    assert resp.status_code == 200
    assert names(resp) == ["Op A"]
    body = resp.content.decode()
    assert "Op A" in body and "Op B" not in body
    for label in ("ID", "Name", "DID's count", "Reseller", "New Operator", "Advanced Search"):
        assert label in body, label


def test_admin_sees_all_operators(as_admin, world, other_world):
    resp = as_admin.get(LIST)
    assert names(resp) == ["Op A", "Op B"]
    assert "Rows 1 - 2 of 2" in resp.content.decode()


def test_dids_count_per_operator(as_admin, world, other_world):
    for _ in range(3):
        world.did()
    other_world.did()
    empty = Operator.objects.create(name="Empty", reseller=world.reseller)
    resp = as_admin.get(LIST)
    counts = {op.name: op.did_count for op in resp.context["operators"]}
    assert counts == {"Op A": 3, "Op B": 1, "Empty": 0}
    assert '<td class="ops-count">3</td>' in row(resp, world.operator)
    assert '<td class="ops-count">0</td>' in row(resp, empty)


def _did_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(LIST)
    assert resp.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx if "inventory_did" in q["sql"]]


def test_dids_count_is_one_grouped_query_for_the_page(as_admin, world):
    world.did()
    few_total, few_did = _did_queries(as_admin)
    for i in range(30):
        Operator.objects.create(name=f"Bulk {i:02d}", reseller=world.reseller)
    many_total, many_did = _did_queries(as_admin)
    assert len(few_did) == len(many_did) == 1  # one query, not one per row
    assert "GROUP BY" in many_did[0]
    assert many_total == few_total  # nothing grows with the number of rows
    # Only the 20 operators of the page are counted.
    ids = re.search(r"IN \(([^)]*)\)", many_did[0]).group(1)
    assert len(ids.split(",")) == 20


def test_pagination_20_per_page(as_a, world):
    for i in range(24):
        Operator.objects.create(name=f"P{i:02d}", reseller=world.reseller)
    first = as_a.get(LIST)
    assert len(first.context["operators"]) == 20
    assert "Rows 1 - 20 of 25" in first.content.decode()
    second = as_a.get(LIST, {"page": 2})
    assert len(second.context["operators"]) == 5
    assert "Rows 21 - 25 of 25" in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_sort_by_id_name_and_reseller(as_admin, world, other_world):
    zed = Operator.objects.create(name="Zed", reseller=world.reseller)
    alpha = Operator.objects.create(name="Alpha", reseller=other_world.reseller)
    by_id = [world.operator.name, other_world.operator.name, zed.name, alpha.name]
    assert names(as_admin.get(LIST)) == by_id  # default: ID ascending
    assert names(as_admin.get(LIST, {"sort": "-id"})) == by_id[::-1]
    assert names(as_admin.get(LIST, {"sort": "name"})) == ["Alpha", "Op A", "Op B", "Zed"]
    assert names(as_admin.get(LIST, {"sort": "-name"})) == ["Zed", "Op B", "Op A", "Alpha"]
    assert names(as_admin.get(LIST, {"sort": "reseller"})) == ["Op A", "Zed", "Op B", "Alpha"]
    assert names(as_admin.get(LIST, {"sort": "-reseller"})) == ["Alpha", "Op B", "Zed", "Op A"]
    assert names(as_admin.get(LIST, {"sort": "created_at; DROP"})) == by_id  # ignored


def test_sort_header_links_toggle_and_keep_the_search(as_admin, world, other_world):
    body = as_admin.get(LIST, {"sort": "name", "reseller": world.reseller.pk}).content.decode()
    assert f'href="?sort=-name&amp;reseller={world.reseller.pk}"' in body
    assert f'href="?sort=reseller&amp;reseller={world.reseller.pk}"' in body


def test_advanced_search_by_reseller(as_admin, world, other_world):
    Operator.objects.create(name="Op B2", reseller=other_world.reseller)
    resp = as_admin.get(LIST, {"reseller": other_world.reseller.pk})
    assert names(resp) == ["Op B", "Op B2"]
    body = resp.content.decode()
    assert '<details class="list-search" open>' in body
    assert f'<option value="{other_world.reseller.pk}" selected>' in body
    # The choices are the resellers the user may see.
    assert list(resp.context["search"].form.fields["reseller"].queryset) == [
        world.reseller,
        other_world.reseller,
    ]


def test_advanced_search_filter_is_kept_in_page_links(as_admin, world, other_world):
    for i in range(21):
        Operator.objects.create(name=f"B{i:02d}", reseller=other_world.reseller)
    resp = as_admin.get(LIST, {"reseller": other_world.reseller.pk, "sort": "name"})
    assert resp.context["page"].count == 22
    assert f'href="?reseller={other_world.reseller.pk}&amp;sort=name&amp;page=2"' in (
        resp.content.decode()
    )


def test_reseller_user_cannot_search_another_reseller(as_a, world, other_world):
    resp = as_a.get(LIST, {"reseller": other_world.reseller.pk})
    assert "Op B" not in names(resp)
    assert resp.context["search"].form.errors["reseller"]
    assert list(resp.context["search"].form.fields["reseller"].queryset) == [world.reseller]


def test_did_link_opens_inventory_filtered_by_operator(as_a, world):
    assert f'href="/dids/?operator={world.operator.pk}"' in row(as_a.get(LIST), world.operator)


def test_create_operator(as_a, world):
    page = as_a.get(NEW)
    assert page.status_code == 200
    body = page.content.decode()
    assert "New Operator" in body and ">OK<" in body and "Cancel" in body
    resp = as_a.post(NEW, {"name": "  Carrier X ", "reseller": world.reseller.pk})
    assert resp.status_code == 302 and resp.url == LIST
    op = Operator.objects.get(name="Carrier X")
    assert op.reseller == world.reseller
    rec = AuditRecord.objects.get(object_type="operator", object_id=op.pk)
    assert (rec.action, rec.user_id, rec.username) == ("create", world.user.pk, "user-A")
    assert rec.reseller_id == world.reseller.pk
    assert "Operator Carrier X created." in as_a.get(LIST).content.decode()


def test_admin_creates_operator_for_any_reseller(as_admin, world, other_world):
    resp = as_admin.post(NEW, {"name": "For B", "reseller": other_world.reseller.pk})
    assert resp.status_code == 302
    assert Operator.objects.get(name="For B").reseller == other_world.reseller


def test_create_duplicate_name_is_a_form_error(as_a, world):
    resp = as_a.post(NEW, {"name": "Op A", "reseller": world.reseller.pk})
    assert resp.status_code == 200
    errors = resp.context["form"].errors["name"]
    assert any("already has an operator named" in e for e in errors)
    assert "already has an operator named" in resp.content.decode()
    assert Operator.objects.filter(name="Op A").count() == 1
    assert not AuditRecord.objects.filter(object_type="operator").exists()


def test_create_without_name_is_a_form_error(as_a, world):
    resp = as_a.post(NEW, {"name": "  ", "reseller": world.reseller.pk})
    assert resp.status_code == 200
    assert resp.context["form"].errors["name"]
    assert Operator.objects.count() == 1


def test_reseller_user_gets_only_own_reseller(as_a, world, other_world):
    field = as_a.get(NEW).context["form"].fields["reseller"]
    assert list(field.queryset) == [world.reseller]
    assert field.empty_label is None


def test_reseller_user_cannot_create_for_another_reseller(as_a, world, other_world):
    resp = as_a.post(NEW, {"name": "Sneaky", "reseller": other_world.reseller.pk})
    assert resp.status_code == 200
    errors = resp.context["form"].errors["reseller"]
    assert errors and errors[0].startswith("Reseller:")
    assert not Operator.objects.filter(name="Sneaky").exists()


def test_delete_confirm_page_changes_nothing(as_a, world):
    resp = as_a.get(delete_url(world.operator))
    assert resp.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in resp.content.decode()
    assert Operator.objects.filter(pk=world.operator.pk).exists()


def test_delete_refused_while_operator_owns_dids(as_a, world):
    world.did()
    world.did()
    audit_before = AuditRecord.objects.count()
    resp = as_a.post(delete_url(world.operator), follow=True)
    assert resp.status_code == 200
    msgs = [str(m) for m in resp.context["messages"]]
    assert msgs == [
        "Operator Op A owns 2 DIDs and cannot be deleted. Delete or move its DIDs first."
    ]
    assert "owns 2 DIDs and cannot be deleted" in resp.content.decode()
    assert Operator.objects.filter(pk=world.operator.pk).exists()
    assert world.operator.dids.count() == 2
    assert AuditRecord.objects.count() == audit_before


def test_delete_operator_without_dids(as_a, world):
    op = Operator.objects.create(name="Spare", reseller=world.reseller)
    resp = as_a.post(delete_url(op), follow=True)
    assert resp.status_code == 200
    assert not Operator.objects.filter(pk=op.pk).exists()
    assert "Operator Spare deleted." in [str(m) for m in resp.context["messages"]]
    rec = AuditRecord.objects.get(object_type="operator", object_id=op.pk)
    assert (rec.action, rec.user_id, rec.before["name"]) == ("delete", world.user.pk, "Spare")


def test_another_resellers_operator_is_not_found(as_a, world, other_world):
    assert as_a.get(delete_url(other_world.operator)).status_code == 404
    assert as_a.post(delete_url(other_world.operator)).status_code == 404
    assert Operator.objects.filter(pk=other_world.operator.pk).exists()


def test_admin_deletes_any_resellers_operator(as_admin, other_world):
    op = Operator.objects.create(name="Spare B", reseller=other_world.reseller)
    assert as_admin.post(delete_url(op)).status_code == 302
    assert not Operator.objects.filter(pk=op.pk).exists()

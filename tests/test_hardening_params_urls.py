"""Hostile parameters on the Audit Log and in URL arguments, and the check that every list page
of the URL matrix is fuzzed (issue 7, item 4)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from api import auth
from api.models import ApiToken
from audit.models import AuditRecord
from audit.services import Actor, record
from inventory.models import DID

from . import test_url_matrix
from .params_support import LIST_PAGES

# --------------------------------------------------------------------------- the Audit Log


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("username", "a\x00b", "User: Null characters are not allowed."),
        ("action", "\x00", "Action: choose one of the list."),
        ("object_type", "did\x00", "Object type: Null characters are not allowed."),
        ("object_type", "x" * 33, "Object type: at most 32 characters."),
        ("object_id", "abc", "Object id: enter an id"),
        ("object_id", "²", "Object id: enter an id"),
        ("object_id", "-1", "Object id: enter an id"),
        ("object_id", str(10**30), "Object id: no object has an id that large."),
        ("change_set", "not-a-uuid", "Change set: not a change set id."),
        ("change_set", "\x00", "Change set: "),
    ],
)
def test_a_bad_audit_filter_is_a_400_naming_the_filter(client, scene, param, value, message):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/audit/", {param: value})
    assert resp.status_code == 400
    assert message in resp.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize("value", ["1e20", "0", "x\x00", "9" * 5000, "WzEsMl0", "WyJ4Il0"])
def test_an_audit_page_link_that_is_not_valid_is_the_first_page_with_a_message(
    client, scene, param, value
):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/audit/", {param: value})
    assert resp.status_code == 200
    assert "This page link is not valid" in resp.content.decode()
    page = resp.context["page"]
    assert page.first_row == 1 and page.rows


def test_audit_pages_go_back_by_keyset_as_deep_as_the_log(client, scene):
    """No page-number depth limit: each page starts after the last record's id, so a page
    deep in a log of millions costs what the first one does."""
    a, _b, _admin = scene
    actor = Actor(username="deep")
    for i in range(120):
        record(
            actor,
            action="edit",
            object_type="did",
            object_id=i,
            object_repr=str(i),
            reseller_id=a.reseller.pk,
        )
    client.force_login(a.user)
    seen, url = [], "/audit/?username=deep"
    while url:
        resp = client.get(url)
        seen += [r.pk for r in resp.context["page"].rows]
        url = resp.context["nav"].get("next")
        url = f"/audit/{url}" if url else None
    assert seen == sorted(
        AuditRecord.objects.filter(username="deep").values_list("pk", flat=True), reverse=True
    )
    assert "Rows 101 - 120 of 120" in resp.content.decode()


# --------------------------------------------------------------------------- URL arguments


def _path_rows():
    return [r for r in test_url_matrix.url_rows() if r.kwargs]


@pytest.mark.parametrize("row", _path_rows(), ids=test_url_matrix.row_id)
def test_ids_that_do_not_exist_in_the_url_are_a_404(client, scene, row):
    a, _b, admin = scene
    client.force_login(admin)
    kwargs = row.kwargs(a)
    failures = []
    for bad in (999_999_999, 2**63, 10**30):
        url = reverse(row.name, kwargs=dict.fromkeys(kwargs, bad))
        try:
            with transaction.atomic():
                resp = client.post(url, {}) if row.method == "post" else client.get(url)
        except Exception as exc:  # noqa: BLE001
            failures.append((bad, repr(exc)[:200]))
            continue
        if resp.status_code != 404:
            failures.append((bad, resp.status_code))
    assert not failures, failures


@pytest.mark.parametrize(
    "number", ["x", "1" * 40, "+", "\x00", "1\x00", "%00", "1e20", "١٢", " 12 ", "12\n", "-1"]
)
def test_the_routing_api_answers_a_bad_number_with_4xx(client, scene, number):
    from urllib.parse import quote

    a, _b, _admin = scene
    auth.clear_cache()
    key = ApiToken.issue(name="switch", reseller=a.reseller)[1]
    resp = client.get(f"/api/v1/route/{quote(number)}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert resp.status_code in (400, 404), resp.status_code
    assert "error" in resp.json()


# --------------------------------------------------------------------------- every list page


def test_every_list_page_of_the_url_matrix_is_fuzzed():
    """A new list page (a GET row without URL arguments in ``tests/test_url_matrix.py``) must
    get a row in ``LIST_PAGES`` too."""
    fuzzed = {p.name for p in LIST_PAGES}
    lists = {r.name for r in test_url_matrix.url_rows() if r.method == "get" and not r.kwargs}
    assert lists - fuzzed == set()


def test_audit_log_of_a_huge_value_stays_small(client, scene):
    """The audit page's size is bounded, whatever the records hold (issue 7, item 5)."""
    a, _b, _admin = scene
    did = DID.objects.filter(reseller=a.reseller).first()
    huge = "N" * 9_000_000
    actor = Actor.for_user(a.user)
    for _ in range(3):
        record(
            actor,
            action="edit",
            object_type="did",
            object_id=did.pk,
            object_repr=did.number,
            reseller_id=a.reseller.pk,
            before={"notes": huge},
            after={"notes": huge + "!", "tag": "gold"},
        )
    record(
        actor,
        action="edit",
        object_type="did",
        object_id=did.pk,
        object_repr=did.number,
        reseller_id=a.reseller.pk,
        before={f"field{i}": "v" * 300 for i in range(5_000)},
        after=["not", "an", "object", "x" * 10_000],
    )
    client.force_login(a.user)
    for url in ("/audit/", f"/dids/{did.pk}/history/"):
        resp = client.get(url, follow=True)
        assert resp.status_code == 200
        html = resp.content.decode()
        assert len(resp.content) < 100_000, len(resp.content)
        # Cut to 200 characters and an ellipsis.
        assert "Notes</span>: " + "N" * 200 + "… → " + "N" * 200 + "…" in html
        assert "N" * 201 not in html
        assert "Tag</span>: — → gold" in html  # short values whole
        assert "and 4,988 more fields" in html  # 12 of 5,000 fields shown
        assert AuditRecord.objects.filter(object_id=did.pk, action="edit").count() == 4

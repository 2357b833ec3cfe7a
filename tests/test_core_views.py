"""core: one pagination, one sort, one page-size choice, the count-per-foreign-key helper, the
form-error helper and the generic list / add / delete / bulk edit views (through Operator)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404, QueryDict
from django.test import RequestFactory

from accounts.tenancy import scoped
from core import views as generic
from core.forms import add_service_error, form_messages
from core.paging import parse_page
from core.selectors import count_by
from core.tables import Column, Table
from inventory.models import DID
from operators.models import Operator
from operators.tables import OperatorTable

LIST = "/operators/"


class NumberTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("name", "Name", ("name", "id")),
        Column("count", "Count"),
        Column("extra", "Extra", ("extra", "id"), keyset=False, optional=True),
    ]


# --------------------------------------------------------------------------- sort, page size


def test_sort_for_reads_the_direction_and_keeps_the_url_value():
    choice = NumberTable.sort_for(QueryDict("sort=-name"))
    assert (choice.sort.key, choice.descending, choice.value, choice.notice) == (
        "name",
        True,
        "-name",
        "",
    )
    assert choice.sort.order_by(True) == ["-name", "-id"]


@pytest.mark.parametrize("raw", ["bogus", "-count", "created_at; DROP", "x\x00"])
def test_an_unknown_or_unsortable_sort_falls_back_with_a_message(raw):
    choice = NumberTable.sort_for({"sort": raw})
    assert (choice.sort.key, choice.descending) == ("id", False)
    assert choice.notice.startswith("Sort: “") and choice.notice.endswith("sorted by ID.")
    assert "\x00" not in choice.notice


def test_no_sort_is_the_default_without_a_message():
    assert NumberTable.sort_for(QueryDict("")).notice == ""
    assert NumberTable.sort_for(QueryDict(""), "-name").value == "-name"


def test_a_table_pages_by_offset_when_it_says_so():
    assert NumberTable.sorts()["id"].keyset and not NumberTable.sorts()["extra"].keyset
    assert not any(s.keyset for s in OperatorTable.sorts().values())


def test_headers_link_each_sortable_column_and_reverse_the_active_one():
    choice = NumberTable.sort_for(QueryDict("sort=name"))
    cells = NumberTable.headers(choice, lambda v: f"?sort={v}")
    assert [c["key"] for c in cells] == ["id", "name", "count"]  # the optional one is hidden
    assert cells[1]["url"] == "?sort=-name" and cells[1]["active"]
    assert cells[0]["url"] == "?sort=id" and not cells[0]["active"]
    assert not cells[2]["sortable"] and "url" not in cells[2]
    shown = NumberTable.headers(choice, lambda v: v, shown_optional=["extra"])
    assert [c["key"] for c in shown][-1] == "extra"


@pytest.mark.parametrize(
    ("raw", "size", "noticed"),
    [("", 20, False), ("50", 50, False), ("500", 500, False), ("7", 20, True), ("x", 20, True)],
)
def test_page_size_is_one_of_the_choices(raw, size, noticed):
    got, notice = generic.per_page_of(QueryDict(f"per_page={raw}"))
    assert got == size and bool(notice) == noticed
    if noticed:
        assert notice == "Rows per page: choose 20, 50, 100 or 500; showing 20."


def test_query_drops_the_page_and_keeps_the_order_of_the_rest():
    params = QueryDict("sort=name&reseller=3&page=4&after=x")
    assert generic.query(params, sort="-name") == "sort=-name&reseller=3"
    assert generic.query(params, page="2") == "sort=name&reseller=3&page=2"


def test_parse_page_refuses_what_is_not_a_page_number():
    assert parse_page("3") == (3, "")
    assert parse_page("abc")[0] == 1 and "not a page number" in parse_page("abc")[1]
    assert parse_page("9", last=2) == (2, "Page: there is no page 9; showing the last page, 2.")


# --------------------------------------------------------------------------- helpers


def test_count_by_is_one_grouped_count_per_key(world, other_world, django_assert_num_queries):
    world.did()
    world.did()
    other_world.did()
    ids = [world.operator.pk, other_world.operator.pk, 10**9]
    with django_assert_num_queries(1):
        counts = count_by(DID.objects.all(), "operator_id", ids)
    assert counts == {world.operator.pk: 2, other_world.operator.pk: 1}
    with django_assert_num_queries(0):
        assert count_by(DID.objects.all(), "operator_id", []) == {}


class NameForm(forms.Form):
    name = forms.CharField(label="Name")


def test_a_service_error_goes_under_the_field_it_names():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    add_service_error(form, "Name: taken.")
    add_service_error(form, "Something else.")
    assert form.errors["name"] == ["Name: taken."]
    assert form.non_field_errors() == ["Something else."]


def _request(path="/", data=None, user=None, method="get"):
    request = getattr(RequestFactory(), method)(path, data or {})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_form_messages_name_each_error_by_its_field():
    request = _request()
    form = NameForm({"name": ""})
    assert not form.is_valid()
    form_messages(request, form)
    assert [str(m) for m in get_messages(request)] == ["Name: This field is required."]


# --------------------------------------------------------------------------- the generic views


def test_list_shows_rows_x_to_y_of_n_with_separators(as_a, world, monkeypatch):
    Operator.objects.bulk_create(
        Operator(name=f"P{i:04d}", reseller=world.reseller) for i in range(1_100)
    )
    resp = as_a.get(LIST, {"per_page": 500, "page": 2})
    body = resp.content.decode()
    assert 'id="rows-info">Rows 501 - 1,000 of 1,101<' in body
    assert "Page 2 of 3" in body
    assert len(resp.context["operators"]) == 500


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "bogus"}, "Sort: “bogus” is not a column; sorted by ID."),
        ({"per_page": "7"}, "Rows per page: choose 20, 50, 100 or 500; showing 20."),
        ({"page": "abc"}, "Page: “abc” is not a page number; showing page 1."),
        ({"page": "99"}, "Page: there is no page 99; showing the last page, 1."),
    ],
)
def test_list_bad_parameters_show_a_page_and_say_why(as_a, world, params, message):
    resp = as_a.get(LIST, params)
    assert resp.status_code == 200
    assert [op.name for op in resp.context["operators"]] == ["Op A"]
    assert message in [str(m) for m in resp.context["messages"]]


def test_list_is_scoped_to_the_users_reseller(as_a, world, other_world):
    assert [op.pk for op in as_a.get(LIST).context["operators"]] == [world.operator.pk]


def test_add_puts_the_service_error_under_its_field(as_a, world):
    resp = as_a.post("/operators/new/", {"name": "Op A", "reseller": world.reseller.pk})
    assert resp.status_code == 200
    assert resp.context["form"].errors["name"][0].startswith("Name: ")
    assert 'class="field field-invalid"' in resp.content.decode()


def test_delete_preview_comes_from_the_service_and_a_refusal_is_an_error(as_a, world):
    world.did()
    resp = as_a.get(f"/operators/{world.operator.pk}/delete/")
    preview = resp.context["preview"]
    assert not preview.allowed and preview.counts == {"DID": 1}
    html = resp.content.decode()
    assert "owns 1 DID and cannot be deleted" in html
    assert ">OK<" not in html  # no dead end: a refused delete offers no OK (issue 12)
    resp = as_a.post(f"/operators/{world.operator.pk}/delete/", follow=True)
    [message] = list(resp.context["messages"])
    assert message.level_tag == "error" and "owns 1 DID and cannot" in str(message)


def test_another_resellers_object_is_a_404_for_every_view(as_a, world, other_world):
    pk = other_world.operator.pk
    assert as_a.get(f"/operators/{pk}/delete/").status_code == 404
    assert as_a.post(f"/operators/{pk}/delete/").status_code == 404


# A bulk edit of operators' names, only to prove the generic view's behaviour.


class RenameForm(forms.Form):
    suffix = forms.CharField(label="Suffix")


class OperatorRename(generic.BulkEditView):
    queryset = Operator.objects.all()
    scope = scoped
    form_class = RenameForm
    template_name = "operators/list.html"
    success_url = "operators:operator_list"
    job_kind = "operator_rename"

    def preview(self, selection, form):
        return {"count": selection.count()}

    def perform(self, selection, form, *, actor, request):
        n = 0
        for op in selection:
            op.name += form.cleaned_data["suffix"]
            op.save(update_fields=["name"])
            n += 1
        return f"{n} renamed."


def _bulk(user, data):
    request = _request("/bulk/", data, user, method="post")
    return request, OperatorRename.as_view()(request)


def test_bulk_edit_confirms_with_the_services_preview_then_acts(world, monkeypatch):
    extra = Operator.objects.create(name="Two", reseller=world.reseller)
    ids = [world.operator.pk, extra.pk]
    rendered = {}
    monkeypatch.setattr(generic, "render", lambda r, t, c: rendered.update(c) or "page")
    _request_, response = _bulk(world.user, {"ids": ids, "suffix": "!"})
    assert response == "page" and rendered["preview"] == {"count": 2}
    assert rendered["ids"] == sorted(ids)
    assert Operator.objects.filter(name__endswith="!").count() == 0
    request, response = _bulk(world.user, {"ids": ids, "suffix": "!", "confirm": "1"})
    assert response.status_code == 302 and response.url == LIST
    assert [str(m) for m in get_messages(request)] == ["2 renamed."]
    assert Operator.objects.filter(name__endswith="!").count() == 2


def test_bulk_edit_all_matching_uses_the_scoped_search(world, other_world):
    request, response = _bulk(world.user, {"all_matching": "1", "suffix": "*", "confirm": "1"})
    assert response.status_code == 302
    assert list(Operator.objects.filter(name__endswith="*")) == [world.operator]


def test_bulk_edit_of_another_resellers_id_is_a_404(world, other_world):
    with pytest.raises(Http404):
        _bulk(world.user, {"ids": [other_world.operator.pk], "suffix": "!"})


def test_bulk_edit_above_the_threshold_starts_a_job(world, settings, monkeypatch):
    settings.BACKGROUND_THRESHOLD = 0
    started = {}

    class FakeJob:
        pk = 41

    def start(kind, **kwargs):
        started.update(kind=kind, **kwargs)
        return FakeJob()

    monkeypatch.setattr(generic.jobs, "start", start)
    request, response = _bulk(
        world.user, {"ids": [world.operator.pk], "suffix": "!", "confirm": "1"}
    )
    assert response.status_code == 302 and response.url == "/jobs/41/"
    assert started["kind"] == "operator_rename" and started["total"] == 1
    assert started["params"]["ids"] == [world.operator.pk]
    assert not Operator.objects.filter(name__endswith="!").exists()

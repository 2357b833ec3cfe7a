"""Hostile query parameters on every list and export page: never a 5xx (issue 7, item 4).

Every URL that lists or exports (found from ``tests/test_url_matrix.py``'s rows: each GET
row without URL arguments is a list page, plus the pages that list one object's rows) gets
each of its query parameters set to each hostile value: ids that do not exist, text where a
number belongs, negative and enormous numbers, NUL characters, very long strings,
JSON-looking and base64 garbage cursors, unknown sort keys, repeated parameters. Each
answer is a whole page (or a 400, a redirect, a 404), never a server error; pages whose
parameters this item owns also say what they did with a bad value.
"""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from core.paging import encode_cursor
from inventory.models import DID
from inventory.tables import DIDTable

from .params_support import LIST_PAGES, ListPage

SORTS = DIDTable.sorts()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE = [
    "999999999",  # an id that does not exist
    "0",
    "-1",
    "abc",  # text where a number belongs
    "1.5",
    "1e20",
    str(10**20),
    str(10**30),
    "9" * 5000,  # past Python's int() digit limit
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() says 12
    "\x00",
    "a\x00b",
    "x" * 5000,
    "é" * 300,
    '{"a": 1}',
    "[1, 2]",
    "null",
    "NaN",
    "true",
    "!!!!====",
    _b64(b"not json"),
    _b64(b'["x"]'),
    "9999-12-31",
    "0001-01-01",
    "-id",
    "--id",
    "-",
    "%",
    "_",
    "'",
    "\\",
    " ",
]
# Cursors: a list of the wrong length, text or objects where a number belongs, numbers past
# bigint, NULs in text, and things that are not a cursor at all.
CURSORS = [
    encode_cursor(["x"]),
    encode_cursor([{"a": 1}]),
    encode_cursor([[1]]),
    encode_cursor([10**30]),
    encode_cursor([-(10**30)]),
    encode_cursor([1.5]),
    encode_cursor([True]),
    encode_cursor([None]),
    encode_cursor(["a\x00b"]),
    encode_cursor(["x", "y"]),
    encode_cursor(["active", "x"]),
    encode_cursor([{"a": 1}, 1]),
    encode_cursor(["a\x00b", 1]),
    encode_cursor(["x" * 5000, 1]),
    encode_cursor([1, 2, 3]),
    encode_cursor([]),
    _b64(json.dumps({"a": 1}).encode()),
    _b64(b'"x"'),
    _b64(b"1e999"),
    _b64(b"[1e999]"),
    _b64(b"[NaN]"),
    _b64(b"[" * 10000),
    _b64(b"\xff\xfe\x00"),
    _b64(b"[" + b"9" * 5000 + b"]"),
    "%%%",
    "é",
    "[1]",
    "=" * 9,
    "A" * 5000,
    "",
]


def _body(resp) -> bytes:
    """The whole body: a streamed one is read to its end, as a browser would."""
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def _probe(client, url: str, data) -> tuple[str | None, object]:
    """What is wrong with the answer to GET ``url`` with ``data`` (None if it is fine), and
    the answer."""
    try:
        # A savepoint per request: a request that broke the transaction cannot hide the next.
        with transaction.atomic():
            resp = client.get(url, data)
            body = _body(resp)
    except Exception as exc:  # noqa: BLE001 - a crash is the failure this test reports
        return f"raised {type(exc).__name__}: {str(exc)[:200]}", None
    if resp.status_code not in (200, 302, 400, 404):
        return f"answered {resp.status_code}", resp
    html = resp.status_code in (200, 400) and resp["Content-Type"].startswith("text/html")
    if html and not body.rstrip().endswith(b"</html>"):
        return "answered a page that stops before its end", resp
    return None, resp


def _users(page: ListPage, a, admin):
    return [admin] if page.admin_only else [a.user, admin]


def _cases():
    for page in LIST_PAGES:
        for param in page.params:
            yield pytest.param(page, param, id=f"{page.name}-{param}")


@pytest.mark.parametrize(("page", "param"), list(_cases()))
def test_hostile_values_never_give_a_server_error(client, scene, page, param):
    a, _b, admin = scene
    url = reverse(page.name, kwargs=page.kwargs(a) if page.kwargs else None)
    values = HOSTILE + (CURSORS if param in ("after", "before") else [])
    failures = []
    for user in _users(page, a, admin):
        client.force_login(user)
        for value in values:
            for data in ({param: value}, {param: ["1", value]}):  # alone, and repeated
                problem, _resp = _probe(client, url, {**page.extra, **data})
                if problem:
                    failures.append((user.username, repr(data)[:120], problem))
    assert not failures, failures[:20]


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{k}" for k in SORTS)])
def test_bad_cursors_on_every_sort_show_the_first_page_with_a_message(client, scene, sort):
    a, _b, _admin = scene
    client.force_login(a.user)
    failures = []
    keyset = SORTS[sort.lstrip("-")].keyset
    # Text where the DID sort's one text column belongs is a cursor, if an odd one.
    texts = {encode_cursor(["x"])} if sort.lstrip("-") == "did" else set()
    for direction in ("after", "before"):
        for cursor in [c for c in CURSORS if c and c not in texts]:
            problem, resp = _probe(client, "/dids/", {"sort": sort, direction: cursor, "start": 20})
            if problem:
                failures.append((direction, cursor[:60], problem))
                continue
            if resp.status_code != 200 or (
                keyset and "page link is not valid" not in resp.content.decode()
            ):
                failures.append((direction, cursor[:60], "no message"))
            # The first page: every one of A's DIDs is listed (there are fewer than a page).
            elif len(resp.context["page"].rows) != 6 or resp.context["page"].start != 0:
                failures.append((direction, cursor[:60], "not the first page"))
    assert not failures, failures[:20]


def test_a_good_cursor_still_pages(client, scene):
    """The cursor check refuses nothing a real "next" link carries."""
    a, _b, _admin = scene
    client.force_login(a.user)
    for sort in [k for k, s in SORTS.items() if s.keyset]:
        for key in (sort, f"-{sort}"):
            first = client.get("/dids/", {"sort": key, "per_page": 20})
            assert first.status_code == 200
            rows = first.context["page"].rows
            cursor = encode_cursor(
                [getattr(rows[2], rows[2]._meta.get_field(c).attname) for c in SORTS[sort].columns]
            )
            resp = client.get("/dids/", {"sort": key, "after": cursor, "start": 3})
            assert "page link is not valid" not in resp.content.decode(), key
            assert [d.pk for d in resp.context["page"].rows] == [d.pk for d in rows[3:]], key


@pytest.mark.parametrize("value", ["1e20", str(10**20), str(10**30), "-3", "abc", "\x00"])
@pytest.mark.parametrize("sort", [k for k, s in SORTS.items() if not s.keyset])
def test_a_bad_page_number_on_offset_sorts_is_a_page_with_a_message(client, scene, sort, value):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/", {"sort": sort, "page": value})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Page: " in html and ("is not a page number" in html or "no page" in html)
    assert len(resp.context["page"].rows) == 6  # the one page there is


def test_a_page_past_the_end_of_an_estimated_count_is_empty_with_a_message(
    client, scene, monkeypatch
):
    monkeypatch.setattr("inventory.selectors.SEARCH_EXACT_LIMIT", 2)  # A's 6 DIDs: an estimate
    a, _b, _admin = scene
    client.force_login(a.user)
    search = {"did": "7", "did_match": "prefix"}  # a search the counts table cannot answer
    resp = client.get("/dids/", {**search, "sort": "notes", "page": str(10**9)})
    assert resp.status_code == 200
    assert "there is no page 1,000,000,000" in resp.content.decode()
    assert resp.context["page"].rows == []


@pytest.mark.parametrize("param", ["sort", "per_page"])
def test_an_unknown_sort_or_page_size_says_what_the_list_shows_instead(client, scene, param):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/", {param: "bogus\x00"})
    html = resp.content.decode()
    assert resp.status_code == 200 and len(resp.context["page"].rows) == 6
    expected = (
        "Sort: “bogus” is not a column; sorted by ID."
        if param == "sort"
        else ("Rows per page: choose 20, 50, 100 or 500; showing 20.")
    )
    assert expected.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or expected in html


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize("param", ["client", "account"])
@pytest.mark.parametrize("value", ["Client B", "acc_B", "nothing matches this"])
def test_a_client_or_account_filter_that_matches_nothing_lists_nothing(client, scene, param, value):
    """As reseller A, B's client and account names match nothing (and no other name does)."""
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/", {param: value})
    assert resp.status_code == 200
    assert resp.context["page"].rows == [] and resp.context["page"].count == 0
    assert "No DIDs match this search." in resp.content.decode()
    # With another sort, and another page size, the same.
    resp = client.get("/dids/", {param: value, "sort": "-notes", "per_page": 500, "page": 2})
    assert resp.status_code == 200 and resp.context["page"].rows == []


def test_csv_export_of_a_search_that_matches_nothing_streams_to_its_end(client, scene):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/export/", {"client": "Client B"})
    assert resp.status_code == 200 and resp.streaming
    rows = list(csv.reader(io.StringIO(_body(resp).decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][:4] == ["ID", "Status", "Operator", "DID"]


def test_csv_export_of_a_client_search_lists_that_clients_dids_to_the_end(client, scene):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/export/", {"client": "Client A"})
    rows = list(csv.reader(io.StringIO(_body(resp).decode("utf-8-sig"))))
    linked = DID.objects.filter(client=a.client).values_list("number", flat=True)
    assert sorted(r[3] for r in rows[1:]) == sorted(linked) and len(linked) == 3


@pytest.fixture
def eager(settings, tmp_path):
    from config.celery import app

    settings.EXPORT_DIR = tmp_path / "exports"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_xlsx_export_of_a_search_that_matches_nothing_is_a_file_with_the_header(
    client, scene, eager, django_capture_on_commit_callbacks
):
    a, _b, _admin = scene
    client.force_login(a.user)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/dids/export/", {"format": "xlsx", "account": "acc_B"})
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    page = client.get(started["Location"])
    assert page.status_code == 200 and page.context["job"].status == "done", page.context[
        "job"
    ].message
    resp = client.get(started["Location"] + "download/")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(_body(resp))).active.iter_rows(values_only=True))
    assert len(rows) == 1 and rows[0][:4] == ("ID", "Status", "Operator", "DID")


def test_mass_edit_of_all_matching_a_search_that_matches_nothing_changes_nothing(client, scene):
    a, _b, _admin = scene
    client.force_login(a.user)
    before = sorted(DID.objects.values_list("id", "status", "tag"))
    resp = client.post(
        "/dids/mass-edit/",
        {
            "all_matching": "1",
            "q": "client=Client+B",
            "tag": "silver",
            "action": "update",
            "confirm": "1",
        },
    )
    assert resp.status_code == 302
    assert sorted(DID.objects.values_list("id", "status", "tag")) == before


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("client", "a\x00b", "Client: Null characters are not allowed."),
        ("account", "x" * 151, "Account: at most 150 characters."),
        ("tag", "\x00", "Tags: Null characters are not allowed."),
        ("did", "9" * 66, "DID: at most 65 characters."),
        ("status", "zzz", "Status: Select a valid choice."),
        ("operator", str(10**30), "Operator: Select a valid choice."),
        ("hold_ends_before", "0001-01-01", "Hold ends before: enter a date from 1000-01-01"),
    ],
)
def test_a_bad_filter_value_is_a_message_naming_the_filter(client, scene, param, value, message):
    a, _b, _admin = scene
    client.force_login(a.user)
    resp = client.get("/dids/", {param: value})
    assert resp.status_code == 200 and resp.context["page"] is None
    assert message in resp.content.decode().replace("&#x27;", "'")
    exported = client.get("/dids/export/", {param: value})
    assert exported.status_code == 400 and message in exported.content.decode()

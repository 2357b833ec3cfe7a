"""Number geography (``inventory.geography``, from the ``phonenumbers`` library): each DID's
country and region, the Country and Area code searches as range scans of the number, the Home
chart by country, and numbers shown in international format while stored as entered."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import geography
from inventory.choices import Status
from inventory.models import DID

from .api_support import api_a  # noqa: F401

LIST = "/dids/"


def _numbers(world):
    made = {}
    for n in ("+14155550100", "14155550101", "12125550100", "+16135550100", "442079460000"):
        made[n] = world.did(number=n)
    made["0100"] = world.did(number="0100")
    return made


def _listed(resp) -> list[str]:
    """The stored numbers the list shows (each row's link says "Stored as ...")."""
    return sorted(re.findall(r'title="Stored as ([+0-9]+)"', resp.content.decode()))


def test_place_names_country_region_and_international_format():
    sf = geography.place("+14155550100")
    assert (sf.country, sf.country_name, sf.region) == ("US", "United States", "San Francisco, CA")
    assert sf.international == "+1 415-555-0100"
    # Without its "+", the same number; the stored form is what the caller keeps.
    assert geography.place("14155550100") == sf
    ottawa = geography.place("16135550100")
    assert (ottawa.country, ottawa.region) == ("CA", "Ontario")
    london = geography.place("442079460000")
    assert (london.country, london.international) == ("GB", "+44 20 7946 0000")
    # A national or padded number has no country and is shown as stored.
    assert geography.place("0100") == geography.Place("", "", "", "0100")
    # The library's country for an invalid number of a known code; shown as stored.
    egypt = geography.place("20000000000")
    assert (egypt.country, egypt.region, egypt.international) == ("EG", "", "20000000000")


def test_a_shared_calling_code_is_told_apart_by_its_area_codes():
    us, ca = geography.prefixes("US"), geography.prefixes("CA")
    assert "1415" in us and "1212" in us and "1613" not in us
    assert "1613" in ca and "1415" not in ca
    assert geography.prefixes("GG") and all(p.startswith("44") for p in geography.prefixes("GG"))
    assert geography.prefixes("DE") == ["49"]
    assert geography.prefixes("US", "415") == ["1415"]
    assert geography.prefixes("CA", "415") == []  # San Francisco is not in Canada
    assert geography.prefixes("GB", "20") == ["4420"]
    assert geography.country_of_prefix("1613") == "CA"
    assert geography.country_of_prefix("4420") == "GB"
    assert geography.country_of_prefix("0100") == ""


def test_prefixes_become_few_ranges():
    assert geography.ranges(["1201", "1202", "1203", "1209", "13"]) == [
        ("1201", "1204"),
        ("1209", "121"),
        ("13", "14"),
    ]
    assert geography.ranges(["99"]) == [("99", "99:")]
    # Every US area code in ranges of the number: far fewer than the area codes.
    assert len(geography.ranges(geography.prefixes("US"))) < len(geography.prefixes("US"))


def test_search_by_country_and_area_code(as_a, world):
    _numbers(world)
    assert _listed(as_a.get(LIST, {"country": "US"})) == sorted(
        ["+14155550100", "14155550101", "12125550100"]
    )
    assert _listed(as_a.get(LIST, {"country": "US", "area_code": "415"})) == sorted(
        ["+14155550100", "14155550101"]
    )
    assert _listed(as_a.get(LIST, {"country": "CA"})) == ["+16135550100"]
    assert _listed(as_a.get(LIST, {"country": "GB", "area_code": "20"})) == ["442079460000"]
    assert _listed(as_a.get(LIST, {"country": "CA", "area_code": "415"})) == []
    assert _listed(as_a.get(LIST, {"country": "DE"})) == []


def test_country_search_is_range_scans_of_the_number(as_a, world):
    _numbers(world)
    with CaptureQueriesContext(connection) as queries:
        as_a.get(LIST, {"country": "DE"})
    sql = next(q["sql"] for q in queries if "'49'" in q["sql"])
    assert ">= '49'" in sql and "< '5'" in sql and ">= '+49'" in sql and "LIKE" not in sql


def test_bad_country_or_area_code_is_named_and_lists_nothing(as_a, world):
    _numbers(world)
    cases = [
        ({"country": "XX"}, "Country: Select a valid choice."),
        ({"country": "US", "area_code": "41a"}, "Area code: use digits only"),
        ({"area_code": "415"}, "Area code: choose a Country too"),
        ({"country": "US", "area_code": "1" * 9}, "Area code:"),
    ]
    for params, message in cases:
        resp = as_a.get(LIST, params)
        assert resp.status_code == 200
        assert message in resp.content.decode(), params
        assert _listed(resp) == []


def test_list_shows_country_column_and_international_numbers(as_a, world):
    made = _numbers(world)
    body = as_a.get(LIST, {"per_page": 50}).content.decode()
    assert "<th" in body and ">Country<" in body
    row = body[body.index(f'data-id="{made["+14155550100"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "+1 415-555-0100" in row and 'data-country="US"' in row and "San Francisco, CA" in row
    bare = body[body.index(f'data-id="{made["0100"].pk}"') :]
    bare = bare[: bare.index("</tr>")]
    assert 'data-country=""' in bare and ">0100<" in bare


def test_did_page_shows_country_region_and_stored_form(as_a, world):
    did = world.did(number="14155550101")
    body = as_a.get(f"/dids/{did.pk}/").content.decode()
    assert "DID +1 415-555-0101" in body
    assert '<dd id="did-stored">14155550101</dd>' in body
    assert '<dd id="did-country">United States (US)</dd>' in body
    assert '<dd id="did-region">San Francisco, CA</dd>' in body
    did.refresh_from_db()
    assert did.number == "14155550101"  # shown formatted, stored as entered


def test_home_chart_by_country_links_to_the_filtered_list(as_a, world, other_world):
    _numbers(world)
    other_world.did(number="+4930123456")  # another reseller's: not counted for A
    resp = as_a.get("/")
    rows = resp.context["country_chart"]["rows"]
    assert [(r["label"], r["value"], r["url"]) for r in rows] == [
        ("United States", 3, "/dids/?country=US"),
        ("Canada", 1, "/dids/?country=CA"),
        ("United Kingdom", 1, "/dids/?country=GB"),
        ("No country", 1, None),
    ]
    assert 'href="/dids/?country=US"' in resp.content.decode()


def test_country_counts_follow_tenancy_and_status(world, other_world):
    from inventory.selectors import dids_per_country

    world.did(Status.ACTIVE, number="+14155550100")
    other_world.did(number="+14155550199")
    assert dids_per_country(world.user) == [("US", 1)]
    assert dids_per_country(other_world.user) == [("US", 1)]


def test_api_gives_each_did_its_country_and_filters_by_it(api_a, world):
    made = _numbers(world)
    rows = api_a.get("dids/", {"per_page": 20}).json()["results"]
    countries = {r["number"]: r["country"] for r in rows}
    assert countries == {
        "+14155550100": "US",
        "14155550101": "US",
        "12125550100": "US",
        "+16135550100": "CA",
        "442079460000": "GB",
        "0100": "",
    }
    resp = api_a.get("dids/", {"country": "US", "area_code": "415"})
    assert sorted(r["id"] for r in resp.json()["results"]) == sorted(
        [made["+14155550100"].pk, made["14155550101"].pk]
    )
    refused = api_a.get("dids/", {"area_code": "415"})
    assert refused.status_code == 400 and "Area code: choose a Country too" in refused.text


def test_a_shared_calling_code_is_guarded_by_its_own_range_first():
    # +44 is the United Kingdom's and three Crown Dependencies': many ranges, behind "44".
    sql = str(DID.objects.filter(geography.number_q("GB")).query)
    where = sql[sql.index("WHERE") :].replace('"inventory_did"."number"', "n")
    assert where.startswith("WHERE (((n >= 44 AND n < 45) OR (n >= +44 AND n < +45)) AND (")
    assert where.count(" OR ") > 100
    assert geography.number_q("DE", "30") is not None
    assert geography.number_q("CA", "415") is None  # nothing can match: no query at all


def test_home_without_dids_draws_no_country_bar(as_a, world):
    resp = as_a.get("/")
    assert resp.context["country_chart"]["rows"] == []
    assert "No DIDs yet." in resp.content.decode()

"""Saved searches of the DID Inventory (issue 12, point 4): save the current Advanced Search
under a name, for yourself or shared within the reseller; open, rename and delete your own.
Bounded, tenant-safe, audited."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from audit.models import AuditRecord
from config.limits import SAVED_SEARCH_NAME_MAX, SAVED_SEARCH_QUERY_MAX
from inventory.models import SavedSearch

LIST = "/dids/"
SEARCHES = reverse("inventory:saved_search_list")


def _messages(response) -> list[str]:
    return response.said


def _post(client, url, data=None):
    """POST, keep what it said in ``response.said``, and follow its redirect (which shows,
    and so uses up, the messages)."""
    response = client.post(url, data or {})
    response.said = [str(m.message) for m in get_messages(response.wsgi_request)]
    if response.status_code == 302:
        client.get(response["Location"])
    return response


def _save(client, name, q, shared=False):
    data = {"name": name, "q": q}
    if shared:
        data["shared"] = "on"
    return _post(client, SEARCHES, data)


@pytest.fixture
def colleague(world, client):
    """A second user of reseller A."""
    return User.objects.create_user("colleague-A", password="pw-c", reseller=world.reseller)


def test_save_keeps_the_search_and_sort_not_the_page_and_opens_it(as_a, world):
    q = f"status=in_stock&operator={world.operator.pk}&tag=gold&sort=-did&after=7&page=3"
    response = _save(as_a, "  Gold stock  ", q)

    search = SavedSearch.objects.get()
    assert search.name == "Gold stock" and search.user == world.user and not search.shared
    assert parse_qs(search.query) == {
        "status": ["in_stock"],
        "operator": [str(world.operator.pk)],
        "tag": ["gold"],
        "sort": ["-did"],
    }
    assert response.status_code == 302 and response["Location"] == f"{LIST}?{search.query}"
    assert _messages(response) == ["Saved the search “Gold stock”."]
    record = AuditRecord.objects.get(object_type="savedsearch", action="create")
    assert record.object_id == search.pk and record.after["query"] == search.query

    # Listed next to Advanced Search, and opening it is the list with its search.
    html = as_a.get(LIST).content.decode()
    assert reverse("inventory:saved_search_open", args=[search.pk]) in html
    assert "Gold stock" in html
    opened = as_a.get(reverse("inventory:saved_search_open", args=[search.pk]))
    assert opened.status_code == 302
    assert parse_qs(urlsplit(opened["Location"]).query) == parse_qs(search.query)


def test_shared_searches_are_seen_within_the_reseller_only(client, world, other_world, colleague):
    client.force_login(world.user)
    _save(client, "Mine only", "tag=a")
    _save(client, "For the team", "tag=b", shared=True)
    private, shared = SavedSearch.objects.order_by("name").reverse()
    assert (private.name, shared.name) == ("Mine only", "For the team")
    assert shared.shared and shared.reseller == world.reseller

    # A colleague of the same reseller sees the shared one, not the private one.
    client.force_login(colleague)
    html = client.get(LIST).content.decode()
    assert "For the team" in html and "Mine only" not in html
    assert client.get(reverse("inventory:saved_search_open", args=[shared.pk])).status_code == 302
    assert client.get(reverse("inventory:saved_search_open", args=[private.pk])).status_code == 404
    # ... and may neither rename nor delete it.
    rename = reverse("inventory:saved_search_rename", args=[shared.pk])
    assert client.post(rename, {"name": "Taken over"}).status_code == 404
    delete = reverse("inventory:saved_search_delete", args=[shared.pk])
    assert client.post(delete).status_code == 404

    # Another reseller's user sees neither, anywhere.
    client.force_login(other_world.user)
    for url in (LIST, SEARCHES):
        html = client.get(url).content.decode()
        assert "For the team" not in html and "Mine only" not in html
    for search in (private, shared):
        url = reverse("inventory:saved_search_open", args=[search.pk])
        assert client.get(url).status_code == 404
    assert SavedSearch.objects.filter(name="For the team").exists()


def test_an_admins_shared_search_is_not_shown_to_resellers(client, world, admin):
    client.force_login(admin)
    _save(client, "Admins' view", "status=archive", shared=True)
    search = SavedSearch.objects.get()
    assert search.reseller is None
    client.force_login(world.user)
    assert "Admins&#x27; view" not in client.get(LIST).content.decode()
    assert client.get(reverse("inventory:saved_search_open", args=[search.pk])).status_code == 404


def test_rename_and_delete_your_own(as_a, world):
    _save(as_a, "First", "tag=a")
    _save(as_a, "Second", "tag=b")
    first = SavedSearch.objects.get(name="First")
    rename = reverse("inventory:saved_search_rename", args=[first.pk])

    response = _post(as_a, rename, {"name": "Second"})
    assert _messages(response) == ["“First”: Name: you already have a saved search named “Second”."]
    first.refresh_from_db()
    assert first.name == "First"

    response = _post(as_a, rename, {"name": "Renamed"})
    assert _messages(response) == ["Renamed the saved search “First” to “Renamed”."]
    first.refresh_from_db()
    assert first.name == "Renamed"
    record = AuditRecord.objects.get(object_type="savedsearch", action="edit")
    assert record.before == {"name": "First"} and record.after == {"name": "Renamed"}

    response = _post(as_a, reverse("inventory:saved_search_delete", args=[first.pk]))
    assert _messages(response) == ["Deleted the saved search “Renamed”."]
    assert list(SavedSearch.objects.values_list("name", flat=True)) == ["Second"]
    assert AuditRecord.objects.filter(object_type="savedsearch", action="delete").count() == 1


def test_the_manage_page_lists_own_and_shared_searches(client, world, colleague):
    client.force_login(colleague)
    _save(client, "Colleague's", "tag=c", shared=True)
    client.force_login(world.user)
    _save(client, "Mine", "tag=m")
    html = client.get(SEARCHES).content.decode()
    mine = SavedSearch.objects.get(name="Mine")
    theirs = SavedSearch.objects.get(name="Colleague's")
    assert reverse("inventory:saved_search_rename", args=[mine.pk]) in html
    assert reverse("inventory:saved_search_open", args=[theirs.pk]) in html
    assert reverse("inventory:saved_search_rename", args=[theirs.pk]) not in html
    assert "colleague-A" in html


@pytest.mark.parametrize(
    ("name", "q", "message"),
    [
        ("", "tag=a", "Name: enter a name for the search."),
        ("x" * (SAVED_SEARCH_NAME_MAX + 1), "tag=a", "Name: at most 100 characters."),
        ("Nothing", "page=2&after=9&before=3", None),  # nothing but paging: refused
        ("Long", "tag=" + "a" * SAVED_SEARCH_QUERY_MAX, "Search: at most 2,000 characters."),
        ("Bad date", "hold_ends_before=yesterday", "Search: not saved; Hold ends before:"),
        ("Bad status", "status=gone", "Search: not saved; Status:"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_saves_nothing(as_a, name, q, message):
    response = _save(as_a, name, q)
    assert response.status_code == 302
    (said,) = _messages(response)
    if message is None:
        assert said == "Search: run an Advanced Search first; there is nothing to save."
    else:
        assert said.startswith(message), said
    assert not SavedSearch.objects.exists()
    assert not AuditRecord.objects.filter(object_type="savedsearch").exists()


def test_another_resellers_operator_is_not_a_valid_search(as_a, other_world):
    response = _save(as_a, "Theirs", f"operator={other_world.operator.pk}")
    (said,) = _messages(response)
    assert said.startswith("Search: not saved; Operator:"), said
    assert other_world.operator.name not in said
    assert not SavedSearch.objects.exists()


def test_a_user_keeps_a_bounded_number_of_searches(as_a, monkeypatch):
    monkeypatch.setattr("inventory.preferences.SAVED_SEARCHES_PER_USER", 2)
    _save(as_a, "One", "tag=1")
    _save(as_a, "Two", "tag=2")
    response = _save(as_a, "Three", "tag=3")
    assert _messages(response) == [
        "Name: you have 2 saved searches, the most one user may keep; delete one first."
    ]
    assert SavedSearch.objects.count() == 2


def test_the_same_name_twice_is_refused(as_a):
    _save(as_a, "Gold", "tag=gold")
    response = _save(as_a, "Gold", "tag=silver")
    assert _messages(response) == ["Name: you already have a saved search named “Gold”."]
    assert SavedSearch.objects.get().query == "tag=gold"

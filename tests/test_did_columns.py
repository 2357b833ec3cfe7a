"""The DID Inventory's column chooser (issue 12, point 5): every column of the table can be
shown or hidden, the choice is kept per user in the database, and a reseller's user does not
see the Reseller column unless they choose it."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditRecord
from inventory.choices import Status
from inventory.models import ColumnChoice
from inventory.tables import DIDTable

LIST = "/dids/"
COLUMNS = reverse("inventory:did_columns")


def _headers(html: str) -> list[str]:
    return re.findall(r'<th class="col-([a-z_]+)', html)


def _first_row_cells(html: str) -> list[str]:
    row = re.search(r"<tr data-id=\"\d+\">(.*?)</tr>", html, re.S).group(1)
    return re.findall(r'<td class="[^"]*?col-([a-z_]+)', row)


def test_default_columns_a_resellers_user_has_no_reseller_column(as_a, world):
    world.did(Status.IN_STOCK)
    html = as_a.get(LIST).content.decode()
    expected = [c.key for c in DIDTable.columns if not c.optional and c.key != "reseller"]
    assert _headers(html) == expected
    assert _first_row_cells(html) == expected


def test_default_columns_an_admin_has_the_reseller_column(as_admin, world):
    world.did(Status.IN_STOCK)
    html = as_admin.get(LIST).content.decode()
    assert "reseller" in _headers(html) and "reseller" in _first_row_cells(html)
    assert world.reseller.name in html


@pytest.mark.parametrize("key", DIDTable.keys())
def test_every_column_can_be_shown_alone(as_a, world, key):
    """Each column of the table (a column added later included) has its header and its cell,
    and hiding the others leaves exactly that one."""
    world.did(Status.ACTIVE)
    as_a.post(COLUMNS, {"columns": [key]})
    html = as_a.get(LIST).content.decode()
    assert _headers(html) == [key]
    assert _first_row_cells(html) == [key]


def test_the_choice_is_kept_per_user_in_the_database(client, world, other_world):
    client.force_login(world.user)
    response = client.post(COLUMNS, {"columns": ["did", "reseller", "package"], "q": "tag=x"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?tag=x"
    assert ColumnChoice.objects.get(user=world.user).columns == ["did", "reseller", "package"]
    record = AuditRecord.objects.get(object_type="columnchoice")
    assert record.after == {"columns": ["did", "reseller", "package"]}

    # A new session (another browser) shows the same columns; another user keeps theirs.
    client.logout()
    client.force_login(world.user)
    assert _headers(client.get(LIST).content.decode()) == ["did", "reseller", "package"]
    client.force_login(other_world.user)
    assert "package" not in _headers(client.get(LIST).content.decode())

    # Default: back to the table's own choice; the row goes.
    client.force_login(world.user)
    client.post(COLUMNS, {"reset": "1", "columns": ["did"]})
    assert not ColumnChoice.objects.filter(user=world.user).exists()
    assert "status" in _headers(client.get(LIST).content.decode())


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([], "Columns: choose at least one column."),
        (["did", "password"], "Columns: “password” is not a column of this list."),
    ],
)
def test_a_bad_choice_is_refused_and_changes_nothing(as_a, world, columns, message):
    as_a.post(COLUMNS, {"columns": ["did", "tag"]})
    response = as_a.post(COLUMNS, {"columns": columns})
    assert [str(m.message) for m in get_messages(response.wsgi_request)] == [message]
    assert ColumnChoice.objects.get(user=world.user).columns == ["did", "tag"]


def test_the_chooser_offers_every_column_of_the_table(as_a):
    html = as_a.get(LIST).content.decode()
    form = re.search(r'<form[^>]*id="columns-form".*?</form>', html, re.S).group(0)
    assert re.findall(r'name="columns" value="([a-z_]+)"', form) == DIDTable.keys()

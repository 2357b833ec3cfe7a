"""Every URL of the REST API against users of two resellers (and anonymous), as
tests/test_url_matrix.py does for the pages: the owner reaches its objects, the other
reseller gets a 404 and changes nothing, anonymous gets a 401 (issue 11)."""

import json
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from clients.models import Account, Client
from imports.models import ImportJob
from inventory.choices import Status
from inventory.models import DID
from jobs.models import Job

from .matrix_support import did_of, reactivatable, snapshot


@dataclass
class ApiRow:
    name: str
    kwargs: object = None  # callable(world) -> URL kwargs
    method: str = "get"
    data: object = field(default_factory=dict)  # callable(world) -> JSON body
    owner: tuple = (200,)
    admin_only: bool = False
    public: bool = False  # the schema and its docs: no reseller's data, open to anyone


def _job(w):
    return {"pk": Job.objects.create(kind=Job.Kind.MASS_EDIT, user=w.user, reseller=w.reseller).pk}


def _import(w):
    job = ImportJob.objects.create(
        user=w.user,
        reseller=w.reseller,
        file_path="/nonexistent.csv",
        original_name="x.csv",
        kind="csv",
        mapping=["did"],
        status=ImportJob.Status.DRY_RUN,
    )
    return {"pk": job.pk}


def _import_with_names(w):
    """A checked import whose dry run found a name that matches nothing (step 2's names)."""
    pk = _import(w)["pk"]
    ImportJob.objects.filter(pk=pk).update(counts={"unknown": {"operator": ["Ghost"]}})
    return {"pk": pk}


def _record(w):
    did = w.did()
    return {"pk": AuditRecord.objects.filter(object_type="did", object_id=did.pk).first().pk}


LISTS = [
    "did",
    "operator",
    "client",
    "account",
    "package",
    "subscription",
    "job",
    "import",
    "audit",
]
API_ROWS = [
    ApiRow("api:api_root"),
    ApiRow("api:schema", public=True),
    ApiRow("api:docs", public=True),
    ApiRow("api:redoc", public=True),
    *[ApiRow(f"api:{name}_list") for name in LISTS],
    ApiRow("api:reseller_list", admin_only=True),
    ApiRow("api:reseller_detail", lambda w: {"pk": w.reseller.pk}, admin_only=True),
    ApiRow("api:did_detail", did_of()),
    ApiRow("api:did_detail", did_of(), method="patch", data={"tag": "x"}),
    ApiRow("api:did_detail", did_of(), method="delete", owner=(204,)),
    ApiRow("api:operator_detail", lambda w: {"pk": w.operator.pk}),
    ApiRow("api:operator_detail", lambda w: {"pk": w.operator.pk}, method="delete", owner=(204,)),
    ApiRow("api:client_detail", lambda w: {"pk": w.client.pk}),
    ApiRow("api:account_detail", lambda w: {"pk": w.account.pk}),
    ApiRow("api:package_detail", lambda w: {"pk": w.package.pk}),
    ApiRow(
        "api:package_detail", lambda w: {"pk": w.package.pk}, method="patch", data={"hold_days": 9}
    ),
    ApiRow("api:subscription_detail", lambda w: {"pk": w.subscription.pk}),
    # Issue 12: renames, deletes refused while DIDs are linked, a subscription's end date.
    ApiRow(
        "api:operator_detail", lambda w: {"pk": w.operator.pk}, method="patch", data={"name": "O"}
    ),
    ApiRow("api:client_detail", lambda w: {"pk": w.client.pk}, method="patch", data={"name": "C"}),
    ApiRow(
        "api:client_detail",
        lambda w: {"pk": Client.objects.create(name="Spare", reseller=w.reseller).pk},
        method="delete",
        owner=(204,),
    ),
    ApiRow(
        "api:account_detail", lambda w: {"pk": w.account.pk}, method="patch", data={"name": "a"}
    ),
    ApiRow(
        "api:account_detail",
        lambda w: {"pk": Account.objects.create(name="spare", client=w.client).pk},
        method="delete",
        owner=(204,),
    ),
    ApiRow(
        "api:subscription_detail",
        lambda w: {"pk": w.subscription.pk},
        method="patch",
        data={"end_date": "2027-01-31"},
    ),
    ApiRow(
        "api:reseller_detail",
        lambda w: {"pk": w.reseller.pk},
        method="patch",
        data={"name": "R"},
        admin_only=True,
    ),
    ApiRow("api:job_detail", _job),
    ApiRow("api:import_detail", _import),
    ApiRow("api:audit_detail", _record),
    ApiRow(
        "api:audit_change_set",
        lambda w: {"change_set": str(AuditRecord.objects.get(pk=_record(w)["pk"]).change_set)},
    ),
    ApiRow("api:did_block", did_of(Status.ACTIVE), method="post"),
    ApiRow("api:did_activate", did_of(Status.BLOCKED), method="post"),
    ApiRow("api:did_hold", did_of(Status.ACTIVE), method="post"),
    ApiRow("api:did_release", did_of(Status.ON_HOLD), method="post"),
    ApiRow("api:did_set_status", did_of(), method="post", data={"status": "archive"}),
    ApiRow("api:did_assign", did_of(), method="post", data=lambda w: {"account": w.account.pk}),
    ApiRow(
        "api:did_bulk",
        lambda w: {"move": "block"},
        method="post",
        data=lambda w: {"ids": [w.did(Status.ACTIVE).pk]},
    ),
    ApiRow("api:subscription_cancel", lambda w: {"pk": w.subscription.pk}, method="post"),
    ApiRow(
        "api:subscription_reactivate",
        reactivatable,
        method="post",
    ),
    ApiRow("api:import_apply", _import, method="post", data={"mode": "valid"}),
    ApiRow(
        "api:import_names",
        _import_with_names,
        method="post",
        data={"names": {"operator": {"Ghost": ""}}},
    ),
]


def row_id(row):
    return f"{row.method}-{row.name}"


def _built(row, world):
    """The row's URL and body, its objects made in ``world`` (before any snapshot)."""
    kwargs = row.kwargs(world) if row.kwargs else {}
    data = row.data(world) if callable(row.data) else row.data
    return reverse(row.name, kwargs=kwargs), data


def _send(client, row, url, data):
    if row.method == "get":
        return client.get(url)
    send = getattr(client, row.method)
    return send(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("row", API_ROWS, ids=row_id)
def test_owner_reaches_own_objects(client, world, row):
    client.force_login(world.user)
    response = _send(client, row, *_built(row, world))
    expected = (403,) if row.admin_only else row.owner
    assert response.status_code in expected, (response.status_code, response.content[:300])


@pytest.mark.parametrize("row", API_ROWS, ids=row_id)
def test_other_reseller_gets_404_and_changes_nothing(client, world, other_world, row):
    client.force_login(other_world.user)
    kwargs = row.kwargs(world) if row.kwargs else {}
    data = row.data(world) if callable(row.data) else row.data
    before = snapshot()
    url = reverse(row.name, kwargs=kwargs)
    if row.method == "get":
        response = client.get(url)
    else:
        response = getattr(client, row.method)(
            url, json.dumps(data), content_type="application/json"
        )
    if row.admin_only:
        assert response.status_code == 403
    elif row.public:
        assert response.status_code == 200
    elif row.kwargs or row.method != "get":
        assert response.status_code == 404, (response.status_code, response.content[:300])
    else:
        assert response.status_code == 200
        body = response.content.decode()
        for number in DID.objects.filter(reseller=world.reseller).values_list("number", flat=True):
            assert number not in body
        assert world.operator.name not in body
    assert snapshot() == before


@pytest.mark.parametrize("row", API_ROWS, ids=row_id)
def test_anonymous_gets_a_401_and_changes_nothing(client, world, row):
    url, data = _built(row, world)
    before = snapshot()
    response = _send(client, row, url, data)
    assert response.status_code == (200 if row.public else 401)
    assert snapshot() == before

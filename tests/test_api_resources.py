"""The REST API, one test per endpoint: what it lists, creates, changes and refuses, through
the pages' own filters, forms and services (issue 11)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditRecord
from clients.models import Account, Client
from imports.models import ImportJob
from inventory.choices import Status
from inventory.models import DID
from jobs.models import Job
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

from .api_support import Api, api_a, api_admin, token_for  # noqa: F401


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --------------------------------------------------------------------------- DIDs


def test_the_did_list_filters_sorts_and_pages_like_the_page(api_a, world, other_world):
    dids = [world.did(tag="gold" if n % 2 else "") for n in range(5)]
    other_world.did(tag="gold")
    assert ids_of(api_a.get("dids/")) == [d.pk for d in dids]
    gold = [d.pk for d in dids if d.tag == "gold"]
    assert ids_of(api_a.get("dids/", {"tag": "gold"})) == gold
    assert ids_of(api_a.get("dids/", {"sort": "-id"})) == [d.pk for d in reversed(dids)]
    first = api_a.get("dids/", {"per_page": 20, "sort": "id"}).json()
    assert first["count"] == 5 and first["count_exact"] and first["next"] is None
    row = first["results"][0]
    assert row["number"] == dids[0].number and row["operator_name"] == world.operator.name


def test_the_did_list_follows_next_links_through_every_row(api_a, world, settings):
    made = [world.did() for _ in range(23)]
    seen, response = [], api_a.get("dids/", {"per_page": 20})
    while True:
        seen += ids_of(response)
        following = response.json()["next"]
        if not following:
            break
        response = api_a.client.get(following, **api_a.headers)
    assert seen == [d.pk for d in made]


def test_a_did_is_read_by_id(api_a, world):
    did = world.did(Status.ACTIVE)
    data = api_a.get(f"dids/{did.pk}/").json()
    assert (data["status"], data["client"], data["account"]) == (
        "active",
        world.client.pk,
        world.account.pk,
    )


def test_new_dids_are_created_from_numbers_and_ranges_with_the_pages_rules(api_a, world):
    body = {
        "numbers": "4155550100-4155550104, 4155550300",
        "operator": world.operator.pk,
        "status": "reserved",
        "after_hold": "in_stock",
        "tag": "gold",
    }
    response = api_a.post("dids/", body)
    assert response.status_code == 201 and response.json()["created"] == 6
    assert DID.objects.filter(tag="gold", status=Status.RESERVED).count() == 6
    again = api_a.post("dids/", body)
    assert again.status_code == 400
    assert "None of these 6 numbers are available" in again.json()["detail"]
    assert DID.objects.count() == 6
    bad = api_a.post("dids/", {**body, "numbers": "12a"})
    assert bad.status_code == 400 and bad.json()["numbers"][0].startswith("DID(s): ")


def test_new_dids_above_the_threshold_run_as_a_job(api_a, world, settings):
    settings.BACKGROUND_THRESHOLD = 5
    body = {"numbers": "6000-6009", "operator": world.operator.pk, "status": "in_stock"}
    response = api_a.post("dids/", {**body, "after_hold": "in_stock"})
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.kind == Job.Kind.CREATE_DIDS and job.total == 10 and job.user == world.user


def test_a_dids_fields_are_edited_and_its_status_only_by_a_move(api_a, world):
    did = world.did()
    response = api_a.patch(f"dids/{did.pk}/", {"tag": "silver", "notes": "n", "hold_days": 3})
    assert response.status_code == 200
    did.refresh_from_db()
    assert (did.tag, did.notes, did.hold_days) == ("silver", "n", 3)
    refused = api_a.patch(f"dids/{did.pk}/", {"status": "archive"})
    assert refused.status_code == 400 and "status" in refused.json()
    long = api_a.patch(f"dids/{did.pk}/", {"tag": "x" * 500})
    assert long.status_code == 400 and long.json()["tag"][0].startswith("Tag: ")
    cleared = api_a.patch(f"dids/{did.pk}/", {"clear_tag": True, "clear_hold_days": True})
    assert cleared.json()["tag"] == "" and cleared.json()["hold_days"] is None
    nothing = api_a.patch(f"dids/{did.pk}/", {})
    assert nothing.status_code == 400 and "Choose at least one change" in nothing.json()["detail"]


def test_a_did_is_deleted_unless_it_is_assigned(api_a, world):
    free, taken = world.did(), world.did(Status.ACTIVE)
    assert api_a.delete(f"dids/{free.pk}/").status_code == 204
    refused = api_a.delete(f"dids/{taken.pk}/")
    assert refused.status_code == 400 and "Release it first" in refused.json()["detail"]
    assert not DID.objects.filter(pk=free.pk).exists() and DID.objects.filter(pk=taken.pk).exists()


@pytest.mark.parametrize(
    ("move", "start", "end", "body"),
    [
        ("block", Status.ACTIVE, Status.BLOCKED, {}),
        ("activate", Status.BLOCKED, Status.ACTIVE, {}),
        ("hold", Status.ACTIVE, Status.ON_HOLD, {}),
        ("release", Status.ON_HOLD, Status.IN_STOCK, {}),
        ("set-status", Status.IN_STOCK, Status.ARCHIVE, {"status": "archive"}),
    ],
)
def test_each_move_of_one_did(api_a, world, move, start, end, body):
    did = world.did(start)
    response = api_a.post(f"dids/{did.pk}/{move}/", body)
    assert response.status_code == 200 and response.json()["moved"] == 1
    did.refresh_from_db()
    assert did.status == end
    assert AuditRecord.objects.filter(change_set=response.json()["change_set"]).exists()


def test_a_did_is_assigned_to_an_account_and_a_refused_move_says_why(api_a, world):
    did = world.did()
    response = api_a.post(f"dids/{did.pk}/assign/", {"account": world.account.pk})
    assert response.status_code == 200
    did.refresh_from_db()
    assert (did.status, did.subscription_id) == (Status.ACTIVE, world.subscription.pk)
    refused = api_a.post(f"dids/{did.pk}/set-status/", {"status": "archive"})
    assert refused.status_code == 400 and refused.json()["detail"].startswith(f"DID {did.number}")
    did.refresh_from_db()
    assert did.status == Status.ACTIVE


def test_a_bulk_move_has_a_dry_run_with_the_counted_refusals(api_a, world):
    free = [world.did() for _ in range(3)]
    taken = world.did(Status.ACTIVE)
    ids = [d.pk for d in [*free, taken]]
    body = {"ids": ids, "status": "archive", "dry_run": True}
    preview = api_a.post("dids/bulk/set-status/", body).json()
    assert (preview["dry_run"], preview["moved"], preview["refused"]) == (True, 3, 1)
    assert preview["refusals"][0]["examples"] == [taken.number]
    assert DID.objects.filter(status=Status.ARCHIVE).count() == 0
    done = api_a.post("dids/bulk/set-status/", {**body, "dry_run": False}).json()
    assert (done["moved"], done["refused"]) == (3, 1)
    assert DID.objects.filter(status=Status.ARCHIVE).count() == 3


def test_a_bulk_move_takes_the_lists_filters(api_a, world, other_world):
    gold = [world.did(tag="gold") for _ in range(2)]
    world.did(tag="plain")
    other_world.did(tag="gold")
    done = api_a.post("dids/bulk/set-status/", {"filter": {"tag": "gold"}, "status": "reserved"})
    assert done.json()["moved"] == 2
    assert set(DID.objects.filter(status=Status.RESERVED).values_list("pk", flat=True)) == {
        d.pk for d in gold
    }
    bad = api_a.post("dids/bulk/block/", {"filter": {"status": "nonsense"}})
    assert bad.status_code == 400 and "filter" in bad.json()
    both = api_a.post("dids/bulk/block/", {"ids": [gold[0].pk], "filter": {}})
    assert both.status_code == 400
    assert api_a.post("dids/bulk/teleport/", {"ids": [gold[0].pk]}).status_code == 404


def test_bulk_release_and_assign_dry_runs_change_nothing(api_a, world):
    held = [world.did(Status.ON_HOLD) for _ in range(2)]
    ids = [d.pk for d in held]
    preview = api_a.post("dids/bulk/release/", {"ids": ids, "dry_run": True}).json()
    assert preview["moved"] == 2 and preview["dry_run"]
    assert DID.objects.filter(status=Status.ON_HOLD).count() == 2
    free = [world.did() for _ in range(2)]
    body = {"ids": [d.pk for d in free], "account": world.account.pk}
    assert api_a.post("dids/bulk/assign/", {**body, "dry_run": True}).json()["moved"] == 2
    assert DID.objects.filter(status=Status.ACTIVE).count() == 0
    assert api_a.post("dids/bulk/assign/", body).json()["moved"] == 2
    assert DID.objects.filter(status=Status.ACTIVE).count() == 2


def test_a_big_bulk_status_move_runs_as_a_mass_edit_job(api_a, world, settings):
    dids = [world.did() for _ in range(4)]
    settings.BACKGROUND_THRESHOLD = 2
    response = api_a.post(
        "dids/bulk/set-status/", {"ids": [d.pk for d in dids], "status": "archive"}
    )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.kind == Job.Kind.MASS_EDIT and job.params["set_status"] == "archive"
    assert sorted(job.params["ids"]) == sorted(d.pk for d in dids)
    release = api_a.post("dids/bulk/release/", {"ids": [d.pk for d in dids]})
    assert release.status_code == 400 and "at most 2 DIDs" in release.json()["detail"]


# --------------------------------------------------------------------------- the other resources


def test_operators_are_listed_created_and_deleted(api_a, world, other_world):
    assert ids_of(api_a.get("operators/")) == [world.operator.pk]
    made = api_a.post("operators/", {"name": "Telnyx"})
    assert made.status_code == 201 and made.json()["reseller"] == world.reseller.pk
    op = Operator.objects.get(pk=made.json()["id"])
    taken = api_a.post("operators/", {"name": "Telnyx"})
    assert taken.status_code == 400 and "already has an operator" in taken.json()["name"][0]
    assert api_a.get(f"operators/{op.pk}/").json()["name"] == "Telnyx"
    world.did()
    refused = api_a.delete(f"operators/{world.operator.pk}/")
    assert refused.status_code == 400 and Operator.objects.filter(pk=world.operator.pk).exists()
    assert api_a.delete(f"operators/{op.pk}/").status_code == 204


def test_resellers_are_for_platform_admins(api_a, api_admin, world):
    assert api_a.get("resellers/").status_code == 403
    assert api_a.post("resellers/", {"name": "Sneaky"}).status_code == 403
    made = api_admin.post("resellers/", {"name": "Newco"})
    assert made.status_code == 201
    assert made.json()["id"] in ids_of(api_admin.get("resellers/", {"per_page": 50}))
    assert api_admin.get(f"resellers/{world.reseller.pk}/").json()["name"] == "A"


def test_an_admin_names_the_reseller_of_what_it_creates(api_admin, world):
    missing = api_admin.post("clients/", {"name": "Orphan"})
    assert missing.status_code == 400 and missing.json()["reseller"][0].startswith("Reseller: ")
    made = api_admin.post("clients/", {"name": "Adopted", "reseller": world.reseller.pk})
    assert made.status_code == 201 and made.json()["reseller"] == world.reseller.pk


def test_clients_are_listed_created_and_read(api_a, world):
    made = api_a.post("clients/", {"name": "Rose Orig"})
    assert made.status_code == 201
    assert ids_of(api_a.get("clients/", {"q": "rose"})) == [made.json()["id"]]
    assert api_a.get(f"clients/{world.client.pk}/").json()["name"] == world.client.name
    empty = api_a.post("clients/", {"name": " "})
    assert empty.json()["name"] == ["Name: enter the client's name."]


def test_accounts_are_listed_by_client_and_created(api_a, world):
    made = api_a.post("accounts/", {"name": "rose_orig", "client": world.client.pk})
    assert made.status_code == 201
    account = Account.objects.get(pk=made.json()["id"])
    assert account.client == world.client
    listed = ids_of(api_a.get("accounts/", {"client": world.client.pk}))
    assert listed == [world.account.pk, account.pk]
    assert api_a.get(f"accounts/{account.pk}/").json()["name"] == "rose_orig"


def test_packages_are_created_and_edited(api_a, world):
    body = {
        "name": "Pack 5",
        "did_allowance": 5,
        "allowed_tags": ["gold", "silver"],
        "hold_days": 7,
    }
    made = api_a.post("packages/", body)
    assert made.status_code == 201 and made.json()["allowed_tags"] == ["gold", "silver"]
    pk = made.json()["id"]
    edited = api_a.patch(f"packages/{pk}/", {"did_allowance": 9})
    assert edited.status_code == 200
    package = Package.objects.get(pk=pk)
    assert (package.did_allowance, package.allowed_tags) == (9, ["gold", "silver"])
    bad = api_a.patch(f"packages/{pk}/", {"hold_days": -1})
    assert bad.status_code == 400 and bad.json()["hold_days"][0].startswith("Hold days: ")
    assert pk in ids_of(api_a.get("packages/"))
    assert api_a.get(f"packages/{pk}/").json()["name"] == "Pack 5"


def test_subscriptions_are_created_cancelled_and_reactivated(api_a, world):
    did = world.did(Status.ACTIVE)
    body = {"client": world.client.pk, "package": world.package.pk, "start_date": "2026-12-01"}
    made = api_a.post("subscriptions/", body)
    assert made.status_code == 201
    assert made.json()["id"] in ids_of(api_a.get("subscriptions/"))
    late = api_a.post("subscriptions/", {**body, "end_date": "2026-01-01"})
    assert late.status_code == 400 and late.json()["end_date"][0].startswith("End date: ")
    cancel = api_a.post(f"subscriptions/{world.subscription.pk}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["moved"] == 1
    did.refresh_from_db()
    assert did.status == Status.ON_HOLD
    back = api_a.post(f"subscriptions/{world.subscription.pk}/reactivate/")
    assert back.json()["moved"] == 1
    assert Subscription.objects.get(pk=world.subscription.pk).status == "active"
    assert api_a.get(f"subscriptions/{world.subscription.pk}/").json()["status"] == "active"


def test_jobs_are_listed_and_read(api_a, world, other_world):
    mine = Job.objects.create(kind=Job.Kind.MASS_EDIT, user=world.user, reseller=world.reseller)
    Job.objects.create(
        kind=Job.Kind.MASS_EDIT, user=other_world.user, reseller=other_world.reseller
    )
    assert ids_of(api_a.get("jobs/")) == [mine.pk]
    assert api_a.get(f"jobs/{mine.pk}/").json()["kind_label"] == "Mass Edit"


def test_an_import_is_uploaded_checked_and_applied(client, world, import_dir):
    key = token_for(world.user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    upload = SimpleUploadedFile("dids.csv", b"DID,Tag\n4155559000,gold\n12a,x\n4155559001,gold\n")
    response = client.post(
        "/api/v1/imports/",
        {
            "file": upload,
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
        **headers,
    )
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["status"] == "dry_run" and report["counts"]["created"] == 2
    assert report["refusals"] == ["Row 3, DID: “12a” is not a number"]
    pk = report["id"]
    api = Api(client, key)
    refused = api.post(f"imports/{pk}/apply/", {"mode": "all"})
    assert refused.status_code == 200 and refused.json()["status"] == "dry_run"
    assert not DID.objects.exists()
    applied = api.post(f"imports/{pk}/apply/", {"mode": "valid"})
    assert applied.json()["status"] == "done"
    assert DID.objects.filter(tag="gold").count() == 2
    assert api.get(f"imports/{pk}/").json()["counts"]["created"] == 2
    assert ids_of(api.get("imports/")) == [pk]
    assert api.post(f"imports/{pk}/apply/", {"mode": "valid"}).status_code == 400


def test_the_audit_log_is_read_only(api_a, world):
    did = world.did()
    records = api_a.get("audit/", {"object_type": "did", "object_id": did.pk}).json()["results"]
    assert [r["action"] for r in records] == ["create"]
    assert api_a.get(f"audit/{records[0]['id']}/").json()["object_repr"] == did.number
    assert api_a.post("audit/", {}).status_code == 405
    assert api_a.get("audit/", {"object_id": "abc"}).status_code == 400


def test_the_schema_and_its_docs_are_served_by_the_app(client, world):
    client.force_login(world.user)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/dids/bulk/{move}/" in schema["paths"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            bodies = operation.get("requestBody", {}).get("content", {}).values()
            answers = operation["responses"].values()
            has_example = any("examples" in b or "example" in b for b in bodies) or any(
                "examples" in c for a in answers for c in a.get("content", {}).values()
            )
            assert has_example or method == "delete", (method, path)
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(page).content.decode()
        assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_clients_model_is_untouched_by_a_read_token(client, world):
    read = Api(client, token_for(world.user, "read"))
    assert read.get("clients/").status_code == 200
    refused = read.post("clients/", {"name": "Nope"})
    assert refused.status_code == 403 and "read only" in refused.json()["detail"]
    assert not Client.objects.filter(name="Nope").exists()


def test_a_change_set_is_summed_up(api_a, world, other_world):
    dids = [world.did() for _ in range(3)]
    done = api_a.post("dids/bulk/set-status/", {"ids": [d.pk for d in dids], "status": "archive"})
    change_set = done.json()["change_set"]
    summary = api_a.get(f"audit/change-sets/{change_set}/").json()
    assert summary["records"] == 3 and summary["username"] == world.user.username
    assert sum(summary["actions"].values()) == 3
    records = api_a.get("audit/", {"change_set": change_set}).json()["results"]
    assert len(records) == 3
    theirs = other_world.did()
    their_set = AuditRecord.objects.filter(object_id=theirs.pk).first().change_set
    assert api_a.get(f"audit/change-sets/{their_set}/").status_code == 404
    assert api_a.get("audit/change-sets/------------------------------------/").status_code == 400


def test_an_import_takes_the_columns_fields_and_refuses_a_bad_mapping(client, world, import_dir):
    key = token_for(world.user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def upload(**extra):
        content = b"number,label\n4155559100,gold\n4155559101,gold\n"
        body = {
            "file": SimpleUploadedFile("d.csv", content),
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
            **extra,
        }
        return client.post("/api/v1/imports/", body, **headers)

    response = upload(mapping="did,tag", has_header="true")
    assert response.status_code == 201, response.content
    assert response.json()["mapping"] == ["did", "tag"]
    assert response.json()["counts"]["created"] == 2
    for bad in ("did", "did,tag,notes", "tag,notes", "did,nonsense"):
        refused = upload(mapping=bad)
        assert refused.status_code == 400, (bad, refused.content)
    assert ImportJob.objects.count() == 1  # a refused upload keeps nothing

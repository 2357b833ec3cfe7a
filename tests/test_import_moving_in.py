"""Import DIDs, moving a whole inventory in (issue 9): names that match nothing mapped in
step 2, assigned DIDs imported through the lifecycle, refusals grouped and complete with a
download of the refused rows, and the reading of encodings, ragged rows, numbers a
spreadsheet changed and files without data rows."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Reseller
from audit.choices import Kind
from audit.models import Entry
from clients.models import Account, Client
from imports import services
from imports.models import ImportJob
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator
from packages.models import Package
from tests.api_support import Api, token_for
from tests.import_support import (
    EXPORT_HEADER,
    apply,
    dry_run,
    refusals,
    spec,
)

pytestmark = pytest.mark.usefixtures("import_dir")

# The reference system's export, as a carrier brings it: its own reseller and operator names.
REFERENCE = """\
ID,Status,Operator,DID,Tag,Notes,Client,Account,Package,After Hold,Reseller
11,reserved,Op 1,1,,,,,,reserved,Company Name
13,archive,Op 2,2,,,,,,reserved,Company Name
14,instock,Op 2,4,,,,,,reserved,Company Name
15,instock,Op 2,5,,,,,,reserved,Company Name
16,instock,Op 2,6,,,,,,reserved,Company Name
17,instock,Op 2,7,,,,,,reserved,Company Name
18,instock,Op 2,8,,,,,,reserved,Company Name
19,instock,Op 2,9,,,,,,reserved,Company Name
20,instock,Op 1,3,,,,,,reserved,Company Name
"""


def names_post(client, job, choices: dict[str, dict[str, str]]):
    """Step 2's names form as a browser posts it: each unknown name's field by position."""
    data = {}
    for kind, listed in services.names_offered(job).items():
        for i, raw in enumerate(listed):
            data[f"{kind}_{i}"] = choices.get(kind, {}).get(raw, "")
    response = client.post(f"/dids/import/{job.pk}/names/", data)
    assert response.status_code == 302
    job.refresh_from_db()
    return job


# --------------------------------------------------------------------------- 3. refusals


def test_refusals_are_grouped_with_counts_and_rows_and_every_reason_is_listed(as_admin, admin):
    job = dry_run(as_admin, "reference.csv", REFERENCE)

    assert job.counts["refused"] == 9
    page = as_admin.get(f"/dids/import/{job.pk}/").content.decode()
    # One line per reason, not the same reason 9 times; the operators are named too.
    assert "9 rows: Reseller: “Company Name” is not a reseller (rows 2-10)" in page
    assert "7 rows: Operator: no operator “Op 2” of reseller “Company Name” (rows 3-9)" in page
    assert "2 rows: Operator: no operator “Op 1” of reseller “Company Name” (rows 2, 10)" in page
    assert refusals(job)[0] == (
        "Row 2, Reseller: “Company Name” is not a reseller; "
        "Operator: no operator “Op 1” of reseller “Company Name”"
    )


def test_the_refused_rows_download_with_a_reason_and_import_again_once_fixed(as_importer, world):
    content = "DID,Status,Tag,Notes\n600,reserved,a,=calc\n60x,instock,b,\n601,nonsense,c,\n"
    job = dry_run(as_importer, "mixed.csv", content)
    assert (job.counts["created"], job.counts["refused"]) == (1, 2)

    response = as_importer.get(f"/dids/import/{job.pk}/refused.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mixed-refused.csv"')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["DID", "Status", "Tag", "Notes", "Reason"],
        ["60x", "instock", "b", "", "DID: “60x” is not a number"],
        ["601", "nonsense", "c", "", "Status: “nonsense” is not a status"],
    ]

    fixed = text.replace("60x", "602").replace("nonsense", "archive")
    again = dry_run(as_importer, "mixed-refused.csv", fixed.encode("utf-8-sig"))
    assert again.mapping[-1] == ""  # Reason: Skip
    assert (again.counts["created"], again.counts["refused"]) == (2, 0)
    again = apply(as_importer, again, "all")
    assert DID.objects.get(number="601").status == Status.ARCHIVE
    assert DID.objects.get(number="602").status == Status.IN_STOCK


def test_another_resellers_refused_rows_are_a_404(client, world, other_world, import_dir):
    client.force_login(world.user)
    client.default_operator = str(world.operator.pk)
    job = dry_run(client, "bad.csv", "DID\n1x\n")
    client.force_login(other_world.user)
    assert client.get(f"/dids/import/{job.pk}/refused.csv").status_code == 404


# --------------------------------------------------------------------------- 1. names


def test_unknown_names_are_created_in_step_2_and_the_file_imports(as_admin, admin):
    job = dry_run(as_admin, "reference.csv", REFERENCE)
    assert job.counts["unknown"] == {
        "reseller": ["Company Name"],
        "operator": ["Op 2", "Op 1"],
    }
    page = as_admin.get(f"/dids/import/{job.pk}/").content.decode()
    assert "Names that match nothing" in page and "create reseller “Company Name”" in page

    job = names_post(
        as_admin,
        job,
        {"reseller": {"Company Name": "new"}, "operator": {"Op 1": "new", "Op 2": "new"}},
    )
    assert job.status == ImportJob.Status.DRY_RUN, job.message
    assert (job.counts["created"], job.counts["refused"]) == (9, 0), refusals(job)
    assert not Reseller.objects.filter(name="Company Name").exists()  # a dry run

    job = apply(as_admin, job, "all")
    assert job.status == ImportJob.Status.DONE, job.message
    company = Reseller.objects.get(name="Company Name")
    assert set(company.operators.values_list("name", flat=True)) == {"Op 1", "Op 2"}
    assert DID.objects.filter(reseller=company).count() == 9
    # The names it created are entries of the import's own change set.
    made = Entry.objects.filter(change_set__uuid=job.change_set, kind=Kind.CREATE)
    assert sorted(made.exclude(object_type="did").values_list("object_type", flat=True)) == [
        "operator",
        "operator",
        "reseller",
    ]


def test_names_match_ignoring_case_and_spaces_and_one_can_be_picked(as_importer, world):
    Operator.objects.create(name="Big Carrier", reseller=world.reseller)
    content = "DID,Operator\n700,BIGCARRIER\n701,big  carrier\n702,Old Telco\n703,old telco\n"
    job = dry_run(as_importer, "ops.csv", content)
    assert job.counts["refused"] == 2
    assert job.counts["unknown"] == {"operator": ["Old Telco"]}

    job = names_post(as_importer, job, {"operator": {"Old Telco": str(world.operator.pk)}})
    assert (job.counts["created"], job.counts["refused"]) == (4, 0)
    apply(as_importer, job, "all")
    ops = dict(DID.objects.values_list("number", "operator__name"))
    assert ops == {
        "700": "Big Carrier",
        "701": "Big Carrier",
        "702": world.operator.name,
        "703": world.operator.name,
    }


def test_a_reseller_user_cannot_create_a_reseller_or_pick_another_resellers_operator(
    as_importer, world, other_world
):
    job = dry_run(as_importer, "r.csv", "DID,Operator,Reseller\n1,Nope,Company Name\n")
    assert job.counts["unknown"]["reseller"] == ["Company Name"]
    page = as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    assert "create reseller" not in page and other_world.operator.name not in page

    response = as_importer.post(
        f"/dids/import/{job.pk}/names/",
        {"reseller_0": "new", "operator_0": str(other_world.operator.pk)},
    )
    assert response.status_code == 302
    assert not Reseller.objects.filter(name="Company Name").exists()
    assert not Operator.objects.filter(name="Nope").exists()


def test_a_name_left_refused_keeps_its_rows_refused(as_importer, world):
    job = dry_run(as_importer, "o.csv", "DID,Operator\n1,Ghost\n2,Ghost\n")
    job = names_post(as_importer, job, {"operator": {"Ghost": ""}})
    assert job.counts["refused"] == 2
    assert "2 rows: Operator: no operator “Ghost” of your reseller (rows 2-3)" in (
        as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    )


# --------------------------------------------------------------------------- 2. assigned DIDs


def assigned_file(rows: list[str]) -> str:
    return EXPORT_HEADER + "\n" + "\n".join(rows) + "\n"


def test_a_new_assigned_did_is_created_in_stock_then_assigned_blocked_or_held(as_importer, world):
    w = world
    content = assigned_file(
        [
            f",Active,{w.operator.name},800,t,n1,{w.client.name},{w.account.name},"
            f"{w.package.name},Archive,",
            f",Blocked,{w.operator.name},801,,,{w.client.name},{w.account.name},"
            f"{w.package.name},Reserved,",
            f",On Hold,{w.operator.name},802,,,{w.client.name},{w.account.name},"
            f"{w.package.name},In Stock,",
        ]
    )
    job = dry_run(as_importer, "assigned.csv", content)
    assert (job.counts["created"], job.counts["refused"]) == (3, 0), refusals(job)
    assert job.counts["assigned"] == {"Active": 1, "Blocked": 1, "On Hold": 1}

    job = apply(as_importer, job, "all")
    assert job.status == ImportJob.Status.DONE, job.message
    dids = {d.number: d for d in DID.objects.all()}
    for number, status in (("800", "active"), ("801", "blocked"), ("802", "on_hold")):
        did = dids[number]
        assert did.status == status
        assert (did.client_id, did.account_id, did.subscription_id) == (
            w.client.pk,
            w.account.pk,
            w.subscription.pk,
        )
    assert (dids["800"].tag, dids["800"].notes, dids["800"].after_hold_status) == (
        "t",
        "n1",
        "archive",
    )
    assert dids["802"].hold_until is not None
    kinds = list(
        Entry.objects.filter(
            change_set__uuid=job.change_set, object_type="did", object_id=dids["801"].pk
        ).values_list("kind", flat=True)
    )
    assert kinds == [Kind.CREATE, Kind.UPDATE, Kind.UPDATE]  # created, assigned, blocked


def test_the_allowance_and_the_tag_rules_refuse_rows_with_their_reason(as_importer, world):
    w = world
    Package.objects.filter(pk=w.package.pk).update(did_allowance=1, allowed_tags=["gold"])
    row = f"{w.operator.name},{{}},{{}},,{w.client.name},{w.account.name},{w.package.name},,"
    content = assigned_file(
        [",Active," + row.format("900", "gold"), ",Active," + row.format("901", "gold")]
        + [",Active," + row.format("902", "tin")]
    )
    job = dry_run(as_importer, "rules.csv", content)
    assert (job.counts["created"], job.counts["refused"]) == (1, 2)
    assert refusals(job) == [
        f"Row 3, Package: “{w.package.name}” allows 1 DIDs and the subscription has room for "
        "1 more; this row does not fit",
        f"Row 4, Tag: package “{w.package.name}” allows only the tags gold",
    ]
    apply(as_importer, job, "valid")
    assert DID.objects.get(number="900").status == Status.ACTIVE
    assert not DID.objects.filter(number__in=["901", "902"]).exists()


def test_a_missing_subscription_is_created_in_step_2_if_the_user_chooses(as_importer, world):
    w = world
    other = Package.objects.create(reseller=w.reseller, name="Second", did_allowance=5)
    content = assigned_file(
        [f",Active,{w.operator.name},950,,,{w.client.name},{w.account.name},Second,,"]
    )
    job = dry_run(as_importer, "sub.csv", content)
    assert refusals(job) == [
        f"Row 2, Package: client “{w.client.name}” has no active subscription to “Second”"
    ]
    assert job.counts["unknown"] == {"subscription": [f"{w.client.name} | Second"]}

    job = names_post(as_importer, job, {"subscription": {f"{w.client.name} | Second": "new"}})
    assert job.counts["refused"] == 0, refusals(job)
    apply(as_importer, job, "all")
    did = DID.objects.get(number="950")
    assert did.subscription.package_id == other.pk and did.status == Status.ACTIVE


def test_an_unknown_client_and_account_are_created_in_step_2(as_importer, world):
    w = world
    content = assigned_file(
        [f",Active,{w.operator.name},960,,,New Co,main,{w.package.name},,"]
        + [f",Active,{w.operator.name},961,,,new co,MAIN,{w.package.name},,"]
    )
    job = dry_run(as_importer, "new-client.csv", content)
    assert job.counts["unknown"] == {"client": ["New Co"], "account": ["main"]}
    job = names_post(as_importer, job, {"client": {"New Co": "new"}, "account": {"main": "new"}})
    # The client is new, so it has no subscription yet: offered next.
    assert job.counts["unknown"] == {"subscription": [f"New Co | {w.package.name}"]}
    job = names_post(
        as_importer,
        job,
        {
            "client": {"New Co": "new"},
            "account": {"main": "new"},
            "subscription": {f"New Co | {w.package.name}": "new"},
        },
    )
    assert job.counts["refused"] == 0, refusals(job)
    apply(as_importer, job, "all")
    client = Client.objects.get(name="New Co")
    assert Account.objects.filter(client=client, name="main").count() == 1
    assert set(DID.objects.filter(client=client).values_list("status", flat=True)) == {"active"}


def test_an_export_round_trips_into_an_empty_inventory(as_importer, world):
    w = world
    second = Account.objects.create(client=w.client, name="second")
    w.did(Status.RESERVED, number="100", tag="r", notes="reserved one")
    w.did(Status.IN_STOCK, number="101", after_hold="archive")
    w.did(Status.ARCHIVE, number="102", notes="=looks like a formula")
    active = w.did(Status.IN_STOCK, number="103", tag="gold", notes="n")
    from inventory import lifecycle

    lifecycle.assign(active, account=second, subscription=w.subscription, actor=w.actor)
    w.did(Status.BLOCKED, number="104", after_hold="in_stock")
    w.did(Status.ON_HOLD, number="105", tag="t5", after_hold="archive")
    # Hold days of their own, and a hold end the export carries (the round trip keeps both).
    DID.objects.filter(number__in=["101", "104"]).update(hold_days=7)
    DID.objects.filter(number="105").update(hold_days=12, hold_until="2031-03-04T05:06:07Z")
    fields = (
        "number",
        "status",
        "operator_id",
        "client_id",
        "account_id",
        "subscription_id",
        "tag",
        "notes",
        "after_hold_status",
        "hold_days",
    )
    before = sorted(DID.objects.values_list(*fields))
    exported = b"".join(as_importer.get("/dids/export/").streaming_content)
    DID.objects.all().delete()  # an empty inventory with the same everything else

    job = dry_run(as_importer, "export.csv", exported)
    assert (job.counts["created"], job.counts["refused"]) == (6, 0), refusals(job)
    job = apply(as_importer, job, "all")
    assert job.status == ImportJob.Status.DONE, job.message

    assert sorted(DID.objects.values_list(*fields)) == before
    held = DID.objects.get(number="105")
    assert held.hold_until.isoformat() == "2031-03-04T05:06:07+00:00"
    assert held.hold_days == 12
    # The same file imported again over the inventory it came from changes nothing.
    again = dry_run(as_importer, "export.csv", exported)
    assert again.counts["refused"] == 0, refusals(again)


# --------------------------------------------------------------------------- 4. reading


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b"")],
)
def test_an_encoding_is_detected(as_importer, encoding, prefix):
    content = prefix + "DID,Notes\n500,Café – “quoted”\n".encode(encoding)
    job = dry_run(as_importer, "enc.csv", content)
    assert job.counts["created"] == 1, job.message
    apply(as_importer, job, "all")
    assert DID.objects.get(number="500").notes == "Café – “quoted”"


def test_an_encoding_can_be_chosen(as_importer):
    content = "DID,Notes\n501,Ærø ½\n".encode("latin-1")
    job = dry_run(as_importer, "latin.csv", content, encoding="latin-1")
    apply(as_importer, job, "all")
    assert DID.objects.get(number="501").notes == "Ærø ½"


def test_a_cp1252_file_reads_in_python_and_in_postgres_alike(world, tmp_path, monkeypatch):
    from imports import loading

    path = tmp_path / "excel.csv"
    path.write_bytes("DID;Notes\r\n510;naïve €5\r\n511;x\r\n".encode("cp1252"))
    checked = services.check(spec(world, path))
    monkeypatch.setattr(loading.Run, "load_csv_in_postgres", lambda self: False)
    assert services.check(spec(world, path)).counts() | {"seconds": 0} == checked.counts() | {
        "seconds": 0
    }
    services.apply(spec(world, path), actor=world.actor)
    assert DID.objects.get(number="510").notes == "naïve €5"


def test_a_number_in_scientific_notation_says_a_spreadsheet_changed_it(as_importer):
    job = dry_run(as_importer, "sci.csv", "DID,Tag\n4.15555E+11,a\n415555000101,b\n")
    assert refusals(job) == [
        "Row 2, DID: “4.15555E+11” is in scientific notation: a spreadsheet changed the "
        "number. Format the DID column as Text before typing or pasting the numbers (or open "
        "the CSV with that column as Text), and save the file again"
    ]


def test_a_file_with_a_header_and_no_rows_says_so_and_offers_nothing(as_importer):
    job = dry_run(as_importer, "header.csv", "DID,Status,Tag\n")
    assert job.counts["rows"] == 0
    page = as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    assert "The file has no data rows" in page
    assert 'id="apply-all"' not in page and 'id="apply-valid"' not in page

    job = apply(as_importer, job, "all")
    assert job.status == ImportJob.Status.DRY_RUN and not DID.objects.exists()


def test_the_server_refuses_apply_only_the_valid_rows_when_none_is_valid(as_importer):
    job = dry_run(as_importer, "bad.csv", "DID\nx1\nx2\n")
    page = as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    assert 'id="apply-valid"' not in page

    response = as_importer.post(f"/dids/import/{job.pk}/apply/", {"mode": "valid"}, follow=True)
    assert "no row is valid" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN and not DID.objects.exists()


def test_the_service_refuses_apply_only_the_valid_rows_when_none_is_valid(world, tmp_path):
    path = tmp_path / "none.csv"
    path.write_text("DID\nx1\n")
    with pytest.raises(services.ImportRefused, match="no row is valid"):
        services.apply(spec(world, path), actor=world.actor, only_valid=True)


def test_the_upload_form_offers_the_encodings(as_importer):
    page = as_importer.get("/dids/import/").content.decode()
    assert 'name="encoding"' in page and "Windows-1252" in page and "UTF-16" in page


def test_an_admin_picking_step_2_choices_is_kept_between_checks(as_admin, admin):
    job = dry_run(as_admin, "reference.csv", REFERENCE)
    job = names_post(as_admin, job, {"reseller": {"Company Name": "new"}})
    assert job.defaults["names"]["reseller"] == {"Company Name": "new"}
    page = as_admin.get(f"/dids/import/{job.pk}/").content.decode()
    assert 'value="new" selected' in page


def test_the_api_maps_the_names_as_step_2_does(client, world):
    api = Api(client, token_for(world.user))
    upload_ = client.post(
        "/api/v1/imports/",
        {
            "file": SimpleUploadedFile("o.csv", b"DID,Operator\n1,Old Telco\n2,old telco\n"),
            "operator": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
        HTTP_AUTHORIZATION=api.headers["HTTP_AUTHORIZATION"],
    )
    assert upload_.status_code == 201, upload_.content
    pk = upload_.json()["id"]
    assert upload_.json()["counts"]["unknown"] == {"operator": ["Old Telco"]}

    refused = api.post(f"imports/{pk}/names/", {"names": {"operator": {"Old Telco": "999999"}}})
    assert refused.status_code == 400
    done = api.post(f"imports/{pk}/names/", {"names": {"operator": {"Old Telco": "new"}}})
    assert done.status_code == 200, done.content
    assert (done.json()["counts"]["created"], done.json()["counts"]["refused"]) == (2, 0)
    assert api.post(f"imports/{pk}/apply/", {"mode": "all"}).status_code == 200
    assert set(DID.objects.values_list("operator__name", flat=True)) == {"Old Telco"}


def test_a_held_did_takes_its_hold_end_from_the_file(as_importer, world):
    w = world
    head = "DID,Status,Operator,Client,Account,Package,Hold days,Hold until\n"
    rows = f"{w.operator.name},{w.client.name},{w.account.name},{w.package.name}"
    content = (
        head
        + f"970,On Hold,{rows},,2030-01-02 03:04\n"
        + f"971,On Hold,{rows},5,2030-02-01T00:00:00+00:00\n"
        + f"972,On Hold,{rows},,\n"
        + f"973,On Hold,{rows},,soon\n"
        + f"974,In Stock,{w.operator.name},,,,,2030-01-01\n"
    )
    job = dry_run(as_importer, "held.csv", content)
    assert job.mapping[-1] == "hold_until"
    assert refusals(job) == [
        "Row 5, Hold until: “soon” is not a date and time (YYYY-MM-DD HH:MM)",
        "Row 6, Hold until: only an On Hold DID has a hold end",
    ]
    apply(as_importer, job, "valid")
    held = {d.number: d for d in DID.objects.filter(status=Status.ON_HOLD)}
    assert sorted(held) == ["970", "971", "972"]
    local = held["970"].hold_until.astimezone(timezone.get_current_timezone())
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2030, 1, 2, 3, 4)
    assert held["971"].hold_until.isoformat() == "2030-02-01T00:00:00+00:00"
    assert held["971"].hold_days == 5
    assert held["972"].hold_until is not None  # from the package's hold days


def test_when_the_names_match_the_reference_export_imports_in_two_clicks(as_admin, admin):
    company = Reseller.objects.create(name="company name")  # case and spaces differ
    for name in ("OP 1", "Op2"):
        Operator.objects.create(name=name, reseller=company)
    job = dry_run(as_admin, "reference.csv", REFERENCE)  # upload, then Process
    assert (job.counts["created"], job.counts["refused"]) == (9, 0), refusals(job)
    assert "unknown" not in job.counts or not job.counts["unknown"]
    job = apply(as_admin, job, "all")  # Apply
    assert job.status == ImportJob.Status.DONE
    assert DID.objects.filter(reseller=company).count() == 9

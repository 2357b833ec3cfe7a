"""Import DIDs, the pages: the three steps as a browser takes them, the dry run and applying,
the background path with its progress bar, tenancy and bad input. Rows are numbered as in
the file (the header is row 1)."""

from pathlib import Path

import pytest

from accounts.models import Reseller, User
from audit.choices import Kind
from audit.models import AuditRecord, ChangeSet, Entry
from imports.models import ImportJob
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator
from tests.import_support import (
    apply,
    choose_columns,
    dry_run,
    job_from,
    numbers,
    refusals,
    upload,
)

pytestmark = pytest.mark.usefixtures("import_dir")

# The "Rows and Columns Select" screenshot of the reference guide (did-management-guide.txt).
REFERENCE_ROWS = """\
ID,Status,Operator,DID,Tag,Notes,Client,Account,Package,After Hold,Reseller
11,reserved,Op 1,1,,,,,,reserved,Company Name
12,active,Op 2,10,,,Client 0 Orig,acc_0_orig,Pack,reserved,Company Name
13,archive,Op 2,2,,,,,,reserved,Company Name
14,instock,Op 2,4,,,,,,reserved,Company Name
15,instock,Op 2,5,,,,,,reserved,Company Name
16,instock,Op 2,6,,,,,,reserved,Company Name
17,instock,Op 2,7,,,,,,reserved,Company Name
18,instock,Op 2,8,,,,,,reserved,Company Name
19,instock,Op 2,9,,,,,,reserved,Company Name
"""


# --------------------------------------------------------------------------- the reference file


@pytest.fixture
def company(db):
    reseller = Reseller.objects.create(name="Company Name")
    user = User.objects.create_user("company", password="x", reseller=reseller)
    for name in ("Op 1", "Op 2"):
        Operator.objects.create(name=name, reseller=reseller)
    return user


def test_the_reference_example_maps_its_columns_by_itself(client, company):
    client.force_login(company)
    job = job_from(upload(client, "reference.csv", REFERENCE_ROWS, status="reserved"))

    assert job.has_header and job.delimiter == ","
    assert job.mapping == [
        "id",
        "status",
        "operator",
        "did",
        "tag",
        "notes",
        "client",
        "account",
        "package",
        "after_hold",
        "reseller",
    ]
    page = client.get(f"/dids/import/{job.pk}/columns/")
    html = page.content.decode()
    assert html.count("<select") == 11 and "Skip" in html and "acc_0_orig" in html

    choose_columns(client, job)
    job.refresh_from_db()
    assert (job.counts["created"], job.counts["refused"]) == (8, 1)
    assert refusals(job) == ["Row 3, Client: “Client 0 Orig” is not a client of yours"]

    job = apply(client, job, "valid")
    assert job.status == ImportJob.Status.DONE
    dids = {d.number: d for d in DID.objects.select_related("operator")}
    assert sorted(dids, key=int) == ["1", "2", "4", "5", "6", "7", "8", "9"]
    assert (dids["1"].status, dids["1"].operator.name) == (Status.RESERVED, "Op 1")
    assert (dids["2"].status, dids["2"].operator.name) == (Status.ARCHIVE, "Op 2")
    assert dids["4"].status == Status.IN_STOCK and dids["4"].after_hold_status == "reserved"
    cs = ChangeSet.objects.get(uuid=job.change_set)
    assert cs.action == "import" and cs.counts["did.create"] == 8
    assert Entry.objects.filter(change_set=cs, kind=Kind.CREATE).count() == 8


# --------------------------------------------------------------------------- round trip


def test_a_file_exported_here_imports_back_unchanged(as_importer, world):
    world.did(Status.RESERVED, number="0100", tag="=x", notes="-note, with comma")
    world.did(Status.IN_STOCK, number="+4420100", after_hold="archive")
    world.did(Status.ACTIVE, number="102", tag="t")
    world.did(Status.BLOCKED, number="103")
    world.did(Status.ON_HOLD, number="104")
    world.did(Status.ARCHIVE, number="105", notes="'=quoted")
    before = numbers()
    audit_before = AuditRecord.objects.count()

    exported = b"".join(as_importer.get("/dids/export/").streaming_content)
    job = dry_run(as_importer, "export.csv", exported)

    assert job.mapping[:4] == ["id", "status", "operator", "did"]
    assert job.counts["unchanged"] == 6, refusals(job)
    assert (job.counts["created"], job.counts["updated"], job.counts["refused"]) == (0, 0, 0)
    job = apply(as_importer, job, "all")
    assert job.status == ImportJob.Status.DONE
    assert numbers() == before
    assert AuditRecord.objects.count() == audit_before
    assert DID.objects.get(number="0100").tag == "=x"
    assert DID.objects.get(number="105").notes == "'=quoted"


# --------------------------------------------------------------------------- the dry run


@pytest.fixture
def mixed(world, other_world):
    world.did(Status.IN_STOCK, number="200", tag="old")
    world.did(Status.ACTIVE, number="201")
    world.did(Status.ACTIVE, number="202")
    other_world.did(Status.IN_STOCK, number="900")
    return (
        "DID,Status,Tag,Operator\n"
        "200,archive,new,\n"  # 2: update (status and tag)
        "300,reserved,fresh,Op A\n"  # 3: create
        "12a,instock,,\n"  # 4: refused
        "301,sold,,\n"  # 5: refused
        "302,instock,,X\n"  # 6: refused
        "201,instock,,\n"  # 7: refused: assigned
        "300,archive,,\n"  # 8: refused: repeats row 3
        "900,instock,,\n"  # 9: refused: another reseller's
        "202,active,,\n"  # 10: unchanged (its own status)
        "303,hold,,\n"  # 11: refused: new DIDs start unassigned
    )


def test_the_dry_run_counts_and_names_the_refused_rows_and_changes_nothing(as_importer, mixed):
    before = numbers()
    audit_before = AuditRecord.objects.count()

    job = dry_run(as_importer, "mixed.csv", mixed)

    assert {k: job.counts[k] for k in ("rows", "created", "updated", "unchanged", "refused")} == {
        "rows": 10,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "refused": 7,
    }
    assert job.counts["status_changes"] == {"Archive": 1}
    assert refusals(job) == [
        "Row 4, DID: “12a” is not a number",
        "Row 5, Status: “sold” is not a status",
        "Row 6, Operator: no operator “X” of your reseller",
        "Row 7: DID 201 is assigned (Active); cannot become In Stock",
        "Row 8: DID 300 is already on row 3",
        "Row 9, DID: not available",
        "Row 11: DID 303 is new and On Hold: give its Client, Account and Package, or a "
        "status of Reserved, In Stock or Archive",
    ]
    page = as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    assert "Row 6, Operator: no operator “X” of your reseller" in page
    assert 'id="apply-valid"' in page
    assert numbers() == before
    assert AuditRecord.objects.count() == audit_before


def test_apply_all_is_refused_while_any_row_is_refused(as_importer, mixed):
    job = dry_run(as_importer, "mixed.csv", mixed)
    before = numbers()

    job = apply(as_importer, job, "all")

    assert job.status == ImportJob.Status.DRY_RUN
    assert "Nothing was imported: 7 rows are refused" in job.message
    assert numbers() == before


def test_apply_only_the_valid_rows_writes_them_in_one_change_set(as_importer, world, mixed):
    job = dry_run(as_importer, "mixed.csv", mixed)

    job = apply(as_importer, job, "valid")

    assert job.status == ImportJob.Status.DONE
    assert (job.counts["created"], job.counts["updated"], job.counts["refused"]) == (1, 1, 7)
    changed = DID.objects.get(number="200")
    assert (changed.status, changed.tag) == (Status.ARCHIVE, "new")
    created = DID.objects.get(number="300")
    assert (created.status, created.tag, created.operator_id) == (
        Status.RESERVED,
        "fresh",
        world.operator.pk,
    )
    assert DID.objects.get(number="201").status == Status.ACTIVE
    assert not DID.objects.filter(number__in=["12a", "301", "302", "303"]).exists()
    cs = ChangeSet.objects.get(uuid=job.change_set)
    assert cs.action == "import"  # the whole import is one change set: creations, edits, moves
    entries = sorted(
        (e.object_id, e.kind, sorted(e.after)) for e in Entry.objects.filter(change_set=cs)
    )
    assert entries == sorted(
        [
            (created.pk, Kind.CREATE, ["operator_id", "status"]),
            (changed.pk, Kind.UPDATE, ["tag"]),
            (changed.pk, Kind.UPDATE, ["status"]),
        ]
    )
    edit = Entry.objects.get(change_set=cs, after__has_key="tag")
    assert (edit.before, edit.after) == ({"tag": "old"}, {"tag": "new"})
    moved = Entry.objects.get(change_set=cs, kind=Kind.UPDATE, after__has_key="status")
    assert moved.after == {"status": "archive"}
    assert not Path(job.file_path).exists()


# --------------------------------------------------------------------------- the background path


def test_a_large_file_runs_in_the_background_with_a_progress_bar(
    as_importer, world, eager, django_capture_on_commit_callbacks
):
    rows = 20_001
    text = "DID,Tag\n" + "".join(f"{5_000_000 + i},bulk\n" for i in range(rows))
    job = job_from(upload(as_importer, "large.csv", text))
    assert job.rows_total == rows

    with django_capture_on_commit_callbacks() as queued:
        choose_columns(as_importer, job)
    job.refresh_from_db()
    assert len(queued) == 1 and job.status == ImportJob.Status.RUNNING
    check = job.job
    assert check.kind == "import_check" and check.status == "queued"
    page = as_importer.get(f"/dids/import/{job.pk}/").content.decode()
    assert "<progress" in page and f"/jobs/{check.pk}/progress/" in page
    assert "js/import.js" in page
    progress = as_importer.get(f"/jobs/{check.pk}/progress/").json()
    assert progress["status"] == "queued"

    queued[0]()  # the worker's turn (eager Celery)
    progress = as_importer.get(f"/jobs/{check.pk}/progress/").json()
    assert progress["status"] == "done" and progress["ok"]
    # The job's bar spans its stages (reading, checking): two rows' worth of work per row.
    assert progress["done"] == progress["total"] == 2 * rows and progress["percent"] == 100
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN and job.counts["created"] == rows

    with django_capture_on_commit_callbacks(execute=True) as queued:
        as_importer.post(f"/dids/import/{job.pk}/apply/", {"mode": "all"})
    assert len(queued) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert DID.objects.filter(tag="bulk", reseller=world.reseller).count() == rows
    assert AuditRecord.objects.filter(change_set=job.change_set).count() == rows


# --------------------------------------------------------------------------- tenancy


def test_another_resellers_import_is_a_404(client, world, other_world):
    client.force_login(world.user)
    job = job_from(upload(client, "mine.csv", "DID\n920\n"))

    client.force_login(other_world.user)
    for url in (
        f"/dids/import/{job.pk}/",
        f"/dids/import/{job.pk}/columns/",
        f"/dids/import/{job.pk}/progress",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/dids/import/{job.pk}/apply/", {"mode": "all"}).status_code == 404
    assert client.post(f"/dids/import/{job.pk}/cancel/").status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_a_reseller_imports_only_into_its_own_operators(client, world, other_world):
    client.force_login(world.user)
    response = upload(client, "x.csv", "DID\n930\n", operator=str(other_world.operator.pk))
    assert response.status_code == 200
    assert "Operator: choose one of your operators." in response.content.decode()
    assert not ImportJob.objects.exists()

    job = dry_run(client, "x.csv", "DID,Operator\n930,Op B\n931,Op A\n")
    assert refusals(job) == ["Row 2, Operator: no operator “Op B” of your reseller"]
    apply(client, job, "valid")
    assert list(DID.objects.values_list("number", "reseller_id")) == [("931", world.reseller.pk)]


def test_an_admin_names_operators_with_the_reseller_column(client, world, other_world):
    Operator.objects.create(name="Shared", reseller=world.reseller)
    Operator.objects.create(name="Shared", reseller=other_world.reseller)
    admin = User.objects.create_user("root", password="x", role=User.Role.ADMIN)
    client.force_login(admin)

    job = dry_run(
        client, "admin.csv", "DID,Operator,Reseller\n940,Shared,B\n941,Shared,\n942,Op A,\n"
    )

    assert refusals(job) == [
        "Row 3, Operator: “Shared” is the name of several operators; add a Reseller column"
    ]
    apply(client, job, "valid")
    assert dict(DID.objects.values_list("number", "reseller__name")) == {"940": "B", "942": "A"}


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "File: the file is empty."),
        ("blank.csv", b"\n\n  \n", "File: the file is empty; it has no rows."),
        ("dids.pdf", b"DID\n1\n", "File: “dids.pdf” is not a .csv, .xls or .xlsx file."),
        (
            "neither.csv",  # 0x81: not UTF-8, and no character of Windows-1252
            b"DID,Notes\n1,ok\n2,caf\x81\n",
            "File: this is not UTF-8 text; choose its encoding in step 1",
        ),
        ("nul.csv", b"DID\n1\x00\n", "File: line 2 contains a NUL byte"),
        ("fake.xlsx", b"DID\n1\n", "File: this is not an Excel .xlsx workbook"),
        ("fake.xls", b"DID\n1\n", "File: this is not an Excel 97-2003 .xls workbook"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(as_importer, name, content, message):
    response = upload(as_importer, name, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not DID.objects.exists()


def test_a_file_over_the_size_limit_is_refused(as_importer, settings):
    settings.IMPORT_MAX_FILE_SIZE = 10
    response = upload(as_importer, "big.csv", "DID\n1234567890\n")
    assert "the most one import may be is" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_did_column_is_refused(as_importer):
    job = job_from(upload(as_importer, "x.csv", "Number,Tag\n950,a\n"))
    assert job.mapping == ["did", "tag"]

    response = choose_columns(as_importer, job, mapping=["", "tag"])
    assert response.status_code == 200
    assert "DID: map one column to DID" in response.content.decode()
    response = choose_columns(as_importer, job, mapping=["did", "did"])
    assert "DID: chosen for columns 1, 2; choose one." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and not DID.objects.exists()

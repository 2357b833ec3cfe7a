"""Import DIDs: reading files, guessing columns, the dry run, applying, the background path,
tenancy and bad input. Rows are numbered as in the file (the header is row 1)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from openpyxl import Workbook

from accounts.models import Reseller, User
from audit.models import AuditRecord
from audit.services import Actor
from imports.models import ImportJob
from inventory import importing, lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, update_dids
from jobs.progress import Progress
from operators.models import Operator

IMPORT = "/dids/import/"
FIXTURES = Path(__file__).parent / "fixtures"
EXPORT_HEADER = "ID,Status,Operator,DID,Tag,Notes,Client,Account,Package,After Hold,Reseller"

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


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


@pytest.fixture
def as_a(client, world):
    client.force_login(world.user)
    client.default_operator = str(world.operator.pk)
    return client


def upload(client, name, content, **data):
    if isinstance(content, str):
        content = content.encode()
    form = {"status": "in_stock", "after_hold": "in_stock", "tag": "", "notes": ""}
    form["operator"] = getattr(client, "default_operator", "")
    form.update(data)
    form["file"] = SimpleUploadedFile(name, content)
    return client.post(IMPORT, form)


def job_from(response) -> ImportJob:
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    pk = int(response["Location"].rstrip("/").split("/")[-2])
    return ImportJob.objects.get(pk=pk)


def choose_columns(client, job, mapping=None, has_header=None):
    mapping = job.mapping if mapping is None else mapping
    has_header = job.has_header if has_header is None else has_header
    data = {f"col_{i}": name for i, name in enumerate(mapping)}
    if has_header:
        data["has_header"] = "on"
    return client.post(f"/dids/import/{job.pk}/columns/", data)


def dry_run(client, name, content, **data) -> ImportJob:
    job = job_from(upload(client, name, content, **data))
    response = choose_columns(client, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN, job.message
    return job


def apply(client, job, mode) -> ImportJob:
    client.post(f"/dids/import/{job.pk}/apply/", {"mode": mode})
    job.refresh_from_db()
    return job


def refusals(job) -> list[str]:
    return [importing.refusal_text(e) for e in job.errors]


def spec(world, path, **kw) -> importing.ImportSpec:
    info = importing.inspect_file(Path(path), importing.kind_of(str(path)))
    return importing.ImportSpec(
        path=Path(path),
        kind=info.kind,
        delimiter=info.delimiter,
        has_header=info.has_header,
        mapping=info.mapping,
        reseller_id=world.reseller.pk,
        operator_id=world.operator.pk,
        **kw,
    )


def numbers():
    return dict(DID.objects.values_list("number", "status"))


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
    assert refusals(job) == [
        "Row 3: DID 10 is new; new DIDs start Reserved, In Stock or Archive, not Active"
    ]

    job = apply(client, job, "valid")
    assert job.status == ImportJob.Status.DONE
    dids = {d.number: d for d in DID.objects.select_related("operator")}
    assert sorted(dids, key=int) == ["1", "2", "4", "5", "6", "7", "8", "9"]
    assert (dids["1"].status, dids["1"].operator.name) == (Status.RESERVED, "Op 1")
    assert (dids["2"].status, dids["2"].operator.name) == (Status.ARCHIVE, "Op 2")
    assert dids["4"].status == Status.IN_STOCK and dids["4"].after_hold_status == "reserved"
    assert (
        AuditRecord.objects.filter(change_set=job.change_set, action="import_create").count() == 8
    )


# --------------------------------------------------------------------------- round trip


def test_a_file_exported_here_imports_back_unchanged(as_a, world):
    world.did(Status.RESERVED, number="0100", tag="=x", notes="-note, with comma")
    world.did(Status.IN_STOCK, number="+4420100", after_hold="archive")
    world.did(Status.ACTIVE, number="102", tag="t")
    world.did(Status.BLOCKED, number="103")
    world.did(Status.ON_HOLD, number="104")
    world.did(Status.ARCHIVE, number="105", notes="'=quoted")
    before = numbers()
    audit_before = AuditRecord.objects.count()

    exported = b"".join(as_a.get("/dids/export/").streaming_content)
    job = dry_run(as_a, "export.csv", exported)

    assert job.mapping[:4] == ["id", "status", "operator", "did"]
    assert job.counts["unchanged"] == 6, refusals(job)
    assert (job.counts["created"], job.counts["updated"], job.counts["refused"]) == (0, 0, 0)
    job = apply(as_a, job, "all")
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


def test_the_dry_run_counts_and_names_the_refused_rows_and_changes_nothing(as_a, mixed):
    before = numbers()
    audit_before = AuditRecord.objects.count()

    job = dry_run(as_a, "mixed.csv", mixed)

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
        "Row 11: DID 303 is new; new DIDs start Reserved, In Stock or Archive, not On Hold",
    ]
    page = as_a.get(f"/dids/import/{job.pk}/").content.decode()
    assert "Row 6, Operator: no operator “X” of your reseller" in page
    assert 'id="apply-valid"' in page
    assert numbers() == before
    assert AuditRecord.objects.count() == audit_before


def test_apply_all_is_refused_while_any_row_is_refused(as_a, mixed):
    job = dry_run(as_a, "mixed.csv", mixed)
    before = numbers()

    job = apply(as_a, job, "all")

    assert job.status == ImportJob.Status.DRY_RUN
    assert "Nothing was imported: 7 rows are refused" in job.message
    assert numbers() == before


def test_apply_only_the_valid_rows_writes_them_in_one_change_set(as_a, world, mixed):
    job = dry_run(as_a, "mixed.csv", mixed)

    job = apply(as_a, job, "valid")

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
    actions = sorted(
        AuditRecord.objects.filter(change_set=job.change_set).values_list("action", "object_repr")
    )
    assert actions == [("import_create", "300"), ("import_edit", "200"), ("set_status", "200")]
    edit = AuditRecord.objects.get(change_set=job.change_set, action="import_edit")
    assert (edit.before, edit.after) == ({"tag": "old"}, {"tag": "new"})
    assert (
        AuditRecord.objects.get(change_set=job.change_set, action="set_status").after["status"]
        == "archive"
    )
    assert not Path(job.file_path).exists()


def test_apply_is_all_or_nothing_when_a_late_step_fails(world, tmp_path, monkeypatch):
    world.did(Status.IN_STOCK, number="400")
    path = tmp_path / "late.csv"
    path.write_text("DID,Status,Tag\n400,archive,x\n401,reserved,y\n")

    def refuse(*args, **kwargs):
        raise lifecycle.IllegalTransition("DID 400 changed meanwhile.")

    monkeypatch.setattr(lifecycle, "set_status", refuse)
    with pytest.raises(lifecycle.IllegalTransition):
        importing.apply(spec(world, path), actor=world.actor)

    assert not DID.objects.filter(number="401").exists()
    assert DID.objects.get(number="400").tag == ""
    assert not AuditRecord.objects.filter(action__startswith="import_").exists()


def test_existing_dids_change_only_where_the_file_says_so(world, tmp_path):
    other = Operator.objects.create(name="Second", reseller=world.reseller)
    world.did(Status.IN_STOCK, number="500", tag="keep", notes="keep")
    world.did(Status.RESERVED, number="501", tag="keep", notes="keep")
    path = tmp_path / "fields.csv"
    path.write_text(
        "DID,Operator,After Hold,Hold days,Notes\n500,Second,archive,7,new notes\n501,,,,\n"
    )

    rep = importing.apply(spec(world, path, tag="default tag"), actor=world.actor)

    assert (rep.updated, rep.unchanged) == (2, 0)  # 501: its notes become empty
    first = DID.objects.get(number="500")
    assert (first.operator_id, first.after_hold_status, first.hold_days) == (
        other.pk,
        "archive",
        7,
    )
    assert (first.tag, first.notes, first.status) == ("keep", "new notes", Status.IN_STOCK)
    second = DID.objects.get(number="501")
    assert (second.tag, second.notes, second.status) == ("keep", "", Status.RESERVED)


# --------------------------------------------------------------------------- file formats


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_the_delimiter_is_detected(as_a, delimiter, name):
    text = delimiter.join(["DID", "Status", "Notes"]) + "\n"
    text += delimiter.join(["600", "reserved", "a, b"]) + "\n"
    text += delimiter.join(["601", "archive", "c"]) + "\n"

    job = dry_run(as_a, f"{name}.csv", text)

    assert job.delimiter == delimiter
    assert job.mapping == ["did", "status", "notes"]
    assert job.counts["created"] == 2
    apply(as_a, job, "all")
    assert numbers() == {"600": Status.RESERVED, "601": Status.ARCHIVE}
    assert DID.objects.get(number="600").notes == "a, b"


def test_a_chosen_delimiter_wins_over_the_guess(as_a):
    job = job_from(upload(as_a, "one.csv", "DID;Tag\n700;a,b\n", delimiter="semicolon"))
    assert job.delimiter == ";"
    job = job_from(upload(as_a, "two.csv", "DID;Tag\n700;a,b\n", delimiter="comma"))
    assert job.delimiter == "," and job.mapping == ["", ""]


def test_xlsx_import_keeps_text_dids_and_reads_number_cells(as_a):
    wb = Workbook()
    ws = wb.active
    ws.append(["DID", "Status", "Tag"])
    ws.append(["0077", "In Stock", "xlsx"])
    ws.append([4155550100, "reserved", None])
    buf = io.BytesIO()
    wb.save(buf)

    job = dry_run(as_a, "dids.xlsx", buf.getvalue())
    assert job.kind == "xlsx" and job.mapping == ["did", "status", "tag"]
    apply(as_a, job, "all")

    assert numbers() == {"0077": Status.IN_STOCK, "4155550100": Status.RESERVED}
    assert DID.objects.get(number="0077").tag == "xlsx"


def test_xls_import_from_the_fixture(as_a):
    # tests/fixtures/dids.xls was written with xlwt (in a throwaway virtualenv): a text DID
    # with a leading zero, a number cell, a "+" DID and one that is not a number.
    job = dry_run(as_a, "dids.xls", (FIXTURES / "dids.xls").read_bytes())

    assert job.kind == "xls" and job.mapping == ["did", "status", "tag", "notes", "after_hold"]
    assert (job.counts["created"], job.counts["refused"]) == (3, 1)
    assert refusals(job) == ["Row 5, DID: “abc” is not a number"]
    apply(as_a, job, "valid")
    assert numbers() == {
        "0100200300": Status.RESERVED,
        "4155550101": Status.IN_STOCK,
        "+4420555": Status.ARCHIVE,
    }
    first = DID.objects.get(number="0100200300")
    assert (first.tag, first.notes, first.after_hold_status) == ("xls", "from xls", "archive")


def test_blank_and_short_rows_keep_their_row_numbers(world, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("DID,Status,Tag\n800,reserved,a\n\n801\n,,\n80x,instock,b,extra\n")

    rep = importing.check(spec(world, path))

    assert (rep.rows, rep.created, rep.refused) == (3, 2, 1)
    assert [importing.refusal_text(e) for e in rep.errors] == ["Row 6, DID: “80x” is not a number"]


def test_a_file_without_a_header_maps_the_did_column(world, tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("900100,reserved\n900101,instock\n")

    info = importing.inspect_file(path, "csv")
    assert (info.has_header, info.mapping, info.rows) == (False, ["did", "status"], 2)
    rep = importing.apply(spec(world, path), actor=world.actor)
    assert rep.created == 2
    assert numbers() == {"900100": Status.RESERVED, "900101": Status.IN_STOCK}


# --------------------------------------------------------------------------- the background path


@pytest.fixture
def eager(settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_large_file_runs_in_the_background_with_a_progress_bar(
    as_a, world, eager, django_capture_on_commit_callbacks
):
    rows = 20_001
    text = "DID,Tag\n" + "".join(f"{5_000_000 + i},bulk\n" for i in range(rows))
    job = job_from(upload(as_a, "large.csv", text))
    assert job.rows_total == rows

    with django_capture_on_commit_callbacks() as queued:
        choose_columns(as_a, job)
    job.refresh_from_db()
    assert len(queued) == 1 and job.status == ImportJob.Status.RUNNING
    page = as_a.get(f"/dids/import/{job.pk}/").content.decode()
    assert "<progress" in page and f"/dids/import/{job.pk}/progress" in page
    assert "js/import.js" in page
    progress = as_a.get(f"/dids/import/{job.pk}/progress").json()
    assert progress["status"] == "running" and not progress["finished"]

    queued[0]()  # the worker's turn (eager Celery)
    progress = as_a.get(f"/dids/import/{job.pk}/progress").json()
    assert progress["status"] == "dry_run" and progress["finished"]
    assert progress["rows_done"] == progress["rows_total"] == rows
    assert progress["percent"] == 100 and progress["counts"]["created"] == rows

    with django_capture_on_commit_callbacks(execute=True) as queued:
        as_a.post(f"/dids/import/{job.pk}/apply/", {"mode": "all"})
    assert len(queued) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert DID.objects.filter(tag="bulk", reseller=world.reseller).count() == rows
    assert AuditRecord.objects.filter(change_set=job.change_set).count() == rows


def test_the_task_takes_the_job_id_and_calls_the_service(world, tmp_path, eager):
    from inventory.tasks import run_import

    path = tmp_path / "t.csv"
    path.write_text("DID\n910\n")
    job = ImportJob.objects.create(
        user=world.user,
        reseller=world.reseller,
        file_path=str(path),
        original_name="t.csv",
        kind="csv",
        delimiter=",",
        has_header=True,
        mapping=["did"],
        rows_total=1,
        defaults={"operator": world.operator.pk, "status": "reserved"},
        # As the view queues it: Running, its mode, no worker yet.
        status=ImportJob.Status.RUNNING,
        mode="check",
    )

    run_import.delay(job.pk, "check")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN and job.counts["created"] == 1
    run_import.delay(job.pk, "all")  # not queued for that: a stray task does nothing
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN and not DID.objects.exists()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, mode="all")
    run_import.delay(job.pk, "all")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert numbers() == {"910": Status.RESERVED}


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
            "latin1.csv",
            "DID,Notes\n1,ok\n2,caf\xe9\n".encode("latin-1"),
            "File: line 3 is not UTF-8 text (byte 0xE9 at position 6)",
        ),
        ("nul.csv", b"DID\n1\x00\n", "File: line 2 contains a NUL byte"),
        ("fake.xlsx", b"DID\n1\n", "File: this is not an Excel .xlsx workbook"),
        ("fake.xls", b"DID\n1\n", "File: this is not an Excel 97-2003 .xls workbook"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(as_a, name, content, message):
    response = upload(as_a, name, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not DID.objects.exists()


def test_a_file_over_the_size_limit_is_refused(as_a, settings):
    settings.IMPORT_MAX_FILE_SIZE = 10
    response = upload(as_a, "big.csv", "DID\n1234567890\n")
    assert "the most one import may be is" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_did_column_is_refused(as_a):
    job = job_from(upload(as_a, "x.csv", "Number,Tag\n950,a\n"))
    assert job.mapping == ["did", "tag"]

    response = choose_columns(as_a, job, mapping=["", "tag"])
    assert response.status_code == 200
    assert "DID: map one column to DID" in response.content.decode()
    response = choose_columns(as_a, job, mapping=["did", "did"])
    assert "DID: chosen for columns 1, 2; choose one." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and not DID.objects.exists()


# --------------------------------------------------------------------------- the benchmark hook


def test_import_csv_for_benchmark_runs_a_dry_run_and_applies(world, tmp_path):
    create_dids(parse("960"), operator=world.operator, actor=world.actor)
    did = DID.objects.get(number="960")
    update_dids([did.pk], {"tag": "old"}, actor=world.actor)
    path = tmp_path / "bench.csv"
    path.write_text("DID,Status,Tag\n960,reserved,new\n961,instock,t\n962,archive,t\n")

    counts = importing.import_csv_for_benchmark(
        path, operator=world.operator, actor=Actor.for_user(world.user)
    )

    assert (counts["created"], counts["updated"], counts["refused"]) == (2, 1, 0)
    assert counts["dry_run"]["created"] == 2 and counts["seconds"] >= 0
    assert numbers() == {"960": Status.RESERVED, "961": Status.IN_STOCK, "962": Status.ARCHIVE}
    with connection.cursor() as cur:  # the temporary tables are gone with the transaction
        cur.execute("SELECT to_regclass('pg_temp.imp_rows') IS NULL")
        assert cur.fetchone()[0] in (True, None)


def test_postgres_and_python_read_a_csv_the_same_way(world, tmp_path, monkeypatch):
    world.did(Status.IN_STOCK, number="970", tag="old", notes="old")
    path = tmp_path / "quoted.csv"
    path.write_bytes(
        "\ufeffDID,Tag,Notes\n"
        '970,,"two\nlines, and a comma"\n'
        ' 971 ," x ",\n'
        " , ,  \n"
        '972,"say ""hi""",\'=1\n'
        "97z,,\n".encode()
    )

    def outcome():
        rep = importing.check(spec(world, path))
        return rep.counts(), rep.errors

    loaded_by_postgres = []
    real = importing._Run._load_csv_in_postgres

    def spy(self):
        loaded_by_postgres.append(real(self))
        return loaded_by_postgres[-1]

    monkeypatch.setattr(importing._Run, "_load_csv_in_postgres", spy)
    in_postgres = outcome()
    assert loaded_by_postgres == [True]
    monkeypatch.setattr(importing._Run, "_load_csv_in_postgres", lambda self: False)
    in_python = outcome()

    assert in_postgres[0] | {"seconds": 0} == in_python[0] | {"seconds": 0}
    assert in_postgres[1] == in_python[1] == [{"row": 6, "text": "DID: “97z” is not a number"}]
    assert (in_python[0]["created"], in_python[0]["updated"]) == (2, 1)
    importing.apply(spec(world, path), actor=world.actor, only_valid=True)
    first = DID.objects.get(number="970")
    assert (first.tag, first.notes) == ("", "two\nlines, and a comma")
    assert DID.objects.get(number="971").tag == "x"
    assert (DID.objects.get(number="972").tag, DID.objects.get(number="972").notes) == (
        'say "hi"',
        "=1",
    )


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_outside_the_imports_transaction(world, tmp_path):
    job = ImportJob.objects.create(
        user=world.user,
        reseller=world.reseller,
        file_path=str(tmp_path / "p.csv"),
        original_name="p.csv",
        kind="csv",
        rows_total=100,
    )
    progress = Progress(ImportJob._meta.db_table, job.pk, done_column="rows_done")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            progress(40, "Reading the file", force=True)
            job.refresh_from_db()
            assert (job.rows_done, job.stage) == (40, "Reading the file")
            raise RuntimeError("the import rolls back")
    finally:
        progress.close()
    job.refresh_from_db()
    assert (job.rows_done, job.stage, job.percent) == (40, "Reading the file", 40)


def test_large_writes_go_in_batches_of_rows(world, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "WRITE_BATCH", 2)
    create_dids(parse("980-984"), operator=world.operator, actor=world.actor)
    path = tmp_path / "batches.csv"
    lines = [f"{n},t{n}" for n in range(980, 990)]  # 5 to update, 5 to create
    path.write_text("DID,Tag\n" + "\n".join(lines) + "\n")
    steps = []

    rep = importing.apply(
        spec(world, path, rows_hint=10),
        actor=world.actor,
        progress=lambda done=None, stage=None, force=False: steps.append((stage, done)),
    )

    assert (rep.created, rep.updated) == (5, 5)
    assert dict(DID.objects.values_list("number", "tag")) == {
        str(n): f"t{n}" for n in range(980, 990)
    }
    created_steps = [done for stage, done in steps if stage is None and done is not None]
    assert len(created_steps) >= 6  # several statements, each reporting its progress
    assert ("Creating DIDs", 0) in steps and ("Updating DIDs", 0) in steps

"""What the Import DIDs tests share: the steps of the import as a browser takes them
(upload, choose the columns, dry run, apply) and a spec for the services. The fixtures
(``import_dir``, ``as_importer``, ``eager``) are in ``tests/conftest.py``."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from imports import preview, readers
from imports.models import ImportJob
from imports.spec import ImportSpec, refusal_text
from inventory.models import DID

IMPORT = "/dids/import/"
FIXTURES = Path(__file__).parent / "fixtures"
EXPORT_HEADER = "ID,Status,Operator,DID,Tag,Notes,Client,Account,Package,After Hold,Reseller"


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
    return [refusal_text(e) for e in job.errors]


def spec(world, path, **kw) -> ImportSpec:
    info = preview.inspect_file(Path(path), readers.kind_of(str(path)))
    return ImportSpec(
        path=Path(path),
        kind=info.kind,
        delimiter=info.delimiter,
        has_header=info.has_header,
        mapping=info.mapping,
        reseller_id=world.reseller.pk,
        operator_id=world.operator.pk,
        width=info.width,
        encoding=info.encoding,
        **kw,
    )


def numbers():
    return dict(DID.objects.values_list("number", "status"))

"""Import DIDs and Export DIDs of the DID Inventory tab. Thin views over
``inventory.importing`` and ``inventory.exporting``.

Import is three steps, each a page: 1. the file and the defaults; 2. a field (or Skip) for
each column, over a preview of the first rows; 3. the dry run's counts and refusals, then
Apply (all rows, refused if any row is refused) or Apply only the valid rows. Files of more
than ``importing.background_rows()`` rows run in a Celery task; their page polls a small JSON
endpoint for the progress bar. A job of another reseller is a 404.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.tenancy import scoped
from config import text
from config.limits import NOTES_MAX, length_message
from imports.models import ImportJob
from jobs import services as jobs
from jobs.models import Job
from operators.models import Operator

from . import exporting, importing
from .choices import AfterHold, Status
from .forms import INITIAL_CHOICES
from .views import _search, _sort_of

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEASURED_STAGES = ("Reading the file", "Creating DIDs", "Updating DIDs")

# --------------------------------------------------------------------------- Export DIDs


def _bad_request(request, message: str):
    return render(request, "inventory/export_error.html", {"message": message}, status=400)


def _filter_errors(filterset) -> str:
    """The search's errors, each naming its field."""
    parts = []
    for name, errors in filterset.errors.items():
        field = filterset.form.fields.get(name)
        label = field.label if field is not None and field.label else name
        for error in errors:
            parts.append(error if error.startswith(f"{label}:") else f"{label}: {error}")
    return " ".join(parts)


@login_required
def did_export(request):
    """The DIDs the current search shows (all pages), in the list's order, as CSV or XLSX.

    A request does a bounded amount of work: a CSV of at most ``BACKGROUND_THRESHOLD`` rows
    streams at once; a larger CSV, and every XLSX (openpyxl builds it in the worker's
    memory and CPU), is written by a background job whose page offers the file to download.
    """
    fmt = (request.GET.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        return _bad_request(request, f"Format: “{fmt}” is not csv or xlsx.")
    filterset = _search(request)
    if not filterset.is_valid():
        return _bad_request(request, _filter_errors(filterset))
    sort, descending, _value = _sort_of(request.GET)
    order_by = sort.order_by(descending)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    if fmt == "csv" and _at_most(filterset.qs, jobs.threshold()):
        response = StreamingHttpResponse(
            exporting.export_csv_rows(filterset.qs, order_by),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="dids-{stamp}.csv"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    back = reverse("inventory:did_list") + (f"?{query.urlencode()}" if query else "")
    try:
        job = jobs.start(
            Job.Kind.EXPORT_XLSX if fmt == "xlsx" else Job.Kind.EXPORT_CSV,
            user=request.user,
            total=0,
            back_url=back,
            params={"q": query.urlencode(), "file_name": f"dids-{stamp}.{fmt}"},
        )
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect("jobs:detail", pk=job.pk)


def _at_most(queryset, limit: int) -> bool:
    """Whether ``queryset`` has at most ``limit`` rows (counting no further than that)."""
    return queryset.order_by().values("pk")[: limit + 1].count() <= limit


# --------------------------------------------------------------------------- Import DIDs

DELIMITER_CHOICES = [
    ("", "autodetect"),
    ("comma", "comma ( , )"),
    ("semicolon", "semicolon ( ; )"),
    ("tab", "tab"),
    ("pipe", "pipe ( | )"),
]
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


class ImportUploadForm(forms.Form):
    """Step 1: the file, how to read it, and the values for what the file leaves out."""

    file = forms.FileField(
        label="Select the file to import",
        error_messages={
            "required": "File: choose a .csv, .xls or .xlsx file.",
            "empty": "File: the file is empty.",
        },
    )
    delimiter = forms.ChoiceField(
        label="Fields delimiter", choices=DELIMITER_CHOICES, required=False
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.none(),
        label="Operator",
        required=False,
        empty_label="— from the file —",
        error_messages={"invalid_choice": "Operator: choose one of your operators."},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=INITIAL_CHOICES,
        initial=Status.RESERVED,
        error_messages={"invalid_choice": "Status: new DIDs start Reserved, In Stock or Archive."},
    )
    after_hold = forms.ChoiceField(
        label="After Hold",
        choices=AfterHold.choices,
        initial=AfterHold.RESERVED,
        error_messages={"invalid_choice": "After Hold: choose In Stock, Reserved or Archive."},
    )
    tag = forms.CharField(
        label="Tag",
        max_length=64,
        required=False,
        error_messages={"max_length": "Tag: at most 64 characters."},
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": length_message("Notes", NOTES_MAX)},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ops = scoped(Operator.objects.select_related("reseller"), user).order_by("name")
        self.fields["operator"].queryset = ops
        self.fields["operator"].label_from_instance = lambda op: (
            f"{op.name} ({op.reseller.name})" if user.is_platform_admin else op.name
        )
        if not user.is_platform_admin and len(ops[:2]) == 1:
            self.fields["operator"].initial = ops[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.kind = importing.kind_of(upload.name)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not upload.size:
            raise forms.ValidationError(f"File: “{upload.name}” is empty.")
        limit = settings.IMPORT_MAX_FILE_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                f"File: “{upload.name}” is {upload.size / 2**20:,.1f} MB; the most one import "
                f"may be is {limit / 2**20:,.0f} MB. Split it into smaller files."
            )
        return upload


class MappingForm(forms.Form):
    """Step 2: a field (or Skip) for each column of the file."""

    has_header = forms.BooleanField(label="The first row holds the column names", required=False)

    def __init__(self, *args, columns: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Skip"), *importing.FIELDS]
        for i in range(columns):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=f"Column {i + 1}", choices=choices, required=False
            )

    def mapping(self) -> list[str]:
        return [
            self.cleaned_data.get(name) or "" for name in self.fields if name.startswith("col_")
        ]

    def clean(self):
        data = super().clean()
        for error in importing.check_mapping(self.mapping()):
            self.add_error(None, error)
        return data


def _job(request, pk) -> ImportJob:
    """The job, if it is the user's reseller's (an admin sees all); else 404."""
    return get_object_or_404(scoped(ImportJob.objects.select_related("user"), request.user), pk=pk)


def _recent(request):
    return scoped(ImportJob.objects.all(), request.user).order_by("-id")[:10]


@login_required
def did_import(request):
    """Step 1: upload the file and choose the defaults."""
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        path = importing.store_upload(upload)
        try:
            # A bounded read: the first rows and a row count (exact for a small file, else
            # an estimate). The worker's dry run reads, counts and checks every row.
            info = importing.inspect_file(path, form.kind, DELIMITERS.get(data["delimiter"], ""))
        except importing.ImportFileError as exc:
            path.unlink(missing_ok=True)
            form.add_error("file", str(exc))
        else:
            job = ImportJob.objects.create(
                user=request.user,
                reseller_id=request.user.reseller_id,
                file_path=str(path),
                original_name=Path(upload.name).name[:255],
                kind=form.kind,
                delimiter=info.delimiter,
                has_header=info.has_header,
                defaults={
                    "operator": data["operator"].pk if data["operator"] else None,
                    "status": data["status"],
                    "after_hold": data["after_hold"],
                    "tag": data["tag"].strip(),
                    "notes": data["notes"],
                },
                mapping=info.mapping,
                rows_total=info.rows,
                preview=info.preview,
            )
            return redirect("inventory:did_import_map", pk=job.pk)
    return render(
        request,
        "inventory/import_upload.html",
        {
            "form": form,
            "jobs": _recent(request),
            "max_size_mb": settings.IMPORT_MAX_FILE_SIZE // 2**20,
        },
    )


def _runs_inline(job: ImportJob) -> bool:
    """A small file (at most ``background_rows()`` rows, and at most ``preview_bytes()`` to
    read) runs in the request; any other in the worker. So a request reads a bounded amount."""
    return (
        job.rows_total <= importing.background_rows()
        and importing.data_size(Path(job.file_path), job.kind) <= importing.preview_bytes()
    )


def _start(job: ImportJob, mode: str) -> None:
    """Run ``mode`` ("check", "all", "valid") now, or queue it if the file is large.
    ``jobs.TooManyJobs`` if the user has enough jobs running already."""
    if not _runs_inline(job):
        from .tasks_io import run_import

        jobs.fail_stale(user=job.user)
        with transaction.atomic():
            jobs.reserve_slot(job.user)
            job.status = ImportJob.Status.RUNNING
            job.mode = mode
            job.stage = "Waiting for a worker"
            job.rows_done = 0
            job.message = ""
            job.heartbeat_at = None
            job.backend_pid = None
            job.backend_start = None
            job.save(
                update_fields=[
                    "status",
                    "mode",
                    "stage",
                    "rows_done",
                    "message",
                    "heartbeat_at",
                    "backend_pid",
                    "backend_start",
                ]
            )
            transaction.on_commit(lambda: run_import.delay(job.pk, mode))
    else:
        importing.run_job(job.pk, mode)


@login_required
def did_import_map(request, pk):
    """Step 2: a field or Skip for each column, over the first rows of the file."""
    job = _job(request, pk)
    if job.status == ImportJob.Status.RUNNING or job.status == ImportJob.Status.DONE:
        return redirect("inventory:did_import_job", pk=job.pk)
    try:
        # Read at upload (a bounded read); older jobs read it again, as boundedly.
        head = job.preview or importing.preview(Path(job.file_path), job.kind, job.delimiter)
    except (importing.ImportFileError, OSError) as exc:
        if not isinstance(exc, importing.ImportFileError):
            exc = "File: the uploaded file is gone; upload it again."
        messages.error(request, str(exc))
        return redirect("inventory:did_import")
    columns = len(job.mapping)
    initial = {"has_header": job.has_header}
    initial.update({f"col_{i}": name for i, name in enumerate(job.mapping)})
    form = MappingForm(request.POST or None, columns=columns, initial=initial)
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        has_header = form.cleaned_data["has_header"]
        if has_header != job.has_header:
            job.rows_total += -1 if has_header else 1
        job.mapping = mapping
        job.has_header = has_header
        job.status = ImportJob.Status.MAPPED
        job.counts = {}
        job.errors = []
        job.save()
        try:
            _start(job, "check")
        except jobs.TooManyJobs as exc:
            messages.error(request, str(exc))
            return redirect("inventory:did_import_map", pk=job.pk)
        return redirect("inventory:did_import_job", pk=job.pk)
    rows = [(r + [""] * columns)[:columns] for r in head]
    selects = [form[f"col_{i}"] for i in range(columns)]
    return render(
        request,
        "inventory/import_map.html",
        {
            "job": job,
            "form": form,
            "selects": selects,
            "rows": rows,
            "delimiter_name": importing.DELIMITERS.get(job.delimiter, "")
            if job.kind == "csv"
            else "",
        },
    )


@login_required
def did_import_job(request, pk):
    """Step 3 and after: the progress, the dry run's outcome, or the import's."""
    job = _job(request, pk)
    if jobs.fail_stale(pk=job.pk, model=ImportJob):  # its worker stopped
        job.refresh_from_db()
    if job.status in (ImportJob.Status.UPLOADED, ImportJob.Status.MAPPED):
        return redirect("inventory:did_import_map", pk=job.pk)
    errors = [importing.refusal_text(e) for e in job.errors]
    defaults = job.defaults or {}
    operator = None
    if defaults.get("operator"):
        operator = Operator.objects.filter(pk=defaults["operator"]).first()
    return render(
        request,
        "inventory/import_job.html",
        {
            "job": job,
            "counts": job.counts,
            "errors": errors,
            "more_errors": max(0, job.counts.get("refused", 0) - len(errors)),
            "operator": operator,
            "status_label": Status(defaults.get("status") or Status.RESERVED).label,
            "after_hold_label": AfterHold(defaults.get("after_hold") or AfterHold.RESERVED).label,
            "fields": [importing.FIELD_LABELS.get(m, "Skip") for m in job.mapping],
            "progress_url": reverse("inventory:did_import_progress", args=[job.pk]),
            "measured": job.stage in MEASURED_STAGES,
        },
    )


@login_required
@require_POST
def did_import_apply(request, pk):
    """Apply the checked file: all rows, or only the valid ones."""
    job = _job(request, pk)
    mode = request.POST.get("mode")
    if mode not in ("all", "valid"):
        messages.error(request, "Apply: choose Apply or Apply only the valid rows.")
        return redirect("inventory:did_import_job", pk=job.pk)
    if job.status != ImportJob.Status.DRY_RUN:
        messages.error(request, "Apply: this import is not waiting to be applied.")
        return redirect("inventory:did_import_job", pk=job.pk)
    try:
        _start(job, mode)
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect("inventory:did_import_job", pk=job.pk)
    job.refresh_from_db()
    if job.status == ImportJob.Status.DONE:
        c = job.counts
        messages.success(
            request,
            f"Imported {job.original_name}: created {c['created']:,}, updated {c['updated']:,}, "
            f"unchanged {c['unchanged']:,}"
            + (f", skipped {text.count(c['refused'], 'refused row')}." if c["refused"] else "."),
        )
    return redirect("inventory:did_import_job", pk=job.pk)


@login_required
def did_import_progress(request, pk):
    """The job's progress for the page's progress bar (polled once a second)."""
    job = _job(request, pk)
    if jobs.fail_stale(pk=job.pk, model=ImportJob):  # its worker stopped
        job.refresh_from_db()
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "mode": job.mode,
            "stage": job.stage,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            # Stages measured in rows (a bar); the others show a bar without a value.
            "measured": job.stage in MEASURED_STAGES,
            "counts": job.counts,
            "message": job.message,
            "finished": job.status != ImportJob.Status.RUNNING,
        }
    )


@login_required
@require_POST
def did_import_cancel(request, pk):
    """Forget an import that has not been applied, with its file. One whose worker stopped
    (failed as stale first) or that no worker has started yet can be cancelled too."""
    job = _job(request, pk)
    jobs.fail_stale(pk=job.pk, model=ImportJob)
    job.refresh_from_db()
    waiting = {"pk": job.pk, "status": ImportJob.Status.RUNNING, "backend_pid": None}
    if job.status == ImportJob.Status.DONE or (
        job.status == ImportJob.Status.RUNNING and not ImportJob.objects.filter(**waiting).exists()
    ):
        messages.error(request, "Cancel: this import is running or applied already.")
        return redirect("inventory:did_import_job", pk=job.pk)
    # Conditional: a worker that takes the job meanwhile keeps it (and cancel says so).
    if not ImportJob.objects.filter(pk=job.pk, status=job.status, backend_pid=None).delete()[0]:
        messages.error(request, "Cancel: this import is running or applied already.")
        return redirect("inventory:did_import_job", pk=job.pk)
    if job.file_path:
        Path(job.file_path).unlink(missing_ok=True)
    messages.info(request, f"Cancelled the import of {job.original_name}; nothing changed.")
    return redirect("inventory:did_import")

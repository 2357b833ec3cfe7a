"""Import DIDs, the pages of the DID Inventory tab's import: thin views over
``imports.services``.

Import is three steps, each a page: 1. the file and the defaults; 2. a field (or Skip) for
each column, over a preview of the first rows; 3. the dry run's counts and refusals, then
Apply (all rows, refused if any row is refused) or Apply only the valid rows. Files of more
than ``services.background_rows()`` rows run as a background job (``imports.jobs``); their
page polls the job's progress (``jobs:job_progress``). A job of another reseller is a 404.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import views as generic
from inventory.choices import AfterHold
from inventory.choices import Status as DIDStatus
from jobs import services as jobs
from jobs.selectors import own_jobs
from operators.models import Operator

from . import preview, readers, refused, selectors, services
from .choices import Status
from .errors import ImportFileError
from .forms import ImportUploadForm, MappingForm, NamesForm
from .models import ImportJob
from .spec import FIELD_LABELS, ImportReport, group_text, refusal_text


def _job(request, pk) -> ImportJob:
    """The job, if it is the user's reseller's (an admin sees all); else 404."""
    return get_object_or_404(selectors.jobs_for(request.user), pk=pk)


@login_required
def did_import(request):
    """Step 1: upload the file and choose the defaults."""
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.upload(**form.upload_args(), user=request.user)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("imports:did_import_map", pk=job.pk)
    return render(
        request,
        "imports/import_upload.html",
        {
            "form": form,
            "jobs": selectors.recent_jobs(request.user),
            "max_size_mb": settings.IMPORT_MAX_FILE_SIZE // 2**20,
        },
    )


@login_required
def did_import_map(request, pk):
    """Step 2: a field or Skip for each column, over the first rows of the file."""
    job = _job(request, pk)
    if not services.can_move(job.status, Status.MAPPED):  # running or applied
        return redirect("imports:did_import_job", pk=job.pk)
    try:
        # Read at upload (a bounded read); older jobs read it again, as boundedly.
        head = job.preview or preview.preview(Path(job.file_path), job.kind, job.delimiter)
    except (ImportFileError, OSError) as exc:
        if not isinstance(exc, ImportFileError):
            exc = "File: the uploaded file is gone; upload it again."
        messages.error(request, str(exc))
        return redirect("imports:did_import")
    columns = len(job.mapping)
    initial = {"has_header": job.has_header}
    initial.update({f"col_{i}": name for i, name in enumerate(job.mapping)})
    form = MappingForm(request.POST or None, columns=columns, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.choose_columns(
                job, mapping=form.mapping(), has_header=form.cleaned_data["has_header"]
            )
        except jobs.TooManyJobs as exc:
            messages.error(request, str(exc))
            return redirect("imports:did_import_map", pk=job.pk)
        return redirect("imports:did_import_job", pk=job.pk)
    rows = [(r + [""] * columns)[:columns] for r in head]
    selects = [form[f"col_{i}"] for i in range(columns)]
    return render(
        request,
        "imports/import_map.html",
        {
            "job": job,
            "form": form,
            "selects": selects,
            "rows": rows,
            "delimiter_name": readers.DELIMITERS.get(job.delimiter, "")
            if job.kind == "csv"
            else "",
        },
    )


@login_required
def did_import_job(request, pk):
    """Step 3 and after: the progress, the dry run's outcome, or the import's."""
    job = _job(request, pk)
    running = job.job if job.status == Status.RUNNING else None
    if running is not None and jobs.fail_stale(pk=running.pk):  # its worker stopped
        job.refresh_from_db()
        running = job.job if job.status == Status.RUNNING else None
    if job.status in (Status.UPLOADED, Status.MAPPED):
        return redirect("imports:did_import_map", pk=job.pk)
    errors = [refusal_text(e) for e in job.errors]
    counts = job.counts or {}
    unknown = services.names_offered(job)
    names_form = None
    if unknown and job.status == Status.DRY_RUN:
        names_form = NamesForm(
            unknown=unknown,
            reseller_id=job.reseller_id,
            initial=(job.defaults or {}).get("names") or {},
        )
    defaults = job.defaults or {}
    operator = None
    if defaults.get("operator"):
        operator = Operator.objects.filter(pk=defaults["operator"]).first()
    return render(
        request,
        "imports/import_job.html",
        {
            "job": job,
            "counts": job.counts,
            "errors": errors,
            "groups": [group_text(g) for g in counts.get("groups") or []],
            "names_form": names_form,
            "refused_file": job.status in (Status.DRY_RUN, Status.DONE)
            and refused.refused_path(Path(job.file_path)).is_file(),
            "valid_rows": counts.get("rows", 0) - counts.get("refused", 0),
            "more_errors": max(0, job.counts.get("refused", 0) - len(errors)),
            "operator": operator,
            "status_label": DIDStatus(defaults.get("status") or DIDStatus.RESERVED).label,
            "after_hold_label": AfterHold(defaults.get("after_hold") or AfterHold.RESERVED).label,
            "fields": [FIELD_LABELS.get(m, "Skip") for m in job.mapping],
            "running": running,
            # Its own user (or an admin) follows the job's progress; a colleague refreshes.
            "progress_url": reverse("jobs:job_progress", args=[running.pk])
            if running is not None and own_jobs(request.user).filter(pk=running.pk).exists()
            else "",
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
        return redirect("imports:did_import_job", pk=job.pk)
    if job.status != Status.DRY_RUN:
        messages.error(request, "Apply: this import is not waiting to be applied.")
        return redirect("imports:did_import_job", pk=job.pk)
    counts = job.counts or {}
    if counts.get("rows", 0) <= counts.get("refused", 0):
        messages.error(
            request,
            "Apply: the file has no data rows; there is nothing to apply."
            if not counts.get("rows")
            else "Apply: no row is valid, so there are no valid rows to apply. Fix the file "
            "(download the refused rows) and import it again.",
        )
        return redirect("imports:did_import_job", pk=job.pk)
    try:
        services.start(job, mode)
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect("imports:did_import_job", pk=job.pk)
    job.refresh_from_db()
    if job.status == Status.DONE:
        message = services.outcome_text(job, ImportReport.of(job.counts))
        generic.say(request, message, change_set=job.change_set)
    return redirect("imports:did_import_job", pk=job.pk)


@login_required
@require_POST
def did_import_cancel(request, pk):
    """Forget an import that has not been applied, with its file. One whose worker stopped
    (failed as stale first) or that no worker has started yet can be cancelled too."""
    job = _job(request, pk)
    refused = services.cancel(job)
    if refused:
        messages.error(request, refused)
        return redirect("imports:did_import_job", pk=job.pk)
    messages.info(request, f"Cancelled the import of {job.original_name}; nothing changed.")
    return redirect("imports:did_import")


@login_required
@require_POST
def did_import_names(request, pk):
    """Step 2's names: for each name of the file that matches nothing, pick an existing
    one, create it, or leave its rows refused; then the dry run again."""
    job = _job(request, pk)
    unknown = services.names_offered(job)
    if job.status != Status.DRY_RUN or not unknown:
        messages.error(request, "Names: this import is not waiting for its names.")
        return redirect("imports:did_import_job", pk=job.pk)
    form = NamesForm(request.POST, unknown=unknown, reseller_id=job.reseller_id)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("imports:did_import_job", pk=job.pk)
    try:
        services.choose_names(job, form.choices())
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
    return redirect("imports:did_import_job", pk=job.pk)


@login_required
def did_import_refused(request, pk):
    """The dry run's refused rows as CSV, each with its reasons in a last column, Reason."""
    job = _job(request, pk)
    path = refused.refused_path(Path(job.file_path))
    if not path.is_file():
        messages.error(request, "Refused rows: there are none to download; run the check again.")
        return redirect("imports:did_import_job", pk=job.pk)
    stem = Path(job.original_name).stem or "import"
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=f"{stem}-refused.csv",
        content_type="text/csv; charset=utf-8",
    )

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.tenancy import is_admin

from . import services
from .models import Job

CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


def _job(request, pk):
    """The user's own job (an admin's: any); another user's, or another reseller's, is a 404.
    A job whose worker stopped is failed first, so the page says so."""
    qs = Job.objects.all()
    if not is_admin(request.user):
        qs = qs.filter(user=request.user)
    job = get_object_or_404(qs, pk=pk)
    if job.status == Job.Status.RUNNING and services.fail_stale(pk=job.pk, model=Job):
        job.refresh_from_db()
    return job


def _file(job) -> Path | None:
    """The job's file, if it is done and the file is still kept (and is where exports go)."""
    if job.status != Job.Status.DONE or not job.file_path:
        return None
    path = Path(job.file_path).resolve()
    if services.export_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def _download_url(job) -> str:
    return reverse("jobs:download", args=[job.pk]) if _file(job) else ""


@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "download_url": _download_url(job),
            "is_export": job.kind in (Job.Kind.EXPORT_XLSX, Job.Kind.EXPORT_CSV),
        },
    )


@login_required
def job_progress(request, pk):
    job = _job(request, pk)
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED)
    return JsonResponse(
        {
            "status": job.status,
            "stage": job.stage,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message if finished else "",
            "ok": job.ok,
            "download_url": _download_url(job),
        }
    )


@login_required
def job_download(request, pk):
    """An export job's file, to its own user only."""
    job = _job(request, pk)
    path = _file(job)
    if path is None:
        messages.error(
            request,
            "Download: there is no file to download; it is removed "
            f"{services.file_ttl_hours():,} hours after the export. Export again.",
        )
        return redirect("jobs:detail", pk=job.pk)
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=job.file_name or path.name,
        content_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
    )


@login_required
@require_POST
def job_cancel(request, pk):
    """Cancel a job that is waiting, or remove a finished one (with its file)."""
    job = _job(request, pk)
    back = job.back_url or reverse("inventory:did_list")
    try:
        message = services.cancel(job)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("jobs:detail", pk=job.pk)
    messages.info(request, message)
    if Job.objects.filter(pk=job.pk).exists():
        return redirect("jobs:detail", pk=job.pk)
    return redirect(back)

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit import selectors as audit_selectors
from core import views as generic

from . import registry, services
from .filtersets import JobFilterSet
from .models import Job
from .selectors import is_platform_admin, jobs_for, own_jobs
from .tables import JobTable

CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


def _job(request, pk):
    """The user's own job (an admin's: any); another user's, or another reseller's, is a 404.
    A job whose worker stopped is failed first, so the page says so."""
    job = get_object_or_404(own_jobs(request.user), pk=pk)
    if job.status == Job.Status.RUNNING and services.fail_stale(pk=job.pk):
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
    return reverse("jobs:job_download", args=[job.pk]) if _file(job) else ""


def _produced(job) -> tuple[str, str]:
    """The link to what ``job`` produced and its name: its file, else what its app
    registered (the DIDs it made or changed); ("", "") when there is nothing (yet)."""
    download = _download_url(job)
    if download:
        return download, f"Download {job.file_name}"
    entry = registry.KINDS.get(job.kind)
    if job.status != Job.Status.DONE or entry is None or entry.produced is None:
        return "", ""
    return entry.produced(job), entry.produced_label


def _change_set_url(job) -> str:
    """The page of the change set a finished job wrote ("" when it wrote none)."""
    named = (job.params or {}).get("change_set")
    if job.status != Job.Status.DONE or not named:
        return ""
    try:
        change_set = uuid.UUID(str(named))
    except ValueError:
        return ""
    if not audit_selectors.change_set_exists(change_set):
        return ""
    return reverse("audit:change_set", args=[change_set])


class JobListView(generic.ObjectListView):
    """The jobs of the user's reseller (an admin's: everyone's), newest first: imports, New
    DIDs, Mass Edit and exports alike. Only a job's own user (or an admin) opens it."""

    queryset = Job.objects.select_related("user")
    filterset = JobFilterSet
    table = JobTable
    template_name = "jobs/job_list.html"
    title = "Jobs"

    def get_queryset(self, request):
        return jobs_for(request.user).select_related("user")

    def decorate(self, request, rows):
        user = request.user
        for job in rows:
            opens = is_platform_admin(user) or job.user_id == user.pk
            job.label = registry.label_for(job.kind, job.get_kind_display())
            job.url = reverse("jobs:job_detail", args=[job.pk]) if opens else ""
            job.produced_url, job.produced_label = _produced(job) if opens else ("", "")


@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "download_url": _download_url(job),
            "change_set_url": _change_set_url(job),
            "is_export": job.kind in (Job.Kind.EXPORT_XLSX, Job.Kind.EXPORT_CSV),
            "unit": registry.KINDS[job.kind].unit if job.kind in registry.KINDS else "DIDs",
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
            "change_set_url": _change_set_url(job),
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
        return redirect("jobs:job_detail", pk=job.pk)
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
        return redirect("jobs:job_detail", pk=job.pk)
    messages.info(request, message)
    if Job.objects.filter(pk=job.pk).exists():
        return redirect("jobs:job_detail", pk=job.pk)
    return redirect(back)

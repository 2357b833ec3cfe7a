from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import registry, services
from .filtersets import JobFilterSet
from .models import Job
from .selectors import is_platform_admin, jobs_for, own_jobs

# TODO(part D): serve this list through core's shared generic list view and pager.
PER_PAGE = 20

CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


def _job(request, pk):
    """The user's own job (an admin's: any); another user's, or another reseller's, is a 404.
    A job whose worker stopped is failed first, so the page says so."""
    job = get_object_or_404(own_jobs(request.user), pk=pk)
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


def _row(job, user) -> registry.Row:
    """A ``Job`` as a line of the Jobs page; only its own user (or an admin) opens it."""
    opens = is_platform_admin(user) or job.user_id == user.pk
    produced_url, produced_label = _produced(job) if opens else ("", "")
    return registry.Row(
        pk=job.pk,
        label=registry.label_for(job.kind, job.get_kind_display()),
        username=job.user.username if job.user else "",
        created_at=job.created_at,
        status=job.status,
        status_label=job.get_status_display(),
        percent=job.percent,
        message=job.message or job.stage,
        ok=job.ok,
        url=reverse("jobs:job_detail", args=[job.pk]) if opens else "",
        produced_url=produced_url,
        produced_label=produced_label,
    )


class Newest:
    """The rows of several tables of jobs, newest first, for a ``Paginator``: each source is
    a (newest-first queryset, to_row) pair; a page reads at most its last row's count from
    each."""

    def __init__(self, sources):
        self.sources = sources

    def count(self) -> int:
        return sum(qs.count() for qs, _to_row in self.sources)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[registry.Row]:
        rows = [to_row(obj) for qs, to_row in self.sources for obj in qs[: key.stop]]
        rows.sort(key=lambda row: (row.created_at, row.pk), reverse=True)
        return rows[key]


@login_required
def job_list(request):
    """The jobs of the user's reseller (an admin's: everyone's), newest first: ``Job`` rows
    and those other apps list through ``registry.register_listing`` (imports)."""
    user = request.user
    search = JobFilterSet(request.GET, queryset=jobs_for(user).select_related("user"))
    sources = []
    if search.is_valid():
        status = search.form.cleaned_data.get("status") or ""
        kind = search.form.cleaned_data.get("kind") or ""
        if kind not in registry.LISTINGS:
            jobs = search.qs.order_by("-created_at", "-id")
            sources.append((jobs, lambda job: _row(job, user)))
        for listing in registry.LISTINGS.values():
            if not kind or kind == listing.kind:
                sources.append((listing.rows(user, status), listing.row))
    page = Paginator(Newest(sources), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/job_list.html",
        {"search": search, "page": page, "rows": page.object_list, "searching": bool(search.data)},
    )


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

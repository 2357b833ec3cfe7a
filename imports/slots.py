"""The import jobs' share of the background-job system (``jobs.registry``): a user's running
imports count against the per-user limit, a Running import whose worker stopped beating is
failed by ``jobs.services.fail_stale``, and the Jobs page lists the imports with the other
jobs. Registered from ``ImportsConfig.ready``."""

from django.urls import reverse

from jobs import registry

from .choices import Status
from .models import ImportJob
from .selectors import jobs_for

KIND = "import"
LABEL = "Import DIDs"
# A ``Job`` status (the Jobs page's filter) and the import statuses it stands for.
STATUSES = {
    "running": [Status.RUNNING],
    "done": [Status.DONE],
    "failed": [Status.FAILED],
}


def running_imports(user) -> int:
    """The user's imports that are running now (a slot each, as a running ``Job``)."""
    return ImportJob.objects.filter(user=user, status=Status.RUNNING).count()


def listed(user, status: str = ""):
    """The imports the Jobs page lists to ``user`` (their reseller's), newest first."""
    qs = jobs_for(user).order_by("-created_at", "-id")
    return qs.filter(status__in=STATUSES.get(status, [])) if status else qs


def row(job: ImportJob) -> registry.Row:
    url = reverse("imports:did_import_job", args=[job.pk])
    return registry.Row(
        pk=job.pk,
        label=LABEL,
        username=job.user.username if job.user else "",
        created_at=job.created_at,
        status=job.status,
        status_label=job.get_status_display(),
        percent=job.percent,
        message=job.message or job.stage or job.original_name,
        url=url,
    )


def register() -> None:
    registry.register_slots(running_imports)
    registry.register_table(ImportJob)
    registry.register_listing(KIND, label=LABEL, rows=listed, row=row)

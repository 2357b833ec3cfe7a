"""The import's share of the background-job system (``jobs.registry``): a large file's dry
run and apply run as ``jobs.Job``s, like New DIDs, Mass Edit and the exports: the same
per-user limit, progress, heartbeat, Jobs page and progress endpoint. Registered from
``ImportsConfig.ready``."""

from django.urls import reverse

from jobs import registry
from jobs.models import Job

from . import services
from .errors import ImportFileError


def the_import(job: Job) -> str:
    """What an import's job produced: its page (the dry run's outcome, or the import's)."""
    return reverse("imports:did_import_job", args=[job.params["import_id"]])


def register() -> None:
    for kind in (Job.Kind.IMPORT_CHECK, Job.Kind.IMPORT_APPLY):
        registry.register(
            kind,
            services.run_in_worker,
            label=kind.label,
            user_errors=(ImportFileError,),
            produced=the_import,
            produced_label="The import",
            on_end=services.job_ended,
            unit="",  # the stages' work: a percentage
        )

"""Fixtures and helpers of the background-job tests (exports, imports, the per-user limit,
stuck jobs)."""

import datetime as dt

import psycopg
import pytest
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from imports.models import ImportJob

EXPORT = "/dids/export/"
IMPORT = "/dids/import/"
LIMIT_MESSAGE = "You already have 2 jobs running; wait for one to finish."


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.JOBS_PER_USER = 2
    settings.JOB_STALE_AFTER = 600
    return tmp_path


@pytest.fixture
def eager():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def error_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == ERROR]


def all_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def upload(client, world, name, content):
    return client.post(
        IMPORT,
        {
            "file": SimpleUploadedFile(name, content),
            "operator": str(world.operator.pk),
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.context and response.context["form"].errors
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))


class OtherSession:
    """A database session of its own, standing in for a killed worker's session whose query
    is still running (and holding its locks)."""

    def __init__(self):
        params = connection.get_connection_params()
        self.conn = psycopg.connect(autocommit=True, **params)
        self.pid = self.conn.info.backend_pid
        with connection.cursor() as cur:
            cur.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = %s", [self.pid])
            self.started = cur.fetchone()[0]

    def alive(self) -> bool:
        try:
            self.conn.execute("SELECT 1")
        except psycopg.OperationalError:
            return False  # the server ended the session
        return True

    def close(self):
        self.conn.close()


@pytest.fixture
def other_session():
    session = OtherSession()
    yield session
    session.close()


def long_ago():
    return timezone.now() - dt.timedelta(minutes=11)


def running_import(world, path, *, mode="all", status="running", **job_fields):
    """An import running (or waiting) as a background job: the ``ImportJob`` and its ``Job``."""
    from jobs.models import Job

    kind = Job.Kind.IMPORT_CHECK if mode == "check" else Job.Kind.IMPORT_APPLY
    job = Job.objects.create(
        kind=kind, user=world.user, reseller=world.reseller, status=status, total=1, **job_fields
    )
    imported = ImportJob.objects.create(
        user=world.user,
        reseller=world.reseller,
        file_path=str(path),
        original_name=path.name,
        kind="csv",
        mapping=["did"],
        status=ImportJob.Status.RUNNING,
        mode=mode,
        job=job,
    )
    job.params = {"import_id": imported.pk, "mode": mode}
    job.save(update_fields=["params"])
    return imported, job

"""Large New DIDs and Mass Edit run as background jobs with progress (Celery, eager here)."""

import pytest
from django.urls import reverse

from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from jobs import services as jobs
from jobs.models import Job


@pytest.fixture
def background(settings):
    settings.BACKGROUND_THRESHOLD = 10
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def a(client, world):
    client.login(username=world.user.username, password="pw-A")
    return world


def test_new_dids_over_the_threshold_run_as_a_job_with_progress(
    client, a, background, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("inventory:did_add"),
            {
                "numbers": "1000-1249",
                "operator": a.operator.pk,
                "status": "in_stock",
                "after_hold": "in_stock",
            },
        )
    job = Job.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("jobs:job_detail", args=[job.pk])
    assert job.status == Job.Status.DONE and job.ok
    assert job.message == "Created 250 DIDs."
    assert DID.objects.count() == 250
    data = client.get(reverse("jobs:job_progress", args=[job.pk])).json()
    assert data == {
        "status": "done",
        "stage": "Done",
        "done": 250,
        "total": 250,
        "percent": 100,
        "message": "Created 250 DIDs.",
        "ok": True,
        "download_url": "",  # only an export's job has a file
        # Its writes are one change set, named when the job started: its page links it.
        "change_set_url": f"/audit/change-sets/{job.params['change_set']}/",
    }
    page = client.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "Created 250 DIDs." in page and 'id="job-bar"' in page
    assert f'href="{data["change_set_url"]}"' in page
    cs = client.get(data["change_set_url"])
    assert cs.context["cs"].counts == {"did.create": 250}


def test_chunked_creation_reports_progress_after_each_chunk(world):
    seen = []
    result = create_dids(
        parse("5000-5999"),
        operator=world.operator,
        actor=world.actor,
        progress=lambda done=None, stage=None, force=False: seen.append(done),
        chunk=300,
    )
    assert result.created == 1000
    assert seen == [300, 600, 900, 1000]


def test_existing_numbers_are_asked_about_before_the_job_starts(client, a, background):
    create_dids(parse("1000-1004"), operator=a.operator, actor=a.actor)
    resp = client.post(
        reverse("inventory:did_add"),
        {
            "numbers": "1000-1099",
            "operator": a.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    assert "5 of these 100 numbers are not available" in resp.content.decode()
    assert not Job.objects.exists()


def test_mass_edit_over_the_threshold_runs_as_a_job(
    client, a, background, django_capture_on_commit_callbacks
):
    create_dids(parse("1000-1049"), operator=a.operator, actor=a.actor)
    active = a.did(Status.ACTIVE)
    data = {
        "all_matching": "1",
        "q": "",
        "set_status": "archive",
        "tag": "t",
        "action": "update",
        "confirm": "1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("inventory:did_bulk_edit"), data)
    job = Job.objects.get()
    assert resp["Location"] == reverse("jobs:job_detail", args=[job.pk])
    assert job.status == "done", job.message
    assert "50 DIDs set to Archive" in job.message and "1 Active DID cannot become" in job.message
    assert DID.objects.filter(status="archive").count() == 50
    active.refresh_from_db()
    assert active.status == "active" and active.tag == "t"


def test_a_failing_job_changes_nothing_and_says_why(world, background):
    create_dids(parse("100-104"), operator=world.operator, actor=world.actor)
    job = Job.objects.create(
        kind=Job.Kind.CREATE_DIDS,
        user=world.user,
        total=20,
        params={
            "numbers": "100-119",
            "operator_id": world.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not job.ok
    assert job.message.startswith("Nothing was changed. 5 of these 20 numbers are not available")
    assert DID.objects.count() == 5


def test_another_users_job_is_404(client, world, other_world):
    job = Job.objects.create(kind=Job.Kind.CREATE_DIDS, user=world.user, total=1)
    client.login(username=other_world.user.username, password="pw-B")
    assert client.get(reverse("jobs:job_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:job_progress", args=[job.pk])).status_code == 404

"""Issue 7, item 1: reseller A reads nothing of reseller B's numbers.

Numbers are unique across the platform, so a number B holds is refused to A too. But every
message that counts or names numbers (New DIDs inline, its skip result, its background job,
the import's dry run, refused rows and apply) says "not available" in the same words as for
A's own numbers, names nothing A did not type, and shows nothing of B's: no number of B's,
not B's name, no "another reseller".
"""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from imports.models import ImportJob
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from jobs import services as jobs
from jobs.models import Job
from tests.import_support import apply, choose_columns, job_from, refusals, upload

NEW = reverse("inventory:did_add")
TYPED = "5550000100-5550000199"  # what A types: 100 numbers
B_HOLDS = "5550000120-5550000129"  # 10 of them are B's
A_HOLDS = "5550000140-5550000149"  # 10 are A's own
B_NUMBERS = [f"55500001{n}" for n in range(20, 30)]
# Anything that would tell A whose the numbers are.
B_WORDS = ("Bravo Telecom", "Op B", "Client B", "Pack B", "acc_B", "user-B", "another reseller")


@pytest.fixture
def b(other_world):
    """Reseller B, with a name that cannot turn up by accident, holding ``B_HOLDS``."""
    other_world.reseller.name = "Bravo Telecom"
    other_world.reseller.save()
    create_dids(parse(B_HOLDS), operator=other_world.operator, actor=other_world.actor)
    return other_world


@pytest.fixture
def a(as_a, world, b):
    """Reseller A (logged in), holding ``A_HOLDS``; B exists."""
    create_dids(parse(A_HOLDS), operator=world.operator, actor=world.actor)
    return world


def assert_nothing_of_b(text: str):
    for number in B_NUMBERS:
        assert number not in text, f"B's number {number} is shown to A"
    for word in B_WORDS:
        assert word not in text, f"{word!r} is shown to A"


def b_untouched(b):
    mine = DID.objects.filter(number__in=B_NUMBERS)
    return (
        mine.count() == 10
        and set(mine.values_list("reseller_id", flat=True)) == {b.reseller.pk}
        and set(mine.values_list("status", flat=True)) == {Status.IN_STOCK}
    )


def new_dids(client, world, numbers, **extra):
    data = {
        "numbers": numbers,
        "operator": world.operator.pk,
        "status": "in_stock",
        "after_hold": "in_stock",
        **extra,
    }
    return client.post(NEW, data, follow=bool(extra.get("existing")))


def messages_of(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


# --------------------------------------------------------------------------- New DIDs inline


def test_new_dids_refusal_counts_b_numbers_without_naming_them(as_a, a, b):
    before = DID.objects.count()
    resp = new_dids(as_a, a, TYPED)
    html = resp.content.decode()

    assert resp.status_code == 200
    assert str(resp.context["existing"]) == (
        "20 of these 100 numbers are not available. Skip them, or cancel and change the list."
    )
    assert_nothing_of_b(html)
    assert DID.objects.count() == before  # nothing created
    assert b_untouched(b)


def test_new_dids_refusal_reads_the_same_for_b_numbers_and_for_a_own(as_a, a, b):
    # 10 of B's numbers and 10 free ones; then 10 of A's own and 10 free ones.
    theirs = new_dids(as_a, a, "5550000115-5550000134")
    own = new_dids(as_a, a, "5550000135-5550000154")
    assert str(theirs.context["existing"]) == str(own.context["existing"])
    assert "10 of these 20 numbers are not available" in str(own.context["existing"])
    assert_nothing_of_b(theirs.content.decode())


def test_new_dids_refusal_links_to_a_own_search_for_what_was_typed(as_a, a, b):
    resp = new_dids(as_a, a, f"{TYPED}, 5550000120")
    query = urlencode({"did": TYPED, "did_match": "range"})
    url = reverse("inventory:did_list") + "?" + query
    assert resp.context["search_links"][0] == (TYPED, url)
    assert resp.context["search_links"][1][0] == "5550000120"  # a typed number: exact search
    assert f'href="{url.replace("&", "&amp;")}"' in resp.content.decode()

    # The link shows A which of the typed numbers are A's own, and nothing of B's.
    page = as_a.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert all(f"55500001{n}" in html for n in range(40, 50))
    assert_nothing_of_b(html)
    # A typed 5550000120 itself (so the page may echo it), but the search finds nothing.
    exact = as_a.get(resp.context["search_links"][1][1])
    assert exact.context["page"].rows == []
    assert "Bravo Telecom" not in exact.content.decode()


# --------------------------------------------------------------------------- New DIDs skip


def test_new_dids_skip_result_does_not_tell_b_numbers_from_a_own(as_a, a, b):
    resp = new_dids(as_a, a, TYPED, existing="skip")
    assert messages_of(resp) == ["Created 80 DIDs. 20 not available, skipped."]
    assert_nothing_of_b(resp.content.decode())
    assert b_untouched(b)
    assert DID.objects.filter(reseller=a.reseller).count() == 90

    # The same words whether the skipped numbers are B's or A's own.
    theirs = new_dids(as_a, a, "5550000120-5550000129, 5550000300-5550000301", existing="skip")
    own = new_dids(as_a, a, "5550000140-5550000149, 5550000310-5550000311", existing="skip")
    assert messages_of(theirs) == messages_of(own) == ["Created 2 DIDs. 10 not available, skipped."]


# --------------------------------------------------------------------------- background job


@pytest.fixture
def background(settings):
    settings.BACKGROUND_THRESHOLD = 10
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_background_new_dids_refusal_and_skip_say_nothing_of_b(
    as_a, a, b, background, django_capture_on_commit_callbacks
):
    # Over the threshold, the refusal comes before any job starts: counts only.
    resp = new_dids(as_a, a, TYPED)
    assert "20 of these 100 numbers are not available" in str(resp.context["existing"])
    assert_nothing_of_b(resp.content.decode())
    assert not Job.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        resp = new_dids(as_a, a, TYPED, existing="skip")
    job = Job.objects.get()
    assert job.status == Job.Status.DONE, job.message
    assert job.message == "Created 80 DIDs. 20 not available, skipped."
    for name in ("jobs:job_detail", "jobs:job_progress"):
        url = reverse(name, args=[job.pk])
        assert_nothing_of_b(as_a.get(url).content.decode())
    assert b_untouched(b)


def test_background_job_that_meets_b_numbers_fails_with_counts_only(as_a, a, b, background):
    # The numbers were free when asked, then taken (here: already B's and A's) by run time.
    job = Job.objects.create(
        kind=Job.Kind.CREATE_DIDS,
        user=a.user,
        reseller=a.reseller,
        total=100,
        params={
            "numbers": TYPED,
            "operator_id": a.operator.pk,
            "status": "in_stock",
            "after_hold": "in_stock",
        },
    )
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not job.ok
    assert job.message == (
        "Nothing was changed. 20 of these 100 numbers are not available. "
        "Skip them, or cancel and change the list."
    )
    assert_nothing_of_b(as_a.get(reverse("jobs:job_detail", args=[job.pk])).content.decode())
    assert b_untouched(b)


# --------------------------------------------------------------------------- import


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


FILE = (
    "DID,Status,Tag\n"
    "5550000120,reserved,x\n"  # 2: B's
    "5550000125,archive,\n"  # 3: B's
    "5550000140,archive,mine\n"  # 4: A's own: an update
    "5550000300,reserved,\n"  # 5: new: a create
)


def _dry_run(client, world):
    client.default_operator = str(world.operator.pk)
    job = job_from(upload(client, "mixed.csv", FILE))
    assert choose_columns(client, job).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRY_RUN, job.message
    return job


def _pages(client, job) -> str:
    return (
        client.get(f"/dids/import/{job.pk}/").content.decode()
        + client.get(f"/dids/import/{job.pk}/progress/").content.decode()
    )


def test_import_dry_run_refuses_b_numbers_as_not_available(as_a, a, b):
    job = _dry_run(as_a, a)
    assert refusals(job) == ["Row 2, DID: not available", "Row 3, DID: not available"]
    assert (job.counts["updated"], job.counts["created"], job.counts["refused"]) == (1, 1, 2)
    assert_nothing_of_b(_pages(as_a, job))
    assert_nothing_of_b(str(job.errors) + job.message)
    assert b_untouched(b)


def test_import_apply_all_is_refused_without_naming_b(as_a, a, b):
    job = apply(as_a, _dry_run(as_a, a), "all")
    assert job.status == ImportJob.Status.DRY_RUN
    assert job.message.startswith("Nothing was imported: 2 rows are refused.")
    assert_nothing_of_b(_pages(as_a, job) + job.message)
    assert b_untouched(b)


def test_import_apply_valid_rows_skips_b_numbers_without_naming_them(as_a, a, b):
    job = _dry_run(as_a, a)
    resp = as_a.post(f"/dids/import/{job.pk}/apply/", {"mode": "valid"}, follow=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert "skipped 2 refused rows" in " ".join(messages_of(resp))
    assert_nothing_of_b(resp.content.decode() + _pages(as_a, job))
    assert DID.objects.get(number="5550000140").tag == "mine"
    assert DID.objects.get(number="5550000300").reseller == a.reseller
    assert b_untouched(b)


def test_an_admin_import_still_says_which_reseller_a_row_belongs_to(as_admin, world, b):
    """A platform admin may see everything: the import refuses moving a DID between
    resellers with that reason (the tenancy rule above is for reseller users)."""
    as_admin.default_operator = str(world.operator.pk)
    content = "DID,Status,Reseller\n5550000120,reserved,A\n"
    job = job_from(upload(as_admin, "admin.csv", content))
    choose_columns(as_admin, job)
    job.refresh_from_db()
    assert refusals(job) == [
        "Row 2, Reseller: DID 5550000120 belongs to another reseller; "
        "import does not move DIDs between resellers"
    ]

"""Issue 7, item 12: messages.

- A Mass Edit that applies fewer DIDs than its confirmation promised (rows changed in
  between) says how many were applied, how many were not, and why; inline and in the
  background alike. The promised count travels with the confirming POST.
- Counts read "1 DID", "2 DIDs", "1,234 DIDs".
- A refusal is never a green success message.
"""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from audit.services import Actor
from config import text
from core.templatetags import counts
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids, unavailable_message
from jobs.models import Job

MASS = reverse("inventory:did_bulk_edit")
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def make(world, spec):
    create_dids(parse(spec), operator=world.operator, actor=world.actor)
    return list(DID.objects.filter(reseller=world.reseller).order_by("number"))


def msgs(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def confirmation(client, data) -> dict:
    """Ask for the confirmation page; return the POST its Update / Delete button sends."""
    resp = client.post(MASS, data)
    assert resp.status_code == 200
    form = {}
    for name, value in HIDDEN.findall(resp.content.decode()):
        form.setdefault(name, []).append(value)
    return form


def another_user_assigns(world, dids):
    """Someone else of the same reseller moves ``dids`` on meanwhile (In Stock -> Active)."""
    other = User.objects.create_user("colleague", password="x", reseller=world.reseller)
    lifecycle.assign(
        [d.pk for d in dids],
        account=world.account,
        subscription=world.subscription,
        actor=Actor.for_user(other),
    )


# --------------------------------------------------------------------------- promised vs applied


def test_mass_edit_that_applies_fewer_than_promised_says_how_many_and_why(as_a, world):
    dids = make(world, "7100-7109")
    confirm = confirmation(
        as_a, {"ids": [d.pk for d in dids], "set_status": "archive", "action": "update"}
    )
    assert confirm["promised"] == ["10"] and confirm["confirm"] == ["1"]

    another_user_assigns(world, dids[:2])
    resp = as_a.post(MASS, confirm, follow=True)

    assert msgs(resp) == [
        (
            "warning",
            "Mass Edit: Set Status to Archive: 8 of 10 DIDs changed; 2 were not changed "
            "because they changed after the confirmation and are no longer in a status that "
            "can move to Archive. Refused: 2 Active DIDs cannot become Archive: they are "
            "assigned (release them first) (e.g. 7100, 7101).",
        )
    ]
    assert DID.objects.filter(status=Status.ARCHIVE).count() == 8


def test_mass_edit_that_applies_what_it_promised_is_a_plain_success(as_a, world):
    dids = make(world, "7100-7109")
    confirm = confirmation(
        as_a, {"ids": [d.pk for d in dids], "set_status": "archive", "action": "update"}
    )
    resp = as_a.post(MASS, confirm, follow=True)
    assert msgs(resp) == [("success", "Mass Edit: 10 DIDs set to Archive.")]


def test_mass_delete_that_deletes_fewer_than_promised_says_how_many_and_why(as_a, world):
    dids = make(world, "7200-7204")
    confirm = confirmation(as_a, {"ids": [d.pk for d in dids], "action": "delete"})
    assert confirm["promised"] == ["5"]

    another_user_assigns(world, dids[:1])
    resp = as_a.post(MASS, confirm, follow=True)

    assert msgs(resp) == [
        (
            "warning",
            "Delete: 4 of 5 DIDs deleted; 1 was not deleted because it changed after the "
            "confirmation: it is assigned now, or no longer there. Refused: 1 Active DID "
            "cannot be deleted: it is assigned (7200).",
        )
    ]
    assert list(DID.objects.values_list("number", flat=True)) == ["7200"]


@pytest.fixture
def background(settings):
    settings.BACKGROUND_THRESHOLD = 5
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_background_mass_edit_that_applies_fewer_than_promised_says_so(
    as_a, world, background, django_capture_on_commit_callbacks
):
    dids = make(world, "7300-7309")
    confirm = confirmation(
        as_a, {"ids": [d.pk for d in dids], "set_status": "reserved", "action": "update"}
    )
    assert confirm["promised"] == ["10"]
    another_user_assigns(world, dids[-3:])

    with django_capture_on_commit_callbacks(execute=True):
        as_a.post(MASS, confirm)

    job = Job.objects.get()
    assert job.params["promised"] == 10
    assert job.status == Job.Status.DONE and not job.ok
    assert job.message.startswith(
        "Mass Edit: Set Status to Reserved: 7 of 10 DIDs changed; 3 were not changed because "
        "they changed after the confirmation and are no longer in a status that can move to "
        "Reserved. Refused: 3 Active DIDs cannot become Reserved"
    )
    page = as_a.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "msg-warning" in page and "msg-success" not in page
    assert DID.objects.filter(status=Status.RESERVED).count() == 7


# --------------------------------------------------------------------------- plurals


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 DIDs"), (1, "1 DID"), (2, "2 DIDs"), (1234, "1,234 DIDs"), (10**6, "1,000,000 DIDs")],
)
def test_counts_have_plurals_and_thousands_separators(n, expected):
    assert text.count(n, "DID") == expected
    assert counts.count(n, "DID") == expected  # the template filter says the same


def test_is_are_and_explicit_plural_forms():
    assert [counts.plural(n, "is,are") for n in (1, 2)] == ["is", "are"]
    assert text.count(1, "entry", "entries") == "1 entry"
    assert text.count(3, "entry", "entries") == "3 entries"


def test_new_dids_messages_count_one_and_many(as_a, world):
    data = {"operator": world.operator.pk, "status": "in_stock", "after_hold": "in_stock"}
    resp = as_a.post(reverse("inventory:did_add"), {**data, "numbers": "5000"}, follow=True)
    assert msgs(resp) == [("success", "Created 1 DID.")]
    resp = as_a.post(reverse("inventory:did_add"), {**data, "numbers": "10000-11233"}, follow=True)
    assert msgs(resp) == [("success", "Created 1,234 DIDs.")]
    resp = as_a.post(
        reverse("inventory:did_add"), {**data, "numbers": "5000-5001", "existing": "skip"}
    )
    resp = as_a.get(resp["Location"])
    assert msgs(resp) == [("success", "Created 1 DID. 1 not available, skipped.")]


def test_not_available_message_counts_one_and_many():
    assert unavailable_message(1, 1) == "This number is not available. Cancel and change it."
    assert unavailable_message(1, 2) == (
        "1 of these 2 numbers is not available. Skip it, or cancel and change the list."
    )
    assert unavailable_message(1200, 1500) == (
        "1,200 of these 1,500 numbers are not available. Skip them, or cancel and change the list."
    )


def test_mass_edit_confirmation_and_result_count_one_and_thousands(as_a, world):
    dids = make(world, "7400")
    resp = as_a.post(
        MASS, {"ids": [dids[0].pk], "set_status": "archive", "action": "update"}
    ).content.decode()
    assert "<strong>1</strong> DID is selected." in resp
    assert "1 DID will become Archive." in resp
    confirm = confirmation(as_a, {"ids": [dids[0].pk], "set_status": "archive", "action": "update"})
    assert msgs(as_a.post(MASS, confirm, follow=True)) == [
        ("success", "Mass Edit: 1 DID set to Archive.")
    ]

    make(world, "10000-11233")
    page = as_a.post(
        MASS, {"all_matching": "1", "q": "did=1&did_match=prefix", "set_status": "reserved"}
    ).content.decode()
    assert "<strong>1,234</strong> DIDs are selected." in page
    assert "1,234 DIDs will become Reserved." in page


def test_a_refusal_for_one_did_reads_in_the_singular(world):
    active = world.did(Status.ACTIVE)
    preview = lifecycle.preview_change_status([active.pk], Status.ARCHIVE)
    assert [r.phrase for r in preview.refusals] == [
        "1 Active DID cannot become Archive: it is assigned (release it first)"
    ]


def test_operator_delete_counts_one_did(as_a, world):
    world.did()
    resp = as_a.post(reverse("operators:operator_delete", args=[world.operator.pk]), follow=True)
    assert "owns 1 DID and cannot be deleted" in resp.content.decode()


# --------------------------------------------------------------------------- refusal levels


def test_a_wholly_refused_mass_edit_is_an_error_not_a_success(as_a, world):
    active = world.did(Status.ACTIVE)
    confirm = confirmation(as_a, {"ids": [active.pk], "set_status": "archive", "action": "update"})
    levels = [level for level, _ in msgs(as_a.post(MASS, confirm, follow=True))]
    assert levels == ["error"]


def test_a_partly_refused_mass_edit_is_a_warning_not_a_success(as_a, world):
    free, active = world.did(), world.did(Status.ACTIVE)
    confirm = confirmation(
        as_a, {"ids": [free.pk, active.pk], "set_status": "archive", "action": "update"}
    )
    assert msgs(as_a.post(MASS, confirm, follow=True)) == [
        (
            "warning",
            f"Mass Edit: 1 DID set to Archive, refused 1 Active DID cannot become Archive: it is "
            f"assigned (release it first) ({active.number}).",
        )
    ]


def test_a_partly_refused_mass_delete_is_a_warning_not_a_success(as_a, world):
    free, held = world.did(), world.did(Status.ON_HOLD)
    confirm = confirmation(as_a, {"ids": [free.pk, held.pk], "action": "delete"})
    levels = [level for level, _ in msgs(as_a.post(MASS, confirm, follow=True))]
    assert levels == ["warning"]


def test_new_dids_refusal_is_not_a_success(as_a, world):
    world.did(number="5000")
    data = {"operator": world.operator.pk, "status": "in_stock", "after_hold": "in_stock"}
    resp = as_a.post(reverse("inventory:did_add"), {**data, "numbers": "5000-5009"})
    html = resp.content.decode()
    assert 'class="msg msg-error" role="alert" id="existing-warning"' in html
    assert "msg-success" not in html and not msgs(resp)


def test_a_refused_assign_is_an_error_not_a_success(as_a, world):
    world.package.did_allowance = 0
    world.package.save()
    d = world.did()
    resp = as_a.post(
        reverse("inventory:did_assign", args=[d.pk]), {"account": world.account.pk}, follow=True
    )
    assert [level for level, _ in msgs(resp)] == ["error"]

"""Issue 7, item 8: a DID page opened before someone else's change and saved afterwards must
not undo that change.

The page carries the version it showed (the row's ``updated_at``); a save is refused when the
row has moved on, and a save of a fresh page writes only the fields the user changed.
"""

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.services import STALE_DID_MESSAGE, StaleDID, edit_did, update_dids

pytestmark = pytest.mark.django_db


def _page(client, did) -> dict:
    """Open the DID page and return what its form would post back unchanged."""
    resp = client.get(reverse("inventory:did_detail", args=[did.pk]))
    assert resp.status_code == 200
    form = resp.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    assert data["updated_at"], "the page carries the version it shows"
    assert f'name="updated_at" value="{data["updated_at"]}"' in resp.content.decode()
    return data


def _state(did):
    did.refresh_from_db()
    return (did.status, did.tag, did.after_hold_status, did.notes, did.hold_days, did.updated_at)


def _mass_edit(client, did):
    """A Mass Edit through its page: archive, new tag, new after-hold."""
    resp = client.post(
        reverse("inventory:did_bulk_edit"),
        {
            "ids": [did.pk],
            "set_status": "archive",
            "tag": "from-mass-edit",
            "after_hold": "reserved",
            "action": "update",
            "confirm": "1",
        },
    )
    assert resp.status_code == 302
    did.refresh_from_db()
    assert (did.status, did.tag, did.after_hold_status) == ("archive", "from-mass-edit", "reserved")


def test_stale_page_saved_after_a_mass_edit_is_refused_and_changes_nothing(as_a, world):
    did = world.did(tag="old-tag", notes="old notes")
    stale = _page(as_a, did)
    assert (stale["status"], stale["tag"], stale["after_hold_status"]) == (
        "in_stock",
        "old-tag",
        "in_stock",
    )

    _mass_edit(as_a, did)
    after_mass_edit = _state(did)
    audit_before = AuditRecord.objects.count()

    stale["notes"] = "my note"
    resp = as_a.post(reverse("inventory:did_detail", args=[did.pk]), stale)

    assert resp.status_code == 409
    assert STALE_DID_MESSAGE in resp.content.decode()
    assert STALE_DID_MESSAGE == (
        "This DID changed since you opened it; reload the page to see the change."
    )
    assert _state(did) == after_mass_edit  # status, tag, after-hold, notes: all as they were
    assert AuditRecord.objects.count() == audit_before


def test_stale_page_is_refused_after_a_lifecycle_move(as_a, world):
    did = world.did(Status.ACTIVE)
    stale = _page(as_a, did)
    lifecycle.block(did, actor=world.actor)  # e.g. from the client's page
    blocked = _state(did)

    stale["notes"] = "note"
    resp = as_a.post(reverse("inventory:did_detail", args=[did.pk]), stale)

    assert resp.status_code == 409 and STALE_DID_MESSAGE in resp.content.decode()
    assert _state(did) == blocked and did.status == Status.BLOCKED


def test_fresh_page_with_only_notes_changed_writes_only_notes(as_a, world):
    did = world.did(tag="old-tag")
    _mass_edit(as_a, did)  # before the page is opened: the page shows its result
    fresh = _page(as_a, did)
    assert (fresh["status"], fresh["tag"]) == ("archive", "from-mass-edit")
    before = _state(did)
    audit_before = set(AuditRecord.objects.values_list("pk", flat=True))

    fresh["notes"] = "only this"
    resp = as_a.post(reverse("inventory:did_detail", args=[did.pk]), fresh)

    assert resp.status_code == 302
    status, tag, after_hold, notes, hold_days, updated_at = _state(did)
    assert (status, tag, after_hold, hold_days) == before[:3] + (before[4],)
    assert notes == "only this" and updated_at != before[5]
    new = AuditRecord.objects.exclude(pk__in=audit_before)
    assert new.count() == 1
    record = new.get()
    assert record.action == "edit"
    assert record.before == {"notes": ""} and record.after == {"notes": "only this"}


def test_form_without_the_version_is_refused(as_a, world):
    did = world.did()
    data = _page(as_a, did)
    del data["updated_at"]
    data["notes"] = "x"
    before = _state(did)
    resp = as_a.post(reverse("inventory:did_detail", args=[did.pk]), data)
    assert resp.status_code == 200 and "reload" in resp.content.decode()
    assert _state(did) == before


@pytest.mark.parametrize(
    "write",
    [
        lambda w, d: update_dids([d.pk], {"tag": "x"}, actor=w.actor),
        lambda w, d: lifecycle.set_status(d, Status.RESERVED, actor=w.actor),
        lambda w, d: lifecycle.assign(d, account=w.account, actor=w.actor),
        lambda w, d: edit_did(
            d, seen_updated_at=d.updated_at, changes={"notes": "n"}, actor=w.actor
        ),
    ],
    ids=["update_dids", "set_status", "assign", "edit_did"],
)
def test_every_write_moves_the_version_on(world, write):
    """The service refuses a save whose version is not the row's: every path that writes a
    DID must change ``updated_at``, or a stale page would slip through."""
    did = world.did()
    seen = did.updated_at
    write(world, did)
    did.refresh_from_db()
    assert did.updated_at != seen
    before = _state(did)
    with pytest.raises(StaleDID, match="changed since you opened it"):
        edit_did(did, seen_updated_at=seen, changes={"notes": "late"}, actor=world.actor)
    assert _state(did) == before
    assert not DID.objects.filter(notes="late").exists()

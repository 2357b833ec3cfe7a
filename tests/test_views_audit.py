"""The Audit Log page: tenancy, filters, pages without a full count."""

from audit.models import AuditRecord
from audit.services import Actor, record


def test_reseller_sees_only_own_records(client, world, other_world):
    mine = world.did()
    theirs = other_world.did()
    client.login(username=world.user.username, password="pw-A")
    html = client.get("/audit/").content.decode()
    assert mine.number in html and theirs.number not in html
    resp = client.get("/audit/", {"object_type": "did", "object_id": theirs.pk})
    assert list(resp.context["page"].rows) == []


def test_filters_by_change_set_and_pages_with_encoded_links(client, world):
    actor = Actor(username="a b&c")
    for i in range(60):
        record(
            actor,
            action="edit",
            object_type="did",
            object_id=i,
            object_repr=str(i),
            reseller_id=world.reseller.pk,
        )
    client.login(username=world.user.username, password="pw-A")
    resp = client.get("/audit/", {"username": "a b&c"})
    page = resp.context["page"]
    following = resp.context["nav"]["next"]
    assert len(page.rows) == 50 and following.startswith("?username=a+b%26c&")
    assert following.replace("&", "&amp;") in resp.content.decode()
    resp = client.get("/audit/" + following)
    assert len(resp.context["page"].rows) == 10
    resp = client.get("/audit/", {"change_set": str(actor.change_set)})
    assert len(resp.context["page"].rows) == 50
    assert AuditRecord.objects.filter(change_set=actor.change_set).count() == 60

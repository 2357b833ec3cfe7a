"""URLs and helpers of the Clients view tests."""

from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids

LIST = "/clients/"
NEW = "/clients/new/"


def detail(c):
    return f"/clients/{c.pk}/"


def dids_tab(c):
    return f"/clients/{c.pk}/dids/"


def assign_url(c):
    return f"/clients/{c.pk}/dids/assign/"


def msgs(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


def make_range(world, text, **fields):
    create_dids(parse(text), operator=world.operator, actor=world.actor, **fields)
    return list(DID.objects.filter(number__in=numbers_of(text)).order_by("number"))


def numbers_of(text):
    first, last = text.split("-")
    return [str(n) for n in range(int(first), int(last) + 1)]


def statuses(dids):
    return [DID.objects.get(pk=d.pk).status for d in dids]

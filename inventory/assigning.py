"""The client's DIDs tab: assigning DIDs to a client's account (resolve the ticked and typed
numbers to In Stock DIDs of the client's reseller, then ``lifecycle.assign`` them), and the
moves of several ticked DIDs of the client at once (block, activate, hold, release now).

Status moves go through ``inventory.lifecycle`` only."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.tenancy import scoped
from audit.services import Actor
from clients.models import Client
from clients.services import ClientError

from . import lifecycle
from .choices import Status
from .models import DID
from .numbers import Spec

# The most numbers one "Assign DIDs" request may name (ticked plus typed).
ASSIGN_MAX = 10_000
# How many refused numbers a message names before "and N more".
NAMED_MAX = 20


def _expand(spec: Spec) -> list[str]:
    """The numbers of ``spec`` in the order typed, each once."""
    seen: dict[str, None] = dict.fromkeys(spec.numbers)
    for r in spec.ranges:
        for value in range(r.first, r.last + 1):
            seen.setdefault(r.format(value))
    return list(seen)


def _named(items: list[str]) -> str:
    shown = ", ".join(items[:NAMED_MAX])
    more = len(items) - NAMED_MAX
    return shown + (f" and {more:,} more" if more > 0 else "")


@dataclass
class Selection:
    """The DIDs one "Assign DIDs" request names, resolved to ids."""

    ids: list[int]
    numbers: list[str]


def resolve_for_assign(client: Client, *, user, ids=(), spec: Spec | None = None) -> Selection:
    """The In Stock DIDs of the client's reseller that ``ids`` and ``spec`` name.

    Ticked ids that the user may not see, or of another reseller, do not exist for this
    request (``DID.DoesNotExist``: a 404). A typed number that is not a DID of this reseller
    is reported as unknown, one that is not In Stock with its status; either refuses all."""
    if spec is not None and spec.total > ASSIGN_MAX:
        raise ClientError(
            f"DID(s): {spec.total:,} numbers typed; assign at most {ASSIGN_MAX:,} at once."
        )
    typed = _expand(spec) if spec is not None else []
    ids = sorted(set(ids))
    if len(ids) + len(typed) > ASSIGN_MAX:
        raise ClientError(f"Assign at most {ASSIGN_MAX:,} DIDs at once.")
    base = scoped(DID.objects.all(), user).filter(reseller_id=client.reseller_id)

    ticked = list(base.filter(pk__in=ids).values_list("pk", "number", "status"))
    if len(ticked) != len(ids):
        raise DID.DoesNotExist("A ticked DID does not exist for this client's reseller.")
    found = {
        number: (pk, status)
        for pk, number, status in base.filter(number__in=typed).values_list(
            "pk", "number", "status"
        )
    }
    unknown = [n for n in typed if n not in found]
    rows = [(pk, number, status) for pk, number, status in ticked]
    rows += [(found[n][0], n, found[n][1]) for n in typed if n in found]
    not_in_stock: dict[str, None] = {}
    for _pk, number, status in rows:
        if not lifecycle.can(status, lifecycle.Trigger.ASSIGN):
            not_in_stock[f"{number} ({Status(status).label})"] = None
    problems = []
    if unknown:
        problems.append(f"not DIDs of {client.reseller.name}: {_named(unknown)}")
    if not_in_stock:
        problems.append(f"not In Stock: {_named(list(not_in_stock))}")
    if problems:
        raise ClientError("Nothing was assigned. These numbers are " + "; ".join(problems) + ".")
    chosen: dict[int, str] = {}
    for pk, number, _status in rows:
        chosen.setdefault(pk, number)
    if not chosen:
        raise ClientError("Tick at least one DID or type the numbers to assign.")
    return Selection(ids=list(chosen), numbers=list(chosen.values()))


def assign_dids(
    client: Client, *, account, subscription, user, actor: Actor, ids=(), spec=None
) -> lifecycle.MoveResult:
    """Assign the named In Stock DIDs to ``account`` under ``subscription``: all or nothing.

    Raises ``ClientError`` (unknown or not In Stock numbers) or ``lifecycle.LifecycleError``
    (allowance, tags, reseller, subscription not active); nothing changes on either."""
    if account.client_id != client.pk or subscription.client_id != client.pk:
        raise ClientError(f"Account and subscription must both be of client {client.name}.")
    selection = resolve_for_assign(client, user=user, ids=ids, spec=spec)
    return lifecycle.assign(selection.ids, account=account, subscription=subscription, actor=actor)


# The moves the DIDs tab offers on ticked DIDs: the lifecycle's own bulk services.
CLIENT_MOVES = {
    "block": lifecycle.block,
    "activate": lifecycle.activate,
    "hold": lifecycle.hold,
    "release": lifecycle.release_now,
}


def move_client_dids(
    client: Client, *, action: str, ids, user, actor: Actor
) -> lifecycle.MoveResult:
    """Block, activate, hold or release now the ticked DIDs of ``client``: one set-based
    lifecycle move, one change set. What the lifecycle refuses (a status that cannot make the
    move, a subscription that is not active or full) and ticked DIDs that left the client
    since the page was drawn are counted as refusals; the rest moves.

    A ticked id the user may not see does not exist for this request (``DID.DoesNotExist``:
    a 404), whoever's it is."""
    if action not in CLIENT_MOVES:
        raise ClientError(f"Action: “{action[:40]}” is not one of Block, Activate, Hold, Release.")
    ids = sorted(set(ids))
    if not ids:
        raise ClientError("Tick at least one DID.")
    if len(ids) > ASSIGN_MAX:
        raise ClientError(f"Tick at most {ASSIGN_MAX:,} DIDs at once.")
    visible = scoped(DID.objects.all(), user).filter(pk__in=ids)
    found = dict(visible.values_list("pk", "client_id"))
    if len(found) != len(ids):
        raise DID.DoesNotExist("A ticked DID does not exist.")
    left = sorted(pk for pk, owner in found.items() if owner != client.pk)
    result = CLIENT_MOVES[action](visible.filter(client=client), actor=actor, strict=False)
    if left:
        examples = list(
            DID.objects.filter(pk__in=left).order_by("id").values_list("number", flat=True)[:3]
        )
        result.refusals.append(
            lifecycle.Refusal(
                reason=f"ticked DIDs left {client.name} since the page was shown",
                count=len(left),
                examples=examples,
            )
        )
    return result

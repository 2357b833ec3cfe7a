"""Clients and their accounts (assigning DIDs to an account: ``inventory.assigning``).

Every service takes an ``Actor`` and writes its audit record in its own transaction."""

from __future__ import annotations

from audit.services import Actor
from core.services import create_named

from .models import Account, Client


class ClientError(Exception):
    """A refused client action. ``str()`` is a message a user can act on; a message that
    starts with a form field's label ("Name: ...") belongs under that field."""


def client_create(*, name: str, reseller, actor: Actor) -> Client:
    return create_named(
        Client,
        ClientError,
        name=name,
        noun="client",
        taken=f"{reseller.name} already has a client named “{{name}}”.",
        actor=actor,
        reseller_id=reseller.pk,
        reseller=reseller,
    )


def account_create(*, client: Client, name: str, actor: Actor) -> Account:
    return create_named(
        Account,
        ClientError,
        name=name,
        noun="account",
        taken=f"client {client.name} already has an account named “{{name}}”.",
        actor=actor,
        reseller_id=client.reseller_id,
        client=client,
    )

"""Clients and their accounts (assigning DIDs to an account: ``inventory.assigning``).

Every service takes an ``Actor`` and writes its audit record in its own transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import Actor, record_created
from config.limits import NAME_MAX, check_length

from .models import Account, Client


class ClientError(Exception):
    """A refused client action. ``str()`` is a message a user can act on; a message that
    starts with a form field's label ("Name: ...") belongs under that field."""


def client_create(*, name: str, reseller, actor: Actor) -> Client:
    name = (name or "").strip()
    if not name:
        raise ClientError("Name: enter the client's name.")
    if problem := check_length("Name", name, NAME_MAX):
        raise ClientError(problem)
    try:
        with transaction.atomic():
            client = Client.objects.create(name=name, reseller=reseller)
            record_created(
                actor,
                client,
                reseller_id=client.reseller_id,
                after={"name": client.name, "reseller_id": client.reseller_id},
            )
    except IntegrityError as exc:
        raise ClientError(f"Name: {reseller.name} already has a client named “{name}”.") from exc
    return client


def account_create(*, client: Client, name: str, actor: Actor) -> Account:
    name = (name or "").strip()
    if not name:
        raise ClientError("Name: enter the account's name.")
    if problem := check_length("Name", name, NAME_MAX):
        raise ClientError(problem)
    try:
        with transaction.atomic():
            account = Account.objects.create(client=client, name=name)
            record_created(
                actor,
                account,
                reseller_id=client.reseller_id,
                after={"name": account.name, "client_id": client.pk},
            )
    except IntegrityError as exc:
        raise ClientError(
            f"Name: client {client.name} already has an account named “{name}”."
        ) from exc
    return account

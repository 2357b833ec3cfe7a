"""Clients and their accounts (assigning DIDs to an account: ``inventory.assigning``).

Every service takes an ``Actor`` and writes its audit record in its own transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import Actor
from config import text
from core.previews import DeletePreview
from core.services import create_named, delete_audited, rename_named

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


def client_rename(client: Client, *, name: str, actor: Actor) -> bool:
    """Rename ``client``; False when the name is the same."""
    return rename_named(
        client,
        ClientError,
        name=name,
        noun="client",
        taken=f"{client.reseller.name} already has a client named “{{name}}”.",
        actor=actor,
        reseller_id=client.reseller_id,
    )


def account_rename(account: Account, *, name: str, actor: Actor) -> bool:
    """Rename ``account``; False when the name is the same."""
    return rename_named(
        account,
        ClientError,
        name=name,
        noun="account",
        taken=f"client {account.client.name} already has an account named “{{name}}”.",
        actor=actor,
        reseller_id=account.client.reseller_id,
    )


def _linked(what: str, name: str, dids: int) -> str:
    return (
        f"{what} {name} has {text.count(dids, 'DID')} linked and cannot be deleted. "
        "Release its DIDs first (the client's DIDs tab)."
    )


def client_delete_preview(client: Client) -> DeletePreview:
    """What deleting ``client`` would do: refused while any DID is linked to it (assigned,
    On Hold...); else its accounts and Client Packages go with it."""
    dids = client.dids.count()
    counts = {
        "DID": dids,
        "account": client.accounts.count(),
        "subscription": client.subscriptions.count(),
    }
    return DeletePreview(client, _linked("Client", client.name, dids) if dids else "", counts)


def account_delete_preview(account: Account) -> DeletePreview:
    """What deleting ``account`` would do: refused while any DID is linked to it."""
    dids = account.dids.count()
    refusal = _linked("Account", str(account), dids) if dids else ""
    return DeletePreview(account, refusal, {"DID": dids})


def client_delete(client: Client, *, actor: Actor) -> DeletePreview:
    """Delete ``client`` with its accounts and Client Packages, each on the audit log; refused
    (``ClientError``, nothing deleted) while a DID is linked. Its Client Packages are locked as
    an assignment locks them, so an assignment waits (and the count sees its DIDs); the
    database's foreign keys refuse what slips past anyway."""
    try:
        with transaction.atomic():
            locked = Client.objects.select_for_update().get(pk=client.pk)
            list(locked.subscriptions.select_for_update().values_list("id", flat=True))
            preview = client_delete_preview(locked)
            if not preview.allowed:
                raise ClientError(preview.refusal)
            reseller_id = locked.reseller_id
            for sub in locked.subscriptions.select_related("package").order_by("id"):
                delete_audited(
                    sub,
                    actor=actor,
                    reseller_id=reseller_id,
                    before={
                        "client_id": sub.client_id,
                        "package_id": sub.package_id,
                        "status": sub.status,
                        "start_date": sub.start_date,
                        "end_date": sub.end_date,
                    },
                )
            for account in locked.accounts.select_related("client").order_by("id"):
                delete_audited(
                    account,
                    actor=actor,
                    reseller_id=reseller_id,
                    before={"name": account.name, "client_id": account.client_id},
                )
            delete_audited(
                locked,
                actor=actor,
                reseller_id=reseller_id,
                before={"name": locked.name, "reseller_id": reseller_id},
            )
    except IntegrityError as exc:  # a DID was linked after the check
        raise ClientError(_linked("Client", client.name, client.dids.count())) from exc
    return preview


def account_delete(account: Account, *, actor: Actor) -> None:
    """Delete ``account``; refused (``ClientError``) while a DID is linked to it."""
    try:
        with transaction.atomic():
            locked = Account.objects.select_for_update().select_related("client").get(pk=account.pk)
            preview = account_delete_preview(locked)
            if not preview.allowed:
                raise ClientError(preview.refusal)
            delete_audited(
                locked,
                actor=actor,
                reseller_id=locked.client.reseller_id,
                before={"name": locked.name, "client_id": locked.client_id},
            )
    except IntegrityError as exc:  # a DID was linked after the check
        raise ClientError(_linked("Account", str(account), account.dids.count())) from exc

"""API tokens: a user creates (shown once, stored hashed) and revokes their own; routing
tokens are made by ``manage.py create_api_token`` or in the Django admin, which saves and
deletes through here too. Every one of these is on the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from audit.services import Actor, record, record_created, snapshot
from core.services import clean_name

from .choices import Scope
from .models import ApiToken


class TokenError(Exception):
    """A refused token action; the message starts with the field it is about."""


def tokens_per_user() -> int:
    return getattr(settings, "API_TOKENS_PER_USER", 20)


def token_create(*, user, name: str, scope: str, actor: Actor) -> tuple[ApiToken, str]:
    """A read or read-write token of ``user``; returns it and its key, shown only now."""
    name = clean_name(name, "token", TokenError)
    if scope not in (Scope.READ, Scope.WRITE):
        raise TokenError("Scope: choose Read only or Read and write.")
    with transaction.atomic():
        live = ApiToken.objects.select_for_update().filter(user=user, revoked=False)
        if len(live) >= tokens_per_user():
            raise TokenError(
                f"Name: you have {tokens_per_user():,} tokens already; revoke one first."
            )
        token, raw = ApiToken.issue(
            name=name, reseller=user.reseller, user=user, scope=Scope(scope)
        )
        record_created(
            actor,
            token,
            reseller_id=user.reseller_id,
            after={"name": token.name, "scope": token.scope, "prefix": token.prefix},
        )
    return token, raw


def token_revoke(token: ApiToken, *, actor: Actor) -> bool:
    """Revoke ``token`` (it stops working at once in this process, within
    API_TOKEN_CACHE_SECONDS in the others); whether it was live."""
    with transaction.atomic():
        if not ApiToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True):
            return False
        record(
            actor,
            action="revoke",
            object_type="apitoken",
            object_id=token.pk,
            object_repr=str(token),
            reseller_id=token.reseller_id,
            before={"revoked": False},
            after={"revoked": True},
        )
    token.revoked = True
    token.save(update_fields=["revoked"])  # clears the token cache
    return True


# What the audit log keeps of a token (never its key or hash).
TOKEN_FIELDS = ("name", "scope", "reseller_id", "user_id", "revoked")


def routing_token_create(*, name: str, reseller, actor: Actor) -> tuple[ApiToken, str]:
    """A routing token (of ``reseller``, or platform-wide for None); returns it and its key,
    shown only now."""
    with transaction.atomic():
        token, raw = ApiToken.issue(name=name, reseller=reseller, scope=Scope.ROUTING)
        record_created(
            actor, token, reseller_id=token.reseller_id, after=snapshot(token, TOKEN_FIELDS)
        )
    return token, raw


def token_save(token: ApiToken, *, actor: Actor) -> str | None:
    """Save ``token`` as the Django admin edited it, with its audit entry. A new token gets
    its key, returned (shown once); an edited one records the fields that changed."""
    with transaction.atomic():
        if token.pk is None:
            raw = token.set_new_key()
            token.save()
            record_created(
                actor, token, reseller_id=token.reseller_id, after=snapshot(token, TOKEN_FIELDS)
            )
            return raw
        old = ApiToken.objects.select_for_update().get(pk=token.pk)
        token.save()
        before, after = snapshot(old, TOKEN_FIELDS), snapshot(token, TOKEN_FIELDS)
        if before != after:
            record(
                actor,
                action="revoke" if token.revoked and not old.revoked else "update",
                object_type="apitoken",
                object_id=token.pk,
                object_repr=str(token),
                reseller_id=token.reseller_id,
                before=before,
                after=after,
            )
    return None


def token_delete(token: ApiToken, *, actor: Actor) -> None:
    """Delete ``token`` (the Django admin), with its audit entry."""
    with transaction.atomic():
        record(
            actor,
            action="delete",
            object_type="apitoken",
            object_id=token.pk,
            object_repr=str(token),
            reseller_id=token.reseller_id,
            before=snapshot(token, TOKEN_FIELDS),
        )
        token.delete()

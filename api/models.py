"""API tokens for switches, billing systems and provisioning scripts.

Only the SHA-256 of a key is stored; the raw key is shown once, when the token is created. A
token's ``scope`` says what it may do:

* ``routing``: the routing lookup only (``manage.py create_api_token`` or the Django admin);
  a routing token of a reseller sees only that reseller's numbers, one without a reseller
  is platform-wide;
* ``read`` / ``write``: the REST API, as its ``user`` (the user who created it on the API
  tokens page): the same tenancy as the pages; a read token only reads.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models

from . import cache
from .choices import Scope


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def new_key() -> str:
    # 43 URL-safe characters (256 bits); the first 8 are kept as the display prefix.
    return secrets.token_urlsafe(32)


class ApiToken(models.Model):
    Scope = Scope

    name = models.CharField(max_length=150)
    # The REST API acts as this user (read and write tokens); None for a routing token.
    user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.ROUTING)
    reseller = models.ForeignKey(
        "accounts.Reseller",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="Empty: a platform-wide token that sees every reseller's numbers.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-id"]

    def __str__(self) -> str:
        scope = self.reseller.name if self.reseller_id else "platform"
        return f"{self.name} ({self.prefix}…, {scope})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A revoked (or re-scoped) token stops working in this process at once; other
        # processes forget their cached copy within API_TOKEN_CACHE_SECONDS.
        cache.clear()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        cache.clear()
        return result

    def set_new_key(self) -> str:
        """Give the token a fresh key; returns the raw key (store only what this sets)."""
        raw = new_key()
        self.key_hash = hash_key(raw)
        self.prefix = raw[:8]
        return raw

    @classmethod
    def issue(
        cls, *, name: str, reseller=None, user=None, scope: str = Scope.ROUTING
    ) -> tuple[ApiToken, str]:
        """Create a token; returns it and its raw key, which is not stored anywhere."""
        token = cls(name=name, reseller=reseller, user=user, scope=scope)
        raw = token.set_new_key()
        token.save()
        return token, raw

"""Bearer-token authentication for the routing API, with a short in-process cache.

A switch asks thousands of times a second; looking its token up in the database each time
would double the work of every lookup. A validated token is remembered for
``API_TOKEN_CACHE_SECONDS`` (default 5): revoking a token takes effect in other processes
within that time (at once in the process that revoked it). ``last_used_at`` is stamped by
the same statement that validates the key, so at most once per process per cache period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from . import cache
from .choices import Scope
from .models import ApiToken, hash_key

_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class TokenInfo:
    id: int
    reseller_id: int | None

    @property
    def platform_wide(self) -> bool:
        return self.reseller_id is None


def clear_cache() -> None:
    cache.clear()


def _ttl() -> float:
    return float(getattr(settings, "API_TOKEN_CACHE_SECONDS", 5))


def bearer_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    key = key.strip()
    return key or None


def _lookup(key_hash: str) -> TokenInfo | None:
    table = ApiToken._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET last_used_at = now() "
            "WHERE key_hash = %s AND NOT revoked AND scope = %s RETURNING id, reseller_id",
            [key_hash, Scope.ROUTING],
        )
        row = cur.fetchone()
    return TokenInfo(*row) if row else None


def authenticate(request) -> TokenInfo | None:
    """The token of ``request``'s ``Authorization: Bearer`` header, or None."""
    key = bearer_key(request)
    if key is None or len(key) > 200:
        return None
    key_hash = hash_key(key)
    now = time.monotonic()
    hit = cache.tokens.get(key_hash)
    if hit is not None and hit[0] > now:
        return hit[1]
    info = _lookup(key_hash)
    if len(cache.tokens) >= _MAX_ENTRIES:
        cache.clear()
    cache.tokens[key_hash] = (now + _ttl(), info)
    return info

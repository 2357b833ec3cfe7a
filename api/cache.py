"""The in-process cache of looked-up API tokens: ``api.auth`` fills it, and saving or deleting
an ``ApiToken`` empties it, so a revoked token stops working in this process at once."""

from __future__ import annotations

# key_hash -> (expires at, api.auth.TokenInfo, or None for a key that is unknown or revoked)
tokens: dict[str, tuple[float, object]] = {}


def clear() -> None:
    tokens.clear()

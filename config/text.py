"""Counts in user-facing messages: thousands separators and correct plurals, in one place.

``count(1, "DID")`` is "1 DID", ``count(2, "DID")`` "2 DIDs", ``count(1234, "row")``
"1,234 rows". Templates use the same through ``{% load counts %}{{ n|count:"DID" }}``.
"""

from __future__ import annotations


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The word for ``n`` things: ``singular`` for exactly one, else the plural."""
    return singular if n == 1 else (plural_form or singular + "s")


def count(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` with thousands separators and the word in the right number."""
    return f"{n:,} {plural(n, singular, plural_form)}"


def is_are(n: int) -> str:
    return "is" if n == 1 else "are"


def was_were(n: int) -> str:
    return "was" if n == 1 else "were"

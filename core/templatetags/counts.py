"""``{% load counts %}`` ... ``{{ total|count:"DID" }}``: "1 DID", "2 DIDs", "1,234 DIDs",
the same as ``config.text.count`` in Python messages. ``{{ n|count:"is,are" }}`` (a comma)
gives the singular and plural forms explicitly; ``{{ n|plural:"DID" }}`` only the word."""

from django import template

from config import text

register = template.Library()


def _forms(arg: str) -> tuple[str, str | None]:
    singular, _, plural_form = str(arg).partition(",")
    return singular, plural_form or None


@register.filter
def count(n, arg):
    try:
        n = int(n)
    except (TypeError, ValueError):
        return n
    return text.count(n, *_forms(arg))


@register.filter
def plural(n, arg):
    try:
        n = int(n)
    except (TypeError, ValueError):
        return arg
    return text.plural(n, *_forms(arg))


@register.filter
def thousands(n):
    """1234567 -> "1,234,567"."""
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return n

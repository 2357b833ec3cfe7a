"""Number geography, from Google's libphonenumber metadata (the ``phonenumbers`` package).

A DID is stored exactly as entered (PRODUCT.md): digits with an optional leading ``+``. Read
as an international number (E.164, the ``+`` optional), its leading digits are a country
calling code; a number that starts with ``0`` (a national or padded form) has no country.

- ``place(number)``: its country, the region where the library knows one (a city or state),
  and the international format it is displayed in. The stored form never changes.
- ``prefixes(country, area_code)``: the number prefixes a country (or one of its area codes)
  covers, so that a search is a set of range scans of the number index (collation "C"), with
  no geography column. Most countries are one calling code; a calling code shared by several
  countries (+1 of the North American plan, +7, +44, ...) is told apart by the library on the
  national digits that follow it (to ``SHARED_DEPTH`` digits, deeper where those disagree).
- ``country_of_prefix(digits)``: the country of a number's first ``CHART_CHARS`` characters, for
  the Home chart's one grouped query.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import phonenumbers as pn
from django.db.models import Q
from phonenumbers import geocoder

LANG = "en"
# National digits on which countries sharing a calling code are told apart first, and the
# deepest the search goes where the library's answers differ below them.
SHARED_DEPTH = 3
SHARED_MAX_DEPTH = 5
# The Home chart groups numbers by this many leading characters (a "+" and 4 digits, or 5
# digits: calling code and area code of the +1 plan, and more).
CHART_CHARS = 5


@dataclass(frozen=True)
class Place:
    country: str  # ISO 3166 code ("US"), "" when unknown
    country_name: str
    region: str  # "San Francisco, CA"; "" where the library knows no more than the country
    international: str  # "+1 415-555-0100"; the stored form when it is not a valid number


def _parse(number: str) -> pn.PhoneNumber | None:
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or digits[0] == "0":
        return None
    try:
        return pn.parse("+" + digits, None)
    except pn.NumberParseException:
        return None


def country_name(code: str) -> str:
    return geocoder._region_display_name(code, LANG) or code


@functools.lru_cache(maxsize=20_000)
def place(number: str) -> Place:
    """Where ``number`` is, as far as the library knows; all "" when it has no country."""
    parsed = _parse(number or "")
    if parsed is None:
        return Place("", "", "", number)
    exact = pn.region_code_for_number(parsed)  # None unless valid in one of its countries
    code = exact or pn.region_code_for_country_code(parsed.country_code)
    if code in (None, pn.UNKNOWN_REGION, pn.REGION_CODE_FOR_NON_GEO_ENTITY):
        code = ""
    name = country_name(code) if code else ""
    # The number's type is its validity too (UNKNOWN: not valid); is_valid_number() and
    # description_for_number() would each work it out again.
    kind = pn.number_type(parsed) if exact else pn.PhoneNumberType.UNKNOWN
    valid = kind != pn.PhoneNumberType.UNKNOWN
    region = (
        geocoder.description_for_valid_number(parsed, LANG)
        if valid and pn.is_number_type_geographical(kind, parsed.country_code)
        else ""
    )
    international = (
        pn.format_number(parsed, pn.PhoneNumberFormat.INTERNATIONAL) if valid else number
    )
    return Place(code, name, "" if region == name else region, international)


@functools.lru_cache(maxsize=1)
def countries() -> list[tuple[str, str]]:
    """Every country the library knows: (code, name), by name."""
    return sorted(
        ((code, country_name(code)) for code in pn.SUPPORTED_REGIONS),
        key=lambda c: (c[1].casefold(), c[0]),
    )


def _region_of(cc: int, national: str) -> str:
    """The country the library gives a number of calling code ``cc`` starting ``national``
    (filled to a typical length)."""
    fill = national + "2" * max(0, 10 - len(national))
    try:
        parsed = pn.parse(f"+{cc}{fill}", None)
    except pn.NumberParseException:
        return ""
    return pn.region_code_for_number(parsed) or ""


@functools.lru_cache(maxsize=32)
def _shared_leaves(cc: int) -> tuple[tuple[str, str], ...]:
    """(national prefix, country) for a calling code shared by several countries."""
    leaves: list[tuple[str, str]] = []

    def walk(prefix: str) -> None:
        children = [prefix + d for d in "0123456789"]
        if len(prefix) + 1 < SHARED_DEPTH:
            for child in children:
                walk(child)
            return
        for child in children:
            # Digits the library gives no country (an exchange cannot start with 0 or 1 in
            # the +1 plan, say) do not make a prefix ambiguous.
            below = {_region_of(cc, child + d) for d in "0123456789"} - {""}
            if len(below) > 1 and len(child) < SHARED_MAX_DEPTH:
                walk(child)
            else:
                region = _region_of(cc, child) or next(iter(below), "")
                leaves.append((child, region))

    walk("")
    return tuple(leaves)


def prefixes(country: str, area_code: str = "") -> list[str]:
    """The leading digits (no ``+``) of the numbers of ``country``, optionally in one of its
    area codes, the national digits that follow the calling code."""
    cc = pn.country_code_for_region(country)
    if not cc:
        return []
    regions = pn.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    if len(regions) <= 1:
        return [f"{cc}{area_code}"]
    leaves = _shared_leaves(cc)
    if area_code:
        inside = {r for n, r in leaves if n.startswith(area_code) or area_code.startswith(n)}
        if inside - {""} == {country}:
            return [f"{cc}{area_code}"]
        if country not in inside:
            return []
    out = [
        f"{cc}{national}"
        for national, region in leaves
        if region == country and national.startswith(area_code)
    ]
    return sorted(out)


def _after(prefix: str) -> str:
    """The least string above every string that starts with ``prefix`` (digits only)."""
    digits = prefix.rstrip("9")
    if not digits:
        return prefix + ":"  # ':' sorts right after '9'
    return digits[:-1] + chr(ord(digits[-1]) + 1)


def ranges(leading: list[str]) -> list[tuple[str, str]]:
    """``leading`` prefixes as few [low, high) ranges of strings as possible."""
    spans: list[list[str]] = []
    for p in sorted(set(leading)):
        low, high = p, _after(p)
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    return [(low, high) for low, high in spans]


def _span(low: str, high: str) -> Q:
    """Numbers from ``low`` up to ``high``, with or without their ``+``."""
    return Q(number__gte=low, number__lt=high) | Q(number__gte="+" + low, number__lt="+" + high)


def number_q(country: str, area_code: str = "") -> Q | None:
    """The numbers of ``country`` (and area code), with or without their ``+``: index range
    scans of ``number``. None: no number can match.

    A country sharing its calling code is many ranges (+1 US: ~180); the calling code's own
    range comes first, so a row of another code is refused by two comparisons, not hundreds
    (measured at 1M DIDs: a United Kingdom search went from 2 s to 80 ms)."""
    spans = ranges(prefixes(country, area_code))
    if not spans:
        return None
    q = None
    for low, high in spans:
        q = _span(low, high) if q is None else q | _span(low, high)
    if len(spans) > 1:
        cc = str(pn.country_code_for_region(country))
        q = _span(cc, _after(cc)) & q
    return q


@functools.lru_cache(maxsize=20_000)
def country_of_prefix(digits: str) -> str:
    """The country of numbers starting with ``digits`` (no ``+``), "" if none."""
    if not digits or digits[0] == "0":
        return ""
    for length in (1, 2, 3):
        cc = int(digits[:length])
        regions = pn.COUNTRY_CODE_TO_REGION_CODE.get(cc)
        if not regions:
            continue
        if len(regions) == 1:
            return "" if regions[0] == pn.REGION_CODE_FOR_NON_GEO_ENTITY else regions[0]
        national = digits[length:]
        best, found = "", ""
        for prefix, region in _shared_leaves(cc):
            if national.startswith(prefix) and len(prefix) > len(best):
                best, found = prefix, region
        if best:
            return found
        below = Counter(r for p, r in _shared_leaves(cc) if p.startswith(national) and r)
        return below.most_common(1)[0][0] if below else ""
    return ""

"""The bounds on every value a user or a file can set (PRODUCT.md, "Limits").

One place for each bound: form fields, model validators, service checks, the import's
row checks and the database CHECK constraints all read these, so they cannot drift apart.
A value past a bound is refused with a message that names the field ("Hold days: ...").
"""

from __future__ import annotations

import datetime as dt

# Days a DID stays On Hold (a DID's own hold days or its package's).
HOLD_DAYS_MIN = 0
HOLD_DAYS_MAX = 3_650
# DIDs one subscription to a package may hold.
DID_ALLOWANCE_MIN = 0
DID_ALLOWANCE_MAX = 10_000_000
# Tags a package may list as allowed (empty = any tag).
ALLOWED_TAGS_MAX = 100

# Text, in characters.
NAME_MAX = 150  # operator, reseller, client, account, package
TAG_MAX = 64
NOTES_MAX = 1_000
NUMBER_MAX = 32  # a DID: an optional "+" and digits
AREA_CODE_MAX = 8  # the Area code of an Advanced Search: digits after the calling code
EMAIL_MAX = 254

# Saved searches of the DID Inventory: a name, the search's query string, and how many one
# user may keep.
SAVED_SEARCH_NAME_MAX = 100
SAVED_SEARCH_QUERY_MAX = 2_000
SAVED_SEARCHES_PER_USER = 50

# A subscription's start and end dates.
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)


def range_message(label: str, low: int, high: int) -> str:
    """ "Hold days: enter a whole number from 0 to 3,650." """
    return f"{label}: enter a whole number from {low:,} to {high:,}."


def length_message(label: str, limit: int) -> str:
    """ "Notes: at most 1,000 characters." """
    return f"{label}: at most {limit:,} characters."


def date_message(label: str) -> str:
    return f"{label}: enter a date from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}."


def check_range(label: str, value, low: int, high: int) -> str | None:
    """The message for an integer outside ``low``..``high`` (or not an integer), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return range_message(label, low, high)
    return None


def check_length(label: str, value: str | None, limit: int) -> str | None:
    """The message for a text longer than ``limit`` characters, else None."""
    if value is not None and len(value) > limit:
        return length_message(label, limit)
    return None


def check_date(label: str, value: dt.date | None) -> str | None:
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        return date_message(label)
    return None

"""Parsing the DID(s) field: numbers and ranges separated by commas, spaces or new lines.

``111-222`` is 111 to 222 inclusive; ``0100-0199`` keeps its width; ``+14155550100-+14155550199``
keeps its ``+``. A range whose ends differ in form, that runs backwards, or that exceeds the
configured maximum is refused with a message that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

NUMBER = re.compile(r"^\+?[0-9]{1,31}$")
_DASH = re.compile(r"\s*[-\u2013\u2014]\s*")
_SPLIT = re.compile(r"[\s,;]+")


class NumberSpecError(ValueError):
    """The DID(s) field cannot be read. ``str()`` names the offending entry."""


@dataclass(frozen=True)
class Range:
    first: int
    last: int
    width: int  # zero-padded to this many digits; 0 = no padding
    plus: bool

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def format(self, value: int) -> str:
        digits = str(value).rjust(self.width, "0") if self.width else str(value)
        return ("+" if self.plus else "") + digits

    def __str__(self) -> str:
        return f"{self.format(self.first)}-{self.format(self.last)}"


@dataclass
class Spec:
    numbers: list[str]
    ranges: list[Range]

    @property
    def total(self) -> int:
        """Upper bound (overlaps and repeats are counted once when created)."""
        return len(self.numbers) + sum(r.count for r in self.ranges)

    def chunks(self, size: int):
        """The same numbers as specs of at most ``size`` numbers each, in order."""
        for i in range(0, len(self.numbers), size):
            yield Spec(self.numbers[i : i + size], [])
        for r in self.ranges:
            for first in range(r.first, r.last + 1, size):
                last = min(r.last, first + size - 1)
                yield Spec([], [Range(first, last, r.width, r.plus)])


def parse(text: str, *, max_range: int | None = None) -> Spec:
    max_range = max_range or settings.DID_RANGE_MAX
    text = _DASH.sub("-", (text or "").strip())
    numbers: list[str] = []
    ranges: list[Range] = []
    tokens = [t for t in _SPLIT.split(text) if t]
    if not tokens:
        raise NumberSpecError("Enter at least one DID or range.")
    for token in tokens:
        if "-" not in token:
            if not NUMBER.match(token):
                raise NumberSpecError(
                    f"“{token}” is not a DID: use digits, with an optional leading +."
                )
            numbers.append(token)
            continue
        parts = token.split("-")
        if len(parts) != 2 or not all(parts):
            raise NumberSpecError(
                f"“{token}” is not a range: write it as first-last, e.g. 111-222."
            )
        a, b = parts
        for end in (a, b):
            if not NUMBER.match(end):
                raise NumberSpecError(
                    f"Range “{token}”: “{end}” is not a DID (digits, optional leading +)."
                )
        if a.startswith("+") != b.startswith("+"):
            raise NumberSpecError(f"Range “{token}”: both ends must have a leading + or neither.")
        da, db = a.lstrip("+"), b.lstrip("+")
        padded = (da.startswith("0") and len(da) > 1) or (db.startswith("0") and len(db) > 1)
        if len(da) != len(db) and padded:
            raise NumberSpecError(
                f"Range “{token}”: the ends have different widths ({len(da)} and {len(db)} digits)."
            )
        first, last = int(da), int(db)
        if last < first:
            raise NumberSpecError(f"Range “{token}” runs backwards: its first number is larger.")
        count = last - first + 1
        if count > max_range:
            raise NumberSpecError(
                f"Range “{token}” holds {count:,} numbers; the most one range may hold is "
                f"{max_range:,}."
            )
        ranges.append(Range(first, last, len(da) if padded else 0, a.startswith("+")))
    spec = Spec(numbers, ranges)
    if spec.total > max_range:
        raise NumberSpecError(
            f"The DID(s) field holds {spec.total:,} numbers; the most one request may create is "
            f"{max_range:,}."
        )
    return spec


def source_sql(spec: Spec) -> tuple[str, list]:
    """SQL yielding one column ``number`` (distinct) for every DID of ``spec``."""
    parts: list[str] = []
    params: list = []
    if spec.numbers:
        parts.append("SELECT unnest(%s::text[]) AS number")
        params.append(spec.numbers)
    for r in spec.ranges:
        kind = "bigint" if r.last < 2**62 else "numeric"
        digits = "lpad(g::text, %s, '0')" if r.width else "g::text"
        parts.append(
            f"SELECT %s || {digits} AS number FROM generate_series(%s::{kind}, %s::{kind}) AS g"
        )
        params.append("+" if r.plus else "")
        if r.width:
            params.append(r.width)
        params += [r.first, r.last]
    union = " UNION ALL ".join(parts)
    if len(parts) == 1 and not spec.numbers:
        return union, params  # one range: already distinct
    # Numeric order, so ids follow the numbers as a user typed them.
    return (
        f"SELECT number FROM (SELECT DISTINCT number FROM ({union}) AS u) AS d "
        "ORDER BY length(number), number",
        params,
    )

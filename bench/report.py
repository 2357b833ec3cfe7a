"""The benchmark's report: its figures' groups, one row per measured path, and the table."""

from __future__ import annotations

from dataclasses import dataclass

FULL = 1_000_000

# Separate number spaces (11 digits), so no figure collides with another's rows.
MAIN_BASE = 20_000_000_000
INSERT_BASE = 30_000_000_000
IMPORT_BASE = 40_000_000_000
IE_BASE = 50_000_000_000
EVEN_TAG = "bench-even"

GROUPS = {
    1: "Range creation",
    2: "CSV import",
    3: "CSV export",
    4: "Inventory list, server time",
    5: "Mass edit",
    6: "Hold expiry",
    7: "Routing lookups",
    8: "REST API list, server time",
    9: "Inventory list filtered, its count, and under load",
}

MEASURED = "measured"
NOT_BUILT = "not yet built"


class BenchmarkRefused(Exception):
    pass


# --------------------------------------------------------------------------- report rows


@dataclass
class Row:
    group: int
    name: str
    unit: str  # "s", "ms", "MB", "rows/s", "lookups/s"
    target: str  # human-readable
    target_kind: str | None = None  # "ratio_max" | "max" | "min" | None (information only)
    target_value: float | None = None
    ours: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    status: str = MEASURED
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if self.status != MEASURED or self.ours is None or self.target_kind is None:
            return None
        if self.target_kind == "ratio_max":
            return None if self.ratio is None else self.ratio <= self.target_value
        if self.target_kind == "max":
            return self.ours <= self.target_value
        return self.ours >= self.target_value

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "name": self.name,
            "unit": self.unit,
            "ours": self.ours,
            "baseline": self.baseline,
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "status": self.status,
            "notes": self.notes,
        }


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("rows/s", "lookups/s", "pages/s"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.2f} s"


def format_table(rows: list[Row]) -> str:
    header = ("#", "figure", "ours", "baseline", "ratio", "target", "met")
    lines = []
    for r in rows:
        ours = r.status if r.status != MEASURED else fmt_value(r.ours, r.unit)
        met = {True: "yes", False: "NO", None: "—"}[r.met]
        lines.append(
            (
                str(r.group),
                r.name,
                ours,
                fmt_value(r.baseline, r.unit)
                + (f" ({r.baseline_name})" if r.baseline_name else ""),
                f"{r.ratio:.2f}" if r.ratio is not None else "—",
                r.target,
                met,
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def fmt(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt(line) for line in lines]
    return "\n".join(out)

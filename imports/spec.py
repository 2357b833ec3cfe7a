"""What one import is: the fields a file's columns map to, the choices of a run
(``ImportSpec``) and its outcome (``ImportReport``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from inventory.choices import AfterHold, Status

# Step 2's choices for a column, in the reference export's order (+ Hold days).
FIELDS: list[tuple[str, str]] = [
    ("id", "ID"),
    ("status", "Status"),
    ("operator", "Operator"),
    ("did", "DID"),
    ("tag", "Tag"),
    ("notes", "Notes"),
    ("client", "Client"),
    ("account", "Account"),
    ("package", "Package"),
    ("after_hold", "After Hold"),
    ("reseller", "Reseller"),
    ("hold_days", "Hold days"),
    ("hold_until", "Hold until"),
]
FIELD_LABELS = dict(FIELDS)
# Fields read into the database; ID is informational (export shows it). Client, Account and
# Package assign a new Active, Blocked or On Hold DID.
LOADED = ("did", "status", "operator", "tag", "notes", "client", "account", "after_hold")
LOADED += ("reseller", "hold_days", "package", "hold_until")

HEADER_ALIASES = {
    "id": "id",
    "didid": "id",
    "status": "status",
    "operator": "operator",
    "didoperator": "operator",
    "provider": "operator",
    "did": "did",
    "dids": "did",
    "number": "did",
    "didnumber": "did",
    "phonenumber": "did",
    "tag": "tag",
    "tags": "tag",
    "notes": "notes",
    "note": "notes",
    "client": "client",
    "customer": "client",
    "account": "account",
    "package": "package",
    "afterhold": "after_hold",
    "afterholdstatus": "after_hold",
    "reseller": "reseller",
    "holddays": "hold_days",
    "holduntil": "hold_until",
}


def field_for_header(cell: str) -> str | None:
    """The field a header cell names ("Phone number" -> "did"), if any."""
    key = "".join(ch for ch in cell.lower() if ch.isalnum())
    return HEADER_ALIASES.get(key)


def check_mapping(mapping: list[str]) -> list[str]:
    """Errors of a column mapping, each naming the field."""
    errors = []
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(mapping):
        if name:
            if name not in FIELD_LABELS:
                errors.append(f"Column {i + 1}: “{name}” is not a field.")
            positions.setdefault(name, []).append(i + 1)
    if "did" not in positions:
        errors.append("DID: map one column to DID; it is how rows find their DID.")
    for name, cols in positions.items():
        if len(cols) > 1 and name in FIELD_LABELS:
            listed = ", ".join(map(str, cols))
            errors.append(f"{FIELD_LABELS[name]}: chosen for columns {listed}; choose one.")
    return errors


@dataclass
class ImportSpec:
    """Everything a run needs: the file, how to read it, the defaults, and who imports."""

    path: Path
    kind: str
    delimiter: str
    has_header: bool
    mapping: list[str]
    reseller_id: int | None  # the user's reseller; None for a platform admin
    operator_id: int | None = None  # default operator
    status: str = Status.RESERVED
    after_hold: str = AfterHold.RESERVED
    tag: str = ""
    notes: str = ""
    label: str = "Import"
    job_id: int | None = None
    rows_hint: int = 0  # the upload's row count, for progress
    width: int = 0  # the cells of the file's first row (0: as many as its columns)
    encoding: str = ""  # a CSV's text encoding ("": UTF-8)
    names: dict = field(default_factory=dict)  # step 2's choices for unknown names


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    status_changes: dict = field(default_factory=dict)
    assigned: dict = field(default_factory=dict)  # new DIDs to assign, by status label
    # The refusals grouped by reason: [{"text": ..., "count": 9, "rows": [2, 3, ...]}].
    groups: list = field(default_factory=list)
    # Names of the file that match nothing: {"operator": ["Op X", ...], ...} (step 2).
    unknown: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [{"row": 7, "text": "DID: ..."}]
    applied: bool = False
    seconds: float = 0.0

    def counts(self) -> dict:
        data = asdict(self)
        data.pop("errors")
        return data

    @classmethod
    def of(cls, counts: dict) -> ImportReport:
        """The report a job's ``counts`` (``counts()``) were written from, without errors."""
        names = {f.name for f in fields(cls)} - {"errors"}
        return cls(**{k: v for k, v in (counts or {}).items() if k in names})


def refusal_text(error: dict) -> str:
    """ "Row 7, DID: “12a” is not a number" or "Row 15: DID 123 is assigned; ..." """
    text = error["text"]
    head = text.split(":", 1)[0]
    if head in FIELD_LABELS.values() or head == "File":
        return f"Row {error['row']}, {text}"
    return f"Row {error['row']}: {text}"


def row_ranges_text(rows: list[int]) -> str:
    """ "2-10, 12, 15-16" """
    parts: list[list[int]] = []
    for rn in rows:
        if parts and rn == parts[-1][1] + 1:
            parts[-1][1] = rn
        else:
            parts.append([rn, rn])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def group_text(group: dict) -> str:
    """ "9 rows: Reseller: “Company Name” is not a reseller (rows 2-10)" """
    n, rows = group["count"], group["rows"]
    listed = row_ranges_text(rows)
    more = ", …" if n > len(rows) else ""
    noun = "row" if n == 1 else "rows"
    where = f"row {listed}" if len(rows) == 1 and not more else f"rows {listed}{more}"
    return f"{n:,} {noun}: {group['text']} ({where})"


def no_progress(done=None, stage=None, force=False):
    """A progress callback that records nothing (a run outside a job)."""
    return None

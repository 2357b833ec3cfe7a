"""A dry run's refused rows as a CSV file beside the upload: the file's own cells and a
Reason column, so the user fixes them and imports that file again."""

from __future__ import annotations

import csv
from pathlib import Path

from inventory.exporting import neutralise

from . import readers
from .loading import Run


def refused_path(path: Path) -> Path:
    """Where a dry run keeps its refused rows, as CSV: beside the upload."""
    return path.with_name(f"{path.stem}.refused.csv")


def write_refused(run: Run, target: Path) -> None:
    """The refused rows as a CSV (UTF-8 with a byte order mark, which a spreadsheet and
    the import both detect): the file's header and cells, and a last column, Reason, with
    every reason of the row. Cells are neutralised as an export's are, so it imports again
    once fixed (the Reason column maps to Skip). The file and the plan's refusals are read
    side by side, in row order: memory stays flat."""
    spec = run.spec
    copy_sql = "COPY (SELECT rn, array_to_string(errs, '; ') FROM imp_rows "
    copy_sql += "WHERE action = 'refused' ORDER BY rn) TO STDOUT"
    rows = readers.raw_rows(spec.path, spec.kind, spec.delimiter, encoding=spec.encoding)
    partial = target.with_suffix(".part")
    with open(partial, "w", encoding="utf-8-sig", newline="") as out:
        writer_ = csv.writer(out, delimiter=spec.delimiter or ",")
        header_pending = spec.has_header
        with run.raw.copy(copy_sql) as copy:
            reasons = ((int(rn), reason) for rn, reason in copy.rows())
            wanted = next(reasons, None)
            for number, cells in rows:
                if header_pending and not readers.blank(cells):
                    header_pending = False
                    writer_.writerow([neutralise(c) for c in cells] + ["Reason"])
                    continue
                if wanted is None:
                    break
                if number == wanted[0]:
                    writer_.writerow([neutralise(c) for c in cells] + [wanted[1]])
                    wanted = next(reasons, None)
            for _ in reasons:  # drain the COPY
                pass
    partial.rename(target)

"""What can go wrong with an import, each with a message a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from config import text

if TYPE_CHECKING:
    from .spec import ImportReport


class ImportFileError(Exception):
    """The file, or a choice about it, cannot be used. ``str()`` names the row or field."""


class ImportRefused(Exception):
    """Apply all was asked, but some rows are refused; nothing was written."""

    def __init__(self, report: ImportReport, *, nothing_valid: bool = False):
        self.report = report
        if nothing_valid:
            super().__init__(
                "Nothing was imported: the file has no data rows."
                if not report.rows
                else "Nothing was imported: no row is valid, so there are no valid rows to "
                "apply. Fix the file (download the refused rows) and import it again."
            )
            return
        super().__init__(
            f"Nothing was imported: {text.count(report.refused, 'row')} "
            f"{text.is_are(report.refused)} refused. Fix the file, "
            "or apply only the valid rows."
        )


class ImportConflict(Exception):
    """The inventory changed between the check and the writes; nothing was written."""

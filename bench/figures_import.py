"""Figure 2: a CSV import through the imports app's public services (dry run + apply)
against ``COPY FROM`` of the same rows, and against django-import-export.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

import tablib
from django.db import connection, transaction
from django.utils import timezone
from import_export import resources

from audit.services import Actor
from imports import preview, services
from imports.spec import ImportSpec
from inventory import exporting
from inventory.choices import EXPORT_NAMES, AfterHold, Status
from inventory.models import DID

from .helpers import run_sql, scalar, timed
from .report import IE_BASE, IMPORT_BASE


def import_csv(path, *, operator, actor: Actor) -> dict:
    """Dry run + apply of a CSV file (header ``DID,Status,Tag`` or the export's header)
    through the imports app's public services, with ``operator`` as the default operator;
    returns the counts and the seconds of each."""
    path = Path(path)
    info = preview.inspect_file(path, "csv")
    spec = ImportSpec(
        path=path,
        kind="csv",
        delimiter=info.delimiter,
        has_header=info.has_header,
        mapping=info.mapping,
        reseller_id=operator.reseller_id,
        operator_id=operator.pk,
        status=Status.IN_STOCK,
        after_hold=AfterHold.IN_STOCK,
        label=f"Import: {path.name}",
    )
    started = time.monotonic()
    dry = services.check(spec)
    checked = time.monotonic()
    rep = services.apply(spec, actor=actor, only_valid=True)
    done = time.monotonic()
    counts = rep.counts()
    counts.update(
        dry_run=dry.counts(),
        dry_run_seconds=round(checked - started, 3),
        apply_seconds=round(done - checked, 3),
        seconds=round(done - started, 3),
    )
    return counts


class ImportFigures:
    def _write_import_files(self, directory: Path, n: int) -> tuple[Path, Path]:
        """The same rows twice: in the product's export format, and as table columns."""
        product, table = directory / "import.csv", directory / "copy.csv"
        now = timezone.now().isoformat()
        op, res = self.operator, self.reseller
        statuses = (Status.IN_STOCK, Status.RESERVED, Status.ARCHIVE)
        with (
            open(product, "w", newline="") as f1,
            open(table, "w", newline="") as f2,
        ):
            w1, w2 = csv.writer(f1), csv.writer(f2)
            w1.writerow(exporting.HEADER)
            w2.writerow(
                [
                    "number",
                    "status",
                    "operator_id",
                    "reseller_id",
                    "after_hold_status",
                    "tag",
                    "notes",
                    "created_at",
                    "updated_at",
                ]
            )
            for i in range(n):
                number = str(IMPORT_BASE + i)
                # 70% in stock, 20% reserved, 10% archive.
                status = statuses[(0, 1, 1, 2, 0, 0, 0, 0, 0, 0)[i % 10]]
                tag = f"t{i % 5}"
                name, value, after = EXPORT_NAMES[status], status.value, AfterHold.IN_STOCK.value
                w1.writerow(
                    ["", name, op.name, number, tag, "", "", "", "", "instock", res.name, "", ""]
                )
                w2.writerow([number, value, op.pk, res.pk, after, tag, "", now, now])
        return product, table

    def fig2_import(self) -> None:
        n = self.n
        ie_rows = self.size(20_000)
        main = self.row(
            2, f"CSV import, {n:,} rows (with audit rows)", "s", "ratio <= 1.5", "ratio_max", 1.5
        )
        main.baseline_name = "COPY FROM of the same rows"
        speed = self.row(
            2,
            f"CSV import rows/s vs django-import-export ({ie_rows:,} rows)",
            "rows/s",
            "information",
        )
        speed.baseline_name = "import-export ModelResource, defaults"
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            product, table = self._write_import_files(Path(tmp), n)
            # Baseline: raw COPY.
            self.say(f"2: baseline COPY of {n:,} rows")
            cols = (
                "number, status, operator_id, reseller_id, after_hold_status, tag, notes, "
                "created_at, updated_at"
            )

            def copy_in():
                with (
                    transaction.atomic(),
                    connection.cursor() as cur,
                    open(table, "rb") as f,
                    cur.cursor.copy(
                        f"COPY {self.did_table} ({cols}) FROM STDIN "
                        "WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (tag, notes))"
                    ) as copy,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)

            main.baseline, _ = timed(copy_in)
            copied = scalar(f"SELECT count(*) FROM {self.did_table}")
            if copied != n:
                raise RuntimeError(f"COPY stored {copied:,} of {n:,} rows")
            run_sql(f"TRUNCATE {self.did_table} CASCADE")
            self.settle()

            self.say(f"2: import_csv of {n:,} rows (imports.services: check, then apply)")
            main.ours, outcome = timed(
                lambda: import_csv(product, operator=self.operator, actor=self.actor)
            )
            stored = scalar(f"SELECT count(*) FROM {self.did_table}")
            main.notes = f"{stored:,} DIDs stored"
            parts = {k: v for k, v in outcome.items() if "seconds" in k}
            main.notes += "; " + ", ".join(f"{k} {v}" for k, v in parts.items())
            if stored != n:
                main.status = "error: wrong count"
            speed.ours = n / main.ours
            run_sql(f"TRUNCATE {self.did_table}, {self.audit_table} CASCADE")
            self.settle()

        if not self.import_export:
            speed.status = "skipped (--skip-import-export)"
            return
        # Baseline: django-import-export on a smaller file (it saves row by row).
        self.say(f"2: baseline django-import-export of {ie_rows:,} rows")
        seconds, stored = self._import_export(ie_rows)
        speed.baseline = ie_rows / seconds
        speed.notes = f"import-export took {seconds:.1f} s for {stored:,} rows"
        run_sql(f"TRUNCATE {self.did_table} CASCADE")
        self.settle()

    def _import_export(self, rows: int) -> tuple[float, int]:

        class DIDResource(resources.ModelResource):
            class Meta:
                model = DID

        with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", delete=False) as f:
            w = csv.writer(f)
            w.writerow(["number", "status", "operator", "reseller", "after_hold_status", "tag"])
            for i in range(rows):
                w.writerow(
                    [IE_BASE + i, "in_stock", self.operator.pk, self.reseller.pk, "in_stock", "x"]
                )
            path = f.name
        try:

            def work():
                with open(path) as fh:
                    dataset = tablib.Dataset().load(fh.read(), format="csv")
                result = DIDResource().import_data(dataset, raise_errors=True)
                return result.totals

            seconds, _totals = timed(work)
        finally:
            os.unlink(path)
        return seconds, scalar(f"SELECT count(*) FROM {self.did_table}")

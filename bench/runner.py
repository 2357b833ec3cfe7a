"""The benchmark: the product's paths against plain baselines, side by side in one run.

Every figure is measured on the same database in the same run as its baseline, so machine
noise cancels out in the ratio. Data is set up with set-based SQL; one reseller, operator,
client, account, package and subscription are created through the ORM. See README.md,
"Benchmark", for how to run it and the last full-scale results.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib
import importlib.util
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from .dburl import database_url

FULL = 1_000_000
BASE_DIR = Path(settings.BASE_DIR)

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


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("rows/s", "lookups/s"):
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
        ours = r.status if r.status != MEASURED else _fmt(r.ours, r.unit)
        met = {True: "yes", False: "NO", None: "—"}[r.met]
        lines.append(
            (
                str(r.group),
                r.name,
                ours,
                _fmt(r.baseline, r.unit) + (f" ({r.baseline_name})" if r.baseline_name else ""),
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


# --------------------------------------------------------------------------- helpers


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _sql(sql: str, params=None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.rowcount


def _scalar(sql: str, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


def _timed(fn: Callable) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Benchmark:
    scale: float = 1.0
    reset: bool = False
    routing_seconds: float | None = None
    routing_workers: int = 2
    routing_threads: int = 2
    routing_clients: int = 4
    log: Callable[[str], None] = print
    rows: list[Row] = field(default_factory=list)
    started: float = 0.0

    # sizes ------------------------------------------------------------------------------
    def size(self, full: int, minimum: int = 10) -> int:
        return max(minimum, int(round(full * self.scale)))

    @property
    def n(self) -> int:
        return self.size(FULL, 100)

    # bookkeeping --------------------------------------------------------------------------
    def row(self, group: int, name: str, unit: str, target: str, kind=None, value=None) -> Row:
        r = Row(group, name, unit, target, kind, value)
        self.rows.append(r)
        return r

    def say(self, msg: str) -> None:
        self.log(f"[{time.perf_counter() - self.started:7.1f}s] {msg}")

    def settle(self, *tables: str) -> None:
        """VACUUM ANALYZE the touched tables and checkpoint, so the next figure starts clean."""
        for table in tables or (self.did_table, self.audit_table):
            _sql(f"VACUUM (ANALYZE) {table}")
        with contextlib.suppress(Exception):  # not every role may; only a nicety
            _sql("CHECKPOINT")

    # --------------------------------------------------------------------------------------
    def run(self) -> dict:
        self.started = time.perf_counter()
        self.load_at_start = list(os.getloadavg())
        self.did_table = _table("inventory.DID")
        self.audit_table = _table("audit.AuditRecord")
        self.check_empty()
        self.setup_world()
        # Each figure's baseline runs right next to it, so both see the same machine load.
        steps = [
            (2, self.fig2_import),
            (1, self.fig1_baseline),
            (1, self.fig1_ours),
            (0, self.setup_inventory),
            (3, self.fig3_export),
            (4, self.fig4_list),
            (5, self.fig5_mass_edit),
            (6, self.fig6_hold_expiry),
            (7, self.fig7_routing),
        ]
        for group, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - report it in the row, keep going
                traceback.print_exc()
                self.say(f"{step.__name__} failed: {exc}")
                if group == 0 or step == self.fig1_ours:
                    raise
                if not any(r.group == group for r in self.rows):
                    self.row(group, GROUPS[group], "", "—")
                for r in self.rows:
                    if r.group == group and r.status == MEASURED and r.ours is None:
                        r.status = f"error: {type(exc).__name__}"
                        r.notes = str(exc)[:300]
        self.rows.sort(key=lambda r: r.group)
        return self.report()

    def report(self) -> dict:
        return {
            "date": timezone.now().isoformat(timespec="seconds"),
            "scale": self.scale,
            "dids": self.n,
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "postgresql": _scalar("SHOW server_version"),
                "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded",
                "load_average_at_start": self.load_at_start,
                "load_average_at_end": list(os.getloadavg()),
            },
            "groups": [
                {
                    "group": g,
                    "title": title,
                    "rows": [r.as_dict() for r in self.rows if r.group == g],
                }
                for g, title in GROUPS.items()
            ],
            "seconds": time.perf_counter() - self.started,
        }

    # --------------------------------------------------------------------------- setup
    def check_empty(self) -> None:
        from audit.models import AuditRecord
        from inventory.models import DID

        if self.reset:
            labels = [
                "inventory.DID",
                "audit.AuditRecord",
                "subscriptions.Subscription",
                "packages.Package",
                "clients.Account",
                "clients.Client",
                "operators.Operator",
            ]
            tables = ", ".join(_table(label) for label in labels)
            self.say(f"--reset: TRUNCATE {tables}")
            _sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        if DID.objects.exists() or AuditRecord.objects.exists():
            raise BenchmarkRefused(
                "The benchmark starts from empty DID and audit tables, and this database has "
                f"{DID.objects.count():,} DIDs and {AuditRecord.objects.count():,} audit "
                "records. Use an empty database, or pass --reset to TRUNCATE the inventory, "
                "audit, operator, client, package and subscription tables (their data is lost)."
            )

    def setup_world(self) -> None:
        from accounts.models import Reseller, User
        from audit.services import Actor
        from clients.models import Account, Client
        from operators.models import Operator
        from packages.models import Package
        from subscriptions.models import Subscription

        self.reseller, _ = Reseller.objects.get_or_create(name="Benchmark reseller")
        self.user, _ = User.objects.get_or_create(
            username="bench-admin",
            defaults={
                "role": User.Role.ADMIN,
                "is_staff": True,
                "is_superuser": True,
                "reseller": None,
            },
        )
        self.actor = Actor.for_user(self.user)
        self.operator = Operator.objects.create(name="Bench operator", reseller=self.reseller)
        self.client_obj = Client.objects.create(name="Bench client", reseller=self.reseller)
        self.account = Account.objects.create(client=self.client_obj, name="bench_account")
        self.package = Package.objects.create(
            reseller=self.reseller, name="Bench package", did_allowance=self.n, hold_days=30
        )
        self.subscription = Subscription.objects.create(
            client=self.client_obj, package=self.package, start_date=dt.date(2026, 1, 1)
        )
        self.say(
            f"scale {self.scale}: {self.n:,} DIDs; database {connection.settings_dict['NAME']}"
        )

    # --------------------------------------------------------------------------- figure 1
    def _insert_sql(self, first: int, last: int) -> float:
        seconds, _ = _timed(
            lambda: _sql(
                f"""
                INSERT INTO {self.did_table} (number, status, operator_id, reseller_id,
                    after_hold_status, tag, notes, hold_days, created_at, updated_at)
                SELECT g::text, 'in_stock', %s, %s, 'in_stock', '', '', NULL, now(), now()
                FROM generate_series(%s::bigint, %s::bigint) AS g
                """,
                [self.operator.pk, self.reseller.pk, first, last],
            )
        )
        return seconds

    def fig1_baseline(self) -> None:
        n = self.n
        self.fig1 = self.row(
            1,
            f"create_dids, one range of {n:,} DIDs (with audit rows)",
            "s",
            "ratio <= 1.5",
            "ratio_max",
            1.5,
        )
        self.fig1.baseline_name = "INSERT ... SELECT generate_series"
        self.say("1: baseline INSERT ... SELECT generate_series")
        self.fig1.baseline = self._insert_sql(INSERT_BASE, INSERT_BASE + n - 1)
        _sql(f"TRUNCATE {self.did_table} CASCADE")
        self.settle()

    def fig1_ours(self) -> None:
        from inventory.numbers import parse
        from inventory.services import create_dids

        n = self.n
        spec = parse(f"{MAIN_BASE}-{MAIN_BASE + n - 1}", max_range=max(n, settings.DID_RANGE_MAX))
        self.say(f"1: create_dids of {n:,} DIDs")
        seconds, result = _timed(
            lambda: create_dids(spec, operator=self.operator, actor=self.actor)
        )
        if result.created != n:
            raise RuntimeError(f"create_dids created {result.created:,} of {n:,} DIDs")
        self.fig1.ours = seconds

    # --------------------------------------------------------------------------- figure 2
    def _write_import_files(self, directory: Path, n: int) -> tuple[Path, Path]:
        """The same rows twice: in the product's export format, and as table columns."""
        product, table = directory / "import.csv", directory / "copy.csv"
        now = timezone.now().isoformat()
        op, res = self.operator, self.reseller
        statuses = ("instock", "reserved", "archive")
        with (
            open(product, "w", newline="") as f1,
            open(table, "w", newline="") as f2,
        ):
            w1, w2 = csv.writer(f1), csv.writer(f2)
            w1.writerow(
                [
                    "ID",
                    "Status",
                    "Operator",
                    "DID",
                    "Tag",
                    "Notes",
                    "Client",
                    "Account",
                    "Package",
                    "After Hold",
                    "Reseller",
                ]
            )
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
                db_status = "in_stock" if status == "instock" else status
                tag = f"t{i % 5}"
                w1.writerow(["", status, op.name, number, tag, "", "", "", "", "instock", res.name])
                w2.writerow([number, db_status, op.pk, res.pk, "in_stock", tag, "", now, now])
        return product, table

    def fig2_import(self) -> None:
        n = self.n
        ie_rows = self.size(20_000)
        main = self.row(
            2, f"CSV import, {n:,} rows (with audit rows)", "s", "ratio <= 2", "ratio_max", 2
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

            main.baseline, _ = _timed(copy_in)
            copied = _scalar(f"SELECT count(*) FROM {self.did_table}")
            if copied != n:
                raise RuntimeError(f"COPY stored {copied:,} of {n:,} rows")
            _sql(f"TRUNCATE {self.did_table} CASCADE")
            self.settle()

            # Ours, when it exists.
            importer = _find_importer()
            if importer is None:
                main.status = speed.status = NOT_BUILT
                main.notes = "inventory.importing.import_csv_for_benchmark does not exist yet"
            else:
                self.say(f"2: import_csv_for_benchmark of {n:,} rows")
                main.ours, outcome = _timed(
                    lambda: importer(str(product), operator=self.operator, actor=self.actor)
                )
                stored = _scalar(f"SELECT count(*) FROM {self.did_table}")
                main.notes = f"{stored:,} DIDs stored"
                if isinstance(outcome, dict):
                    parts = {k: v for k, v in outcome.items() if "seconds" in k}
                    if parts:
                        main.notes += "; " + ", ".join(f"{k} {v}" for k, v in parts.items())
                if stored != n:
                    main.status = "error: wrong count"
                speed.ours = n / main.ours
                _sql(f"TRUNCATE {self.did_table}, {self.audit_table} CASCADE")
                self.settle()

        # Baseline: django-import-export on a smaller file (it saves row by row).
        self.say(f"2: baseline django-import-export of {ie_rows:,} rows")
        seconds, stored = self._import_export(ie_rows)
        speed.baseline = ie_rows / seconds
        speed.notes = f"import-export took {seconds:.1f} s for {stored:,} rows"
        _sql(f"TRUNCATE {self.did_table} CASCADE")
        self.settle()

    def _import_export(self, rows: int) -> tuple[float, int]:
        import tablib
        from import_export import resources

        from inventory.models import DID

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

            seconds, _totals = _timed(work)
        finally:
            os.unlink(path)
        return seconds, _scalar(f"SELECT count(*) FROM {self.did_table}")

    # --------------------------------------------------------------------------- setup
    def setup_inventory(self) -> None:
        """Half the DIDs get a tag, the search of the mass edit."""
        self.say("setup: tag every other DID")
        _sql(f"UPDATE {self.did_table} SET tag = %s WHERE id %% 2 = 0", [EVEN_TAG])
        self.settle()

    # --------------------------------------------------------------------------- figure 3
    def _probe(self, *args: str) -> dict:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.export_probe", *args],
            cwd=BASE_DIR,
            env=_child_env(ALLOWED_HOSTS="testserver"),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"export probe failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def fig3_export(self) -> None:
        n = self.n
        timing = self.row(3, f"CSV export of {n:,} DIDs, streamed", "s", "<= 5 s", "max", 5)
        memory = self.row(3, "CSV export, peak memory growth", "MB", "< 300 MB", "max", 300)
        timing.baseline_name = memory.baseline_name = "COPY (SELECT ...) TO STDOUT"
        self.say("3: baseline COPY TO STDOUT")
        copy = self._probe("copy")
        timing.baseline, memory.baseline = copy["seconds"], copy["peak_growth_mb"]
        try:
            url = reverse("inventory:did_export")
        except NoReverseMatch:
            timing.status = memory.status = NOT_BUILT
            timing.notes = "URL inventory:did_export does not exist yet"
            return
        self.say(f"3: export through GET {url}")
        ours = self._probe("view", url, str(self.user.pk))
        if ours["status"] != 200:
            raise RuntimeError(f"GET {url} answered {ours['status']}")
        timing.ours, memory.ours = ours["seconds"], ours["peak_growth_mb"]
        timing.notes = (
            f"{ours['lines']:,} lines, {ours['bytes'] / 2**20:,.0f} MB, "
            f"streaming={ours['streaming']}; COPY: {copy['lines']:,} lines"
        )
        memory.notes = f"peak RSS {ours['peak_mb']:,.0f} MB (COPY process {copy['peak_mb']:,.0f})"
        if ours["lines"] < n:
            timing.status = memory.status = "error: short export"

    # --------------------------------------------------------------------------- figure 4
    def _median_ms(self, client: Client, url: str, runs: int) -> tuple[float | None, int]:
        resp = client.get(url)  # warm-up
        if resp.status_code != 200:
            return None, resp.status_code
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            resp = client.get(url)
            if resp.streaming:
                for _chunk in resp.streaming_content:
                    pass
            times.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                return None, resp.status_code
        return statistics.median(times) * 1000, 200

    def fig4_list(self) -> None:
        n = self.n
        prefix = str(MAIN_BASE + n // 2)[:-4]
        runs = 7
        admin_url = "/django-admin/inventory/did/"
        admin_pages = max(1, math.ceil(n / 100))
        cases = [
            ("first page", "", ""),
            (
                "filtered + sorted (in stock, number desc)",
                "?status=in_stock&sort=-number",
                "?status__exact=in_stock&o=-1",
            ),
            (f"DID prefix search ({prefix}…)", f"?did={prefix}&did_match=prefix", f"?q={prefix}"),
            ("deep page (near the end)", None, f"?p={max(1, admin_pages - 1)}"),
        ]
        rows = [
            self.row(4, f"/dids/ {name}, {n:,} DIDs", "ms", "<= 25 ms", "max", 25)
            for name, _o, _a in cases
        ]
        client = Client(raise_request_exception=True)
        client.force_login(self.user)
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for row, (_name, _ours, theirs) in zip(rows, cases, strict=True):
                row.baseline_name = "Django admin changelist"
                self.say(f"4: admin {admin_url}{theirs}")
                row.baseline, code = self._median_ms(client, admin_url + theirs, runs)
                if row.baseline is None:
                    row.notes = f"admin answered {code} for {theirs or 'the first page'}"
            built = True
            try:
                resolve("/dids/")
            except Resolver404:
                built = False
            first = client.get("/dids/") if built else None
            if first is None or first.status_code == 404:
                for row in rows:
                    row.status = NOT_BUILT
                    row.notes = (row.notes + "; " if row.notes else "") + "/dids/ is 404"
                return
            if first.status_code != 200:
                raise RuntimeError(f"/dids/ answered {first.status_code}")
            html = first.content.decode("utf-8", "replace")
            deep = _deep_page_query(html, n)
            sort_key = _number_sort_key(html)
            for row, (_name, ours, _theirs) in zip(rows, cases, strict=True):
                query = deep if ours is None else ours.replace("sort=-number", f"sort=-{sort_key}")
                self.say(f"4: /dids/{query}")
                row.ours, code = self._median_ms(client, "/dids/" + query, runs)
                row.notes = (row.notes + "; " if row.notes else "") + f"/dids/{query}"
                if row.ours is None:
                    row.status = f"error: HTTP {code}"

    # --------------------------------------------------------------------------- figure 5
    def fig5_mass_edit(self) -> None:
        from inventory import lifecycle
        from inventory.models import DID
        from inventory.services import update_dids

        tagged = _scalar(f"SELECT count(*) FROM {self.did_table} WHERE tag = %s", [EVEN_TAG])
        status_row = self.row(
            5,
            f"Set Status to Reserved on a search of {tagged:,} DIDs (lifecycle.change_status)",
            "s",
            "ratio <= 1.5",
            "ratio_max",
            1.5,
        )
        field_row = self.row(
            5,
            f"Edit notes on the same {tagged:,} DIDs (services.update_dids)",
            "s",
            "ratio <= 1.5",
            "ratio_max",
            1.5,
        )
        status_row.baseline_name = field_row.baseline_name = "plain UPDATE ... WHERE"
        t = self.did_table

        self.say(f"5: baseline UPDATE status of {tagged:,} DIDs")
        status_row.baseline, _ = _timed(
            lambda: _sql(
                f"UPDATE {t} SET status = 'reserved', updated_at = now() "
                "WHERE tag = %s AND status IN ('in_stock', 'archive')",
                [EVEN_TAG],
            )
        )
        _sql(f"UPDATE {t} SET status = 'in_stock' WHERE tag = %s", [EVEN_TAG])
        self.settle()
        self.say("5: lifecycle.change_status")
        selection = DID.objects.filter(tag=EVEN_TAG)
        status_row.ours, result = _timed(
            lambda: lifecycle.change_status(selection, "reserved", actor=self.actor, strict=False)
        )
        status_row.notes = f"moved {result.moved:,}"
        if result.moved != tagged:
            status_row.status = "error: wrong count"
        self.settle()

        self.say("5: baseline UPDATE notes")
        field_row.baseline, _ = _timed(
            lambda: _sql(
                f"UPDATE {t} SET notes = 'edited', updated_at = now() "
                "WHERE tag = %s AND notes IS DISTINCT FROM 'edited'",
                [EVEN_TAG],
            )
        )
        _sql(f"UPDATE {t} SET notes = '' WHERE tag = %s", [EVEN_TAG])
        self.settle()
        self.say("5: services.update_dids")
        field_row.ours, changed = _timed(
            lambda: update_dids(selection, {"notes": "edited"}, actor=self.actor)
        )
        field_row.notes = f"changed {changed:,}"
        self.settle()

    # --------------------------------------------------------------------------- figure 6
    def _untagged_selection(self, count: int):
        """The first ``count`` untagged In Stock DIDs, as a queryset (no slicing)."""
        from inventory.models import DID

        base = DID.objects.filter(tag="", status="in_stock")
        ids = base.order_by("id").values_list("id", flat=True)
        cut = ids[count - 1]
        return base.filter(id__lte=cut)

    def fig6_hold_expiry(self) -> None:
        from inventory import lifecycle

        h = self.size(100_000)
        due = self.row(6, f"expire_holds, {h:,} DIDs due", "s", "<= 5 s", "max", 5)
        idle = self.row(6, "expire_holds, nothing due", "ms", "<= 50 ms", "max", 50)
        due.baseline_name = idle.baseline_name = "plain UPDATE ... WHERE due"
        t = self.did_table
        selection = self._untagged_selection(h)
        ids_sql, ids_params = selection.values("id").query.sql_with_params()
        self.held_ids = (ids_sql, list(ids_params))
        self.say(f"6: setup: assign and hold {h:,} DIDs through the lifecycle")
        lifecycle.assign(
            selection, account=self.account, subscription=self.subscription, actor=self.actor
        )
        from inventory.models import DID

        held = DID.objects.filter(subscription=self.subscription, status="active")
        lifecycle.hold(held, actor=self.actor, strict=False)
        _sql(f"UPDATE {t} SET hold_until = now() - interval '1 day' WHERE status = 'on_hold'")
        on_hold = _scalar(f"SELECT count(*) FROM {t} WHERE status = 'on_hold'")
        if on_hold != h:
            raise RuntimeError(f"{on_hold:,} DIDs on hold, expected {h:,}")
        self.settle()

        plain_expire = (
            f"UPDATE {t} SET status = after_hold_status, client_id = NULL, account_id = NULL, "
            "subscription_id = NULL, hold_until = NULL, updated_at = now() "
            "WHERE status = 'on_hold' AND hold_until <= now()"
        )
        self.say("6: baseline plain UPDATE of due holds")
        due.baseline, count = _timed(lambda: _sql(plain_expire))
        if count != h:
            raise RuntimeError(f"baseline expired {count:,}, expected {h:,}")
        # The same state again, for the real thing.
        _sql(
            f"UPDATE {t} SET status = 'on_hold', client_id = %s, account_id = %s, "
            f"subscription_id = %s, hold_until = now() - interval '1 day' WHERE id IN ({ids_sql})",
            [self.client_obj.pk, self.account.pk, self.subscription.pk, *ids_params],
        )
        self.settle()
        self.say("6: lifecycle.expire_holds")
        due.ours, result = _timed(lifecycle.expire_holds)
        due.notes = f"moved {result.moved:,}"
        if result.moved != h:
            due.status = "error: wrong count"
        self.settle()

        runs = 7
        ours_t, base_t = [], []
        for _ in range(runs):
            base_t.append(_timed(lambda: _sql(plain_expire))[0])
            seconds, result = _timed(lifecycle.expire_holds)
            ours_t.append(seconds)
            if result.moved:
                raise RuntimeError("expire_holds moved DIDs when none were due")
        idle.ours = statistics.median(ours_t) * 1000
        idle.baseline = statistics.median(base_t) * 1000
        idle.notes = f"median of {runs}"

    # --------------------------------------------------------------------------- figure 7
    def fig7_routing(self) -> None:
        from api.models import ApiToken
        from inventory import lifecycle

        n = self.n
        ours = self.row(
            7, "Routing lookups over HTTP (gunicorn)", "lookups/s", ">= 2000/s", "min", 2000
        )
        ours.baseline_name = "hello-world WSGI app, same server"
        seconds = self.routing_seconds or max(1.0, min(10.0, 10 * self.scale))
        warmup = 1.0 if seconds >= 5 else 0.3
        active = self.size(100_000)
        self.say(f"7: setup: assign {active:,} DIDs (routable)")
        lifecycle.assign(
            self._untagged_selection(active),
            account=self.account,
            subscription=self.subscription,
            actor=self.actor,
        )
        rng = random.Random(7)
        sample = [str(MAIN_BASE + rng.randrange(n)) for _ in range(min(n, 20_000))]
        paths = [f"/api/v1/route/{number}" for number in sample]
        token, key = ApiToken.issue(name="benchmark", reseller=self.reseller)
        try:
            job = {
                "paths": paths,
                "headers": {"Authorization": f"Bearer {key}"},
                "clients": self.routing_clients,
                "seconds": seconds,
                "warmup": warmup,
            }
            self.say(f"7: baseline hello-world WSGI, {seconds:.0f} s")
            base = self._drive("bench.hello_wsgi:application", job)
            ours.baseline = base["per_second"]
            self.say(f"7: GET /api/v1/route/<number>, {seconds:.0f} s")
            result = self._drive("config.wsgi:application", job)
            ours.ours = result["per_second"]
            routable = _scalar(
                f"SELECT count(*) FROM unnest(%s::text[]) AS s(number) "
                f"JOIN {self.did_table} d ON d.number = s.number AND d.status = 'active'",
                [sample],
            )
            ours.notes = (
                f"{self.routing_workers} gthread workers x {self.routing_threads} threads, "
                f"{self.routing_clients} keep-alive client processes, {seconds:.0f} s; "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
                f"responses {result['counts']}; {routable / len(sample):.0%} of numbers routable"
            )
            bad = {k: v for k, v in result["counts"].items() if k != "200"}
            if bad:
                ours.status = f"error: {bad}"
        finally:
            token.delete()

    def _drive(self, app: str, job: dict) -> dict:
        port = _free_port()
        fd, log_name = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        os.close(fd)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.routing_workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.routing_threads),
            "--keep-alive",
            "30",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--error-logfile",
            log_name,
        ]
        server = subprocess.Popen(
            cmd,
            cwd=BASE_DIR,
            env=_child_env(ALLOWED_HOSTS="127.0.0.1,localhost"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for_http(port, server, log_name)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.loadgen"],
                input=json.dumps({**job, "port": port}),
                cwd=BASE_DIR,
                capture_output=True,
                text=True,
                timeout=job["seconds"] + job["warmup"] + 120,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
            return json.loads(proc.stdout.strip().splitlines()[-1])
        finally:
            _stop(server)
            errors = Path(log_name).read_text(errors="replace")
            os.unlink(log_name)
            if "Traceback" in errors:
                self.say(f"gunicorn logged errors:\n{errors[-3000:]}")


# --------------------------------------------------------------------------- module helpers


def _find_importer():
    if importlib.util.find_spec("inventory.importing") is None:
        return None
    module = importlib.import_module("inventory.importing")
    return getattr(module, "import_csv_for_benchmark", None)


_LINK = re.compile(r"""<a\b([^>]*)>(.*?)</a>""", re.I | re.S)
_HREF = re.compile(r"""href=["']([^"']*)["']""", re.I)


def _links(html: str) -> list[tuple[str, str, str]]:
    """(query string, tag attributes, text) of every link with a query string."""
    import html as html_lib

    found = []
    for attrs, text in _LINK.findall(html):
        m = _HREF.search(attrs)
        if m and "?" in m.group(1):
            href = html_lib.unescape(m.group(1))
            label = re.sub(r"<[^>]+>", "", text).strip()
            found.append((href[href.index("?") :], attrs.lower(), label))
    return found


def _deep_page_query(html: str, n: int) -> str:
    """The query string of a page near the end of the list, read from the first page's links.

    Prefers a link marked or labelled "last"; else the highest ``page=`` number seen; else a
    guess of ``page`` for 100 rows a page.
    """
    best_page, best_query = 0, None
    for query, attrs, label in _links(html):
        if 'rel="last"' in attrs or "last page" in attrs or label.lower().startswith("last"):
            return query
        m = re.search(r"[?&]page=(\d+)", query)
        if m and int(m.group(1)) > best_page:
            best_page, best_query = int(m.group(1)), query
    if best_query:
        return best_query
    return f"?page={max(1, n // 100 - 1)}"


def _number_sort_key(html: str) -> str:
    """The list's sort key for the DID number column (``sort=<key>`` on its header link)."""
    for query, _attrs, label in _links(html):
        m = re.fullmatch(r"\?sort=-?([\w.]+)", query)
        if m and label.split()[0:1] in (["DID"], ["Number"], ["DIDs"]):
            return m.group(1)
    return "number"


def _wait_for_http(port: int, server: subprocess.Popen, log: str, timeout: float = 60) -> None:
    import http.client

    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log).read_text(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/route/1")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)

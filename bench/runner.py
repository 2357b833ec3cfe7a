"""The benchmark: the product's paths against plain baselines, side by side in one run.

Every figure is measured on the same database in the same run as its baseline, so machine
noise cancels out in the ratio. Data is set up with set-based SQL; one reseller, operator,
client, account, package and subscription are created through the ORM. See README.md,
"Benchmark", for how to run it and the last full-scale results.

Each figure is a mixin (``bench.figures_*``) that calls the product's public functions;
this module holds the run: its world, its order, its rows and its report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from accounts.models import Reseller, User
from audit.models import ChangeSet
from audit.services import Actor
from clients.models import Account, Client
from inventory.models import DID
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

from .figures_api import ApiFigures
from .figures_create import CreateFigures
from .figures_filters import FilterFigures
from .figures_import import ImportFigures
from .figures_lifecycle import LifecycleFigures
from .figures_read import ReadFigures
from .figures_routing import RoutingFigures
from .helpers import run_sql, scalar, table_of
from .report import EVEN_TAG, FULL, GROUPS, MEASURED, BenchmarkRefused, Row, format_table

__all__ = ["Benchmark", "BenchmarkRefused", "format_table"]


@dataclass
class Benchmark(
    CreateFigures,
    ImportFigures,
    ReadFigures,
    LifecycleFigures,
    RoutingFigures,
    ApiFigures,
    FilterFigures,
):
    scale: float = 1.0
    reset: bool = False
    routing_seconds: float | None = None
    routing_workers: int = 2
    routing_threads: int = 2
    routing_clients: int = 4
    # Only these figures (None: all); figure 1 (creating the DIDs) always runs: the others
    # read and write those.
    figures: frozenset[int] | None = None
    # Figure 2's django-import-export row (information only) saves row by row: minutes.
    import_export: bool = True
    log: Callable[[str], None] = print
    rows: list[Row] = field(default_factory=list)
    started: float = 0.0

    @property
    def actor(self) -> Actor:
        """The benchmark's user, acting anew: each figure is a user action of its own, with
        a change set of its own, as on the pages."""
        return Actor.for_user(self.user)

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
        for table in tables or (self.did_table, self.entry_table, self.change_set_table):
            run_sql(f"VACUUM (ANALYZE) {table}")
        with contextlib.suppress(Exception):  # not every role may; only a nicety
            run_sql("CHECKPOINT")

    # --------------------------------------------------------------------------------------
    def run(self) -> dict:
        self.started = time.perf_counter()
        self.load_at_start = list(os.getloadavg())
        self.did_table = table_of("inventory.DID")
        self.entry_table = table_of("audit.Entry")  # partitioned by month
        self.change_set_table = table_of("audit.ChangeSet")
        self.audit_table = f"{self.entry_table}, {self.change_set_table}"  # to TRUNCATE
        self.check_empty()
        self.setup_world()
        # Each figure's baseline runs right next to it, so both see the same machine load.
        steps = [
            (2, self.fig2_import),
            (1, self.fig1_baseline),
            (1, self.fig1_ours),
            (9, self.fig9_count_after_create),
            (0, self.setup_inventory),
            (3, self.fig3_export),
            (4, self.fig4_list),
            (5, self.fig5_mass_edit),
            (6, self.fig6_hold_expiry),
            (7, self.fig7_routing),
            (8, self.fig8_api_list),
            (9, self.fig9_filters),
            (9, self.fig9_load),
        ]
        needed = (self.fig1_ours, self.setup_inventory)
        if self.figures is not None:
            steps = [(g, s) for g, s in steps if g in self.figures or s in needed]
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
                "postgresql": scalar("SHOW server_version"),
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
        if self.reset:
            labels = [
                "inventory.DID",
                "audit.Entry",
                "audit.ChangeSet",
                "subscriptions.Subscription",
                "packages.Package",
                "clients.Account",
                "clients.Client",
                "operators.Operator",
            ]
            tables = ", ".join(table_of(label) for label in labels)
            self.say(f"--reset: TRUNCATE {tables}")
            run_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        if DID.objects.exists() or ChangeSet.objects.exists():
            raise BenchmarkRefused(
                "The benchmark starts from empty DID and audit tables, and this database has "
                f"{DID.objects.count():,} DIDs and {ChangeSet.objects.count():,} audit "
                "change sets. Use an empty database, or pass --reset to TRUNCATE the inventory, "
                "audit, operator, client, package and subscription tables (their data is lost)."
            )

    def setup_world(self) -> None:
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

    # --------------------------------------------------------------------------- setup
    def setup_inventory(self) -> None:
        """Half the DIDs get a tag, the search of the mass edit."""
        self.say("setup: tag every other DID")
        run_sql(f"UPDATE {self.did_table} SET tag = %s WHERE id %% 2 = 0", [EVEN_TAG])
        self.settle()

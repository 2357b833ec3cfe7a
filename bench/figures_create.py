"""Figure 1: creating a range of DIDs (``inventory.services.create_dids``) against
``INSERT ... SELECT generate_series``.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

from django.conf import settings

from inventory.choices import AfterHold, Status
from inventory.numbers import parse
from inventory.services import create_dids

from .helpers import bare, run_sql, timed
from .report import INSERT_BASE, MAIN_BASE


class CreateFigures:
    def _insert_sql(self, first: int, last: int) -> float:
        seconds, _ = timed(
            lambda: run_sql(
                f"""
                INSERT INTO {self.did_table} (number, status, operator_id, reseller_id,
                    after_hold_status, tag, notes, hold_days, created_at, updated_at)
                SELECT g::text, %s, %s, %s, %s, '', '', NULL, now(), now()
                FROM generate_series(%s::bigint, %s::bigint) AS g
                """,
                [
                    Status.IN_STOCK.value,
                    self.operator.pk,
                    self.reseller.pk,
                    AfterHold.IN_STOCK.value,
                    first,
                    last,
                ],
            )
        )
        return seconds

    def fig1_baseline(self) -> None:
        n = self.n
        self.fig1 = self.row(
            1,
            f"create_dids, one range of {n:,} DIDs (with audit rows)",
            "s",
            "ratio <= 1.25",
            "ratio_max",
            1.25,
        )
        self.fig1.baseline_name = "INSERT ... SELECT generate_series"
        self.say("1: baseline INSERT ... SELECT generate_series")
        with bare(self.did_table):
            self.fig1.baseline = self._insert_sql(INSERT_BASE, INSERT_BASE + n - 1)
        run_sql(f"TRUNCATE {self.did_table} CASCADE")
        self.settle()

    def fig1_ours(self) -> None:
        n = self.n
        spec = parse(f"{MAIN_BASE}-{MAIN_BASE + n - 1}", max_range=max(n, settings.DID_RANGE_MAX))
        self.say(f"1: create_dids of {n:,} DIDs")
        seconds, result = timed(lambda: create_dids(spec, operator=self.operator, actor=self.actor))
        if result.created != n:
            raise RuntimeError(f"create_dids created {result.created:,} of {n:,} DIDs")
        if hasattr(self, "fig1"):  # not when figure 1 is left out (--figures)
            self.fig1.ours = seconds

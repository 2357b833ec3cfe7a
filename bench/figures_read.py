"""Figures 3 and 4: the CSV export (in a child process, for its memory) against
``COPY TO STDOUT``, and the inventory list's server time against the Django admin.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from .helpers import BASE_DIR, child_env, deep_page_query, number_sort_key
from .report import MAIN_BASE, NOT_BUILT


class ReadFigures:
    def _probe(self, *args: str) -> dict:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.export_probe", *args],
            cwd=BASE_DIR,
            env=child_env(ALLOWED_HOSTS="testserver"),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"export probe failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def fig3_export(self) -> None:
        n = self.n
        timing = self.row(3, f"CSV export of {n:,} DIDs", "s", "<= 5 s", "max", 5)
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
        how = f"GET {url}"
        if ours["status"] == 302:  # this many rows: the page hands the export to a job
            self.say("3: export as the page does at this size: a background job writes the file")
            ours = self._probe("job", str(self.user.pk))
            how = "the export job (jobs.services.run) writing its file; the page answers 302"
        if ours["status"] != 200:
            raise RuntimeError(f"GET {url} answered {ours['status']}")
        timing.ours, memory.ours = ours["seconds"], ours["peak_growth_mb"]
        timing.notes = (
            f"{how}: {ours['lines']:,} lines, {ours['bytes'] / 2**20:,.0f} MB, "
            f"streaming={ours['streaming']}; COPY: {copy['lines']:,} lines"
        )
        memory.notes = f"peak RSS {ours['peak_mb']:,.0f} MB (COPY process {copy['peak_mb']:,.0f})"
        if ours["lines"] < n:
            timing.status = memory.status = "error: short export"
        self.fig3_xlsx(copy)

    def fig3_xlsx(self, copy: dict) -> None:
        """The XLSX export job (always a job) of every DID: <= 60 s at 1,000,000 rows, with
        flat memory (``core.xlsx``); against COPY TO STDOUT of the same rows."""
        n = self.n
        timing = self.row(
            3, f"XLSX export of {n:,} DIDs (the export job)", "s", "<= 60 s", "max", 60
        )
        memory = self.row(3, "XLSX export, peak memory growth", "MB", "< 300 MB", "max", 300)
        timing.baseline_name = memory.baseline_name = "COPY (SELECT ...) TO STDOUT"
        timing.baseline, memory.baseline = copy["seconds"], copy["peak_growth_mb"]
        self.say("3: the XLSX export job writing its file")
        ours = self._probe("job", str(self.user.pk), "xlsx")
        if ours["status"] != 200:
            raise RuntimeError(f"the XLSX export job failed: {ours.get('message', '')}")
        timing.ours, memory.ours = ours["seconds"], ours["peak_growth_mb"]
        timing.notes = f"{ours['lines'] - 1:,} rows, {ours['bytes'] / 2**20:,.0f} MB"
        memory.notes = f"peak RSS {ours['peak_mb']:,.0f} MB"
        if ours["lines"] - 1 < n:
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
            deep = deep_page_query(html, n)
            sort_key = number_sort_key(html)
            for row, (_name, ours, _theirs) in zip(rows, cases, strict=True):
                query = deep if ours is None else ours.replace("sort=-number", f"sort=-{sort_key}")
                self.say(f"4: /dids/{query}")
                row.ours, code = self._median_ms(client, "/dids/" + query, runs)
                row.notes = (row.notes + "; " if row.notes else "") + f"/dids/{query}"
                if row.ours is None:
                    row.status = f"error: HTTP {code}"

"""Figure 9: the DID Inventory filtered by status, operator, reseller, tag and client in
combination, under every sort the list offers, server time at a million DIDs; the count right
after creating them; and the list under concurrent load (wrk-style, through gunicorn).

The run's DIDs all belong to one operator, reseller and client by then; this figure first
spreads them the way a real inventory is: ranges bought from ten operators (contiguous id and
number blocks) under two resellers, half reserved, a tenth of two operators' numbers assigned
to twenty clients, a 5% archived block, a spread tag and a clustered one. Set-based SQL, so
the counts table's triggers keep up as they do for any write.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.test.utils import override_settings

from accounts.models import Reseller
from clients.models import Account
from clients.models import Client as Customer
from inventory.choices import Status
from inventory.tables import DIDTable
from operators.models import Operator
from subscriptions.models import Subscription

from .helpers import run_sql, scalar, timed

ROWS_INFO = re.compile(r'id="rows-info">([^<]*)<')


def rows_info(response) -> str:
    """The list page's "Rows X - Y of N"."""
    found = ROWS_INFO.search(response.content.decode("utf-8", "replace"))
    return found.group(1).strip() if found else f"(no rows info: HTTP {response.status_code})"


OPERATORS = 10  # the last two under a second reseller
CLIENTS = 20
# Every sort the list offers, both ways.
SORTS = [s for key in DIDTable.sorts() for s in (key, f"-{key}")]
RUNS = 5


class FilterFigures:
    def fig9_count_after_create(self) -> None:
        """Right after figure 1 created the DIDs: the list's exact count, and its first page."""
        row = self.row(
            9,
            f"/dids/ right after creating {self.n:,} DIDs: exact count",
            "ms",
            "<= 25 ms",
            "max",
            25,
        )
        row.baseline_name = "SELECT count(*) of the DID table"
        client = self._list_client()
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            shown = rows_info(client.get("/dids/"))
            row.ours, _ = self._median(client, "/dids/")
        row.baseline, _ = timed(lambda: scalar(f"SELECT count(*) FROM {self.did_table}"))
        row.baseline *= 1000
        row.notes = f"the page says “{shown}”; DIDs created {self.n:,}"
        if not shown.endswith(f" of {self.n:,}"):
            row.status = "error: not the exact count"

    # --------------------------------------------------------------------------- world
    def _spread(self) -> dict:
        t = self.did_table
        second = Reseller.objects.get_or_create(name="Benchmark reseller 2")[0]
        ops = [self.operator] + [
            Operator.objects.create(
                name=f"Bench operator {i}", reseller=self.reseller if i < 8 else second
            )
            for i in range(1, OPERATORS)
        ]
        clients = []
        for i in range(CLIENTS):
            c = Customer.objects.create(name=f"Bench customer {i:02d}", reseller=self.reseller)
            acc = Account.objects.create(client=c, name=f"bench_acc_{i:02d}")
            sub = Subscription.objects.create(
                client=c, package=self.package, start_date=dt.date(2026, 1, 1)
            )
            clients.append((c.pk, acc.pk, sub.pk))
        op_ids = [o.pk for o in ops]
        op_res = [o.reseller_id for o in ops]
        self.say("9: setup: spread the DIDs over operators, resellers, statuses, tags, clients")
        run_sql(
            f"""
            UPDATE {t} d SET operator_id = (%s::bigint[])[b.k], reseller_id = (%s::bigint[])[b.k],
                status = CASE WHEN d.id %% 2 = 0 THEN '{Status.RESERVED.value}'
                              ELSE '{Status.IN_STOCK.value}' END,
                client_id = NULL, account_id = NULL, subscription_id = NULL, hold_until = NULL,
                tag = CASE WHEN d.id %% 2 = 0 THEN 'bench-even' WHEN d.id %% 50 = 1 THEN 'gold'
                           ELSE '' END
            FROM (SELECT id, ntile({OPERATORS}) OVER (ORDER BY id) AS k FROM {t}) b
            WHERE b.id = d.id
            """,
            [op_ids, op_res],
        )
        # A clustered tag: one operator's last 10,000 numbers (a late block in every order).
        run_sql(
            f"UPDATE {t} SET tag = 'vip' WHERE id IN (SELECT id FROM {t} WHERE operator_id = %s "
            "ORDER BY id DESC LIMIT %s)",
            [op_ids[9], self.size(10_000)],
        )
        # Archive: a 5% block of operator 3.
        run_sql(
            f"UPDATE {t} SET status = '{Status.ARCHIVE.value}' WHERE id IN (SELECT id FROM {t} "
            "WHERE operator_id = %s ORDER BY id LIMIT %s)",
            [op_ids[3], self.size(50_000)],
        )
        # Assigned: a fifth of operators 1 and 2's in-stock numbers, over twenty clients;
        # a third of those blocked.
        cl = [c for c, _a, _s in clients]
        ac = [a for _c, a, _s in clients]
        sb = [s for _c, _a, s in clients]
        run_sql(
            f"""
            UPDATE {t} SET status = CASE WHEN id %% 30 = 3 THEN '{Status.BLOCKED.value}'
                                    ELSE '{Status.ACTIVE.value}' END,
                client_id = (%s::bigint[])[1 + (id / 10) %% {CLIENTS}],
                account_id = (%s::bigint[])[1 + (id / 10) %% {CLIENTS}],
                subscription_id = (%s::bigint[])[1 + (id / 10) %% {CLIENTS}]
            WHERE operator_id = ANY(%s) AND status = '{Status.IN_STOCK.value}'
                AND id %% 10 IN (1, 3)
            """,
            [cl, ac, sb, op_ids[1:3]],
        )
        self.settle(self.did_table)
        return {"ops": op_ids, "second": second.pk, "client": Customer.objects.get(pk=cl[5])}

    def _cases(self, world: dict) -> list[tuple[str, dict]]:
        ops = world["ops"]
        return [
            ("in stock", {"status": "in_stock"}),
            ("one operator", {"operator": ops[7]}),
            (
                "in stock, one operator (the issue's case)",
                {"status": "in_stock", "operator": ops[7]},
            ),
            ("reserved, second reseller", {"status": "reserved", "reseller": world["second"]}),
            ("tag gold (2%, spread), in stock", {"tag": "gold", "status": "in_stock"}),
            ("tag vip (1%, clustered late), its operator", {"tag": "vip", "operator": ops[9]}),
            ("one client, active", {"client": world["client"].name, "status": "active"}),
            (
                "active or blocked, one operator",
                {"status": [Status.ACTIVE.value, Status.BLOCKED.value], "operator": ops[2]},
            ),
            ("archive, tag bench-even", {"status": "archive", "tag": "bench-even"}),
            (
                "in stock, gold, one operator, its reseller",
                {
                    "status": "in_stock",
                    "tag": "gold",
                    "operator": ops[3],
                    "reseller": self.reseller.pk,
                },
            ),
        ]

    # --------------------------------------------------------------------------- measure
    def _list_client(self) -> Client:
        client = Client(raise_request_exception=True)
        client.force_login(self.user)
        return client

    def _median(self, client: Client, url: str, data=None, runs: int = RUNS) -> tuple[float, int]:
        resp = client.get(url, data)
        if resp.status_code != 200:
            return None, resp.status_code
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            resp = client.get(url, data)
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000, resp.status_code

    def fig9_filters(self) -> None:
        world = self._spread()
        cases = self._cases(world)
        client = self._list_client()
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for name, search in cases:
                row = self.row(
                    9,
                    f"/dids/ {name}: the slowest of {len(SORTS)} sorts",
                    "ms",
                    "<= 25 ms",
                    "max",
                    25,
                )
                row.baseline_name = "the unfiltered first page"
                row.baseline, _ = self._median(client, "/dids/")
                worst, worst_sort = 0.0, ""
                for sort in SORTS:
                    ms, code = self._median(client, "/dids/", {**search, "sort": sort}, runs=3)
                    if ms is None:
                        row.status = f"error: HTTP {code} for sort {sort}"
                        break
                    if ms > worst:
                        worst, worst_sort = ms, sort
                shown = rows_info(client.get("/dids/", search))
                row.ours = worst
                row.notes = f"“{shown}”; slowest sort {worst_sort}; search {search}"
                self.say(f"9: {name}: “{shown}”, slowest {worst_sort} {worst:.1f} ms")
        self.fig9_world = world

    def fig9_load(self) -> None:
        """The list under concurrent load: first pages of the figure's searches, round robin,
        through gunicorn (as figure 7), with a logged-in session."""
        world = getattr(self, "fig9_world", None)
        searches = [s for _n, s in self._cases(world)] if world else [{}]
        seconds = self.routing_seconds or max(1.0, min(10.0, 10 * self.scale))
        row = self.row(9, "/dids/ under concurrent load (gunicorn)", "pages/s", "information")
        filtered = self.row(
            9, "/dids/ in stock, one operator under concurrent load", "pages/s", "information"
        )
        row.baseline_name = filtered.baseline_name = "hello-world WSGI app, same server"
        store = SessionStore()
        store[SESSION_KEY] = str(self.user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        store[HASH_SESSION_KEY] = self.user.get_session_auth_hash()
        store.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
        paths = ["/dids/?" + urlencode(s, doseq=True) for s in searches]
        job = {
            "headers": {"Cookie": cookie},
            "clients": self.routing_clients,
            "seconds": seconds,
            "warmup": 1.0 if seconds >= 5 else 0.3,
        }
        self.say(f"9: baseline hello-world WSGI, {seconds:.0f} s")
        base = self._drive("bench.hello_wsgi:application", {**job, "paths": paths})
        row.baseline = filtered.baseline = base["per_second"]
        for r, ps in ((row, paths), (filtered, [paths[2]] if world else paths)):
            self.say(f"9: {ps[0]} ... under load, {seconds:.0f} s")
            result = self._drive("config.wsgi:application", {**job, "paths": ps})
            r.ours = result["per_second"]
            r.notes = (
                f"{self.routing_workers} gthread workers x {self.routing_threads} threads, "
                f"{self.routing_clients} keep-alive clients, {seconds:.0f} s; "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
                f"responses {result['counts']}"
            )
            bad = {k: v for k, v in result["counts"].items() if k != "200"}
            if bad:
                r.status = f"error: {bad}"
        store.delete()

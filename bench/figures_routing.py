"""Figure 7: routing lookups over HTTP (gunicorn) against a hello-world WSGI app.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from api.models import ApiToken
from inventory import lifecycle

from .helpers import BASE_DIR, child_env, free_port, scalar, stop_server, wait_for_http
from .report import MAIN_BASE


class RoutingFigures:
    def fig7_routing(self) -> None:

        n = self.n
        ours = self.row(
            7, "Routing lookups over HTTP (gunicorn)", "lookups/s", ">= 3000/s", "min", 3000
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
            routable = scalar(
                f"SELECT count(*) FROM unnest(%s::text[]) AS s(number) "
                f"JOIN {self.did_table} d ON d.number = s.number AND d.status = ANY(%s)",
                [sample, lifecycle.values(lifecycle.ROUTABLE)],
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
        port = free_port()
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
            env=child_env(ALLOWED_HOSTS="127.0.0.1,localhost"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_http(port, server, log_name)
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
            stop_server(server)
            errors = Path(log_name).read_text(errors="replace")
            os.unlink(log_name)
            if "Traceback" in errors:
                self.say(f"gunicorn logged errors:\n{errors[-3000:]}")

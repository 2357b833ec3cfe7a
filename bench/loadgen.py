"""A bounded concurrent HTTP client for the routing benchmark (no Django in here).

    python -m bench.loadgen < job.json     # prints one JSON line with the result

job: {"port", "paths": [...], "headers": {...}, "clients", "seconds", "warmup"}. Each client
is its own process with one keep-alive connection to 127.0.0.1, sending requests back to back
(reconnecting if the server closes the connection); only responses completed inside the
measured window count.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import sys
import time


def _client(job: dict, index: int, start_at: float, queue) -> None:
    paths = job["paths"]
    headers = job.get("headers") or {}
    measure_from = start_at + job["warmup"]
    stop_at = measure_from + job["seconds"]
    counts: dict[str, int] = {}
    latencies: list[float] = []
    done = 0
    conn = None
    i = index * 7919
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        now = time.time()
        if now >= stop_at:
            break
        path = paths[i % len(paths)]
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=10)
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            t1 = time.perf_counter()
            status = str(resp.status)
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            t1 = t0 = 0.0
            if conn is not None:
                conn.close()
            conn = None
        if time.time() >= measure_from and time.time() < stop_at:
            counts[status] = counts.get(status, 0) + 1
            done += 1
            if t1 and len(latencies) < 200_000:
                latencies.append(t1 - t0)
    if conn is not None:
        conn.close()
    queue.put({"counts": counts, "latencies": latencies, "done": done})


def run(job: dict) -> dict:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 0.3
    procs = [
        ctx.Process(target=_client, args=(job, n, start_at, queue)) for n in range(job["clients"])
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=job["seconds"] + job["warmup"] + 60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    counts: dict[str, int] = {}
    latencies: list[float] = []
    for r in results:
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
        latencies += r["latencies"]
    latencies.sort()
    ok = sum(v for k, v in counts.items() if k in ("200", "404"))

    def pct(p: float) -> float | None:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else None

    return {
        "requests": sum(counts.values()),
        "ok": ok,
        "per_second": ok / job["seconds"],
        "counts": counts,
        "p50_ms": pct(0.5) * 1000 if latencies else None,
        "p99_ms": pct(0.99) * 1000 if latencies else None,
        "clients": job["clients"],
        "seconds": job["seconds"],
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))

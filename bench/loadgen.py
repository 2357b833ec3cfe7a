"""A bounded concurrent HTTP client for the routing benchmark (no Django in here).

    python -m bench.loadgen < job.json     # prints one JSON line with the result

job: {"port", "paths": [...], "headers": {...}, "clients", "seconds", "warmup"}. Each client
is its own process with one keep-alive HTTP/1.1 connection to 127.0.0.1, sending requests back
to back (reconnecting if the server closes the connection); only requests started inside the
measured window count.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import socket
import sys
import time


class _Conn:
    """One keep-alive HTTP/1.1 connection on a raw socket.

    Lighter than http.client (which costs as much CPU per request as a small server view),
    so that on a 2-core machine the client leaves the cores to the server under test.
    """

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, raw: bytes) -> tuple[int, bool]:
        """Send one request; return (status, server keeps the connection open)."""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by server")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, keep = 0, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by server")
            rest += chunk
        self.buf = rest[length:]
        return status, keep

    def close(self) -> None:
        self.sock.close()


def _client(job: dict, index: int, start_at: float, queue) -> None:
    headers = "".join(f"{k}: {v}\r\n" for k, v in (job.get("headers") or {}).items())
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() for path in job["paths"]
    ]
    measure_from = start_at + job["warmup"]
    stop_at = measure_from + job["seconds"]
    counts: dict[str, int] = {}
    latencies: list[float] = []
    conn = None
    i = index * 7919
    while time.time() < start_at:
        time.sleep(0.001)
    clock = time.perf_counter
    while True:
        now = time.time()
        if now >= stop_at:
            break
        raw = requests[i % len(requests)]
        i += 1
        t0 = clock()
        try:
            if conn is None:
                conn = _Conn(job["port"])
            code, keep = conn.request(raw)
            status = str(code)
            if not keep:
                conn.close()
                conn = None
        except (OSError, ValueError, IndexError) as exc:
            status = type(exc).__name__
            if conn is not None:
                conn.close()
            conn = None
        t1 = clock()
        if now >= measure_from:
            counts[status] = counts.get(status, 0) + 1
            if len(latencies) < 200_000:
                latencies.append(t1 - t0)
    if conn is not None:
        conn.close()
    queue.put({"counts": counts, "latencies": latencies})


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

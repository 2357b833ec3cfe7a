"""Measures one export in a fresh process: wall time and peak memory.

    python -m bench.export_probe view <url> <user id>   # GET through django.test.Client
    python -m bench.export_probe job <user id> [xlsx]    # the background export job's work
    python -m bench.export_probe copy                    # COPY (SELECT ...) TO STDOUT

Prints one JSON line: seconds, bytes, lines, status, rss_before_mb, peak_mb, peak_growth_mb.
The export is consumed and thrown away, as a client downloading it would.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

EXPORT_SQL = """
COPY (
    SELECT d.id AS "ID", d.status AS "Status", o.name AS "Operator", d.number AS "DID",
           d.tag AS "Tag", d.notes AS "Notes", c.name AS "Client", a.name AS "Account",
           p.name AS "Package", d.after_hold_status AS "After Hold", r.name AS "Reseller"
    FROM inventory_did d
    JOIN operators_operator o ON o.id = d.operator_id
    JOIN accounts_reseller r ON r.id = d.reseller_id
    LEFT JOIN clients_client c ON c.id = d.client_id
    LEFT JOIN clients_account a ON a.id = d.account_id
    LEFT JOIN subscriptions_subscription s ON s.id = d.subscription_id
    LEFT JOIN packages_package p ON p.id = s.package_id
    ORDER BY d.id
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _view(url: str, user_id: int) -> dict:
    from django.test import Client

    from accounts.models import User

    client = Client(raise_request_exception=True)
    client.force_login(User.objects.get(pk=user_id))
    client.get("/healthz")  # connect and warm the URLconf outside the measurement
    rss = _rss_mb()
    t0 = time.perf_counter()
    resp = client.get(url)
    size = lines = 0
    if resp.status_code == 200:
        chunks = resp.streaming_content if resp.streaming else [resp.content]
        for chunk in chunks:
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    return {
        "status": resp.status_code,
        "streaming": bool(resp.streaming),
        "content_type": resp.get("Content-Type", ""),
        "seconds": seconds,
        "bytes": size,
        "lines": lines,
        "rss_before_mb": rss,
    }


def _job(user_id: int, fmt: str = "csv") -> dict:
    """What a big export is: the page hands it to a job, and the worker writes its file
    (``jobs.services.run``, here in this process). The job and its file are removed after.
    An XLSX file has no lines to count: ``lines`` is then the rows the job says it wrote."""
    from accounts.models import User
    from jobs import services
    from jobs.models import Job

    user = User.objects.get(pk=user_id)
    job = Job.objects.create(
        kind=Job.Kind.EXPORT_XLSX if fmt == "xlsx" else Job.Kind.EXPORT_CSV,
        user=user,
        reseller_id=user.reseller_id,
        params={"q": "", "file_name": f"benchmark.{fmt}"},
    )
    rss = _rss_mb()
    t0 = time.perf_counter()
    services.run(job.pk)
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    size = lines = 0
    if job.status == Job.Status.DONE and job.file_path:
        with open(job.file_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                size += len(chunk)
                lines += chunk.count(b"\n")
        if fmt == "xlsx":
            lines = job.total + 1  # the header row
    result = {
        "status": 200 if job.status == Job.Status.DONE else 500,
        "streaming": False,
        "seconds": seconds,
        "bytes": size,
        "lines": lines,
        "rss_before_mb": rss,
        "message": job.message,
    }
    services.remove_file(job.file_path)
    job.delete()
    return result


def _copy() -> dict:
    from django.db import connection

    connection.ensure_connection()
    rss = _rss_mb()
    t0 = time.perf_counter()
    size = lines = 0
    with connection.connection.cursor() as cur, cur.copy(EXPORT_SQL) as copy:
        for chunk in copy:
            size += len(chunk)
            lines += bytes(chunk).count(b"\n")
    seconds = time.perf_counter() - t0
    return {"status": 200, "seconds": seconds, "bytes": size, "lines": lines, "rss_before_mb": rss}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if argv[0] == "view":
        result = _view(argv[1], int(argv[2]))
    elif argv[0] == "job":
        result = _job(int(argv[1]), *argv[2:3])
    else:
        result = _copy()
    result["peak_mb"] = _peak_mb()
    result["peak_growth_mb"] = max(0.0, result["peak_mb"] - result["rss_before_mb"])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

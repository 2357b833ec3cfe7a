"""Issue 7, item 11: the run command cleans up after itself, and the benchmark command and
``EMBEDDED_PG_DATABASE`` work on a fresh database.

The run test starts the real run command (app.sh's ``serve``: everything ``./app.sh run``
does after its install step) on a private embedded PostgreSQL and a free port, presses
Ctrl-C (SIGINT to its process group, as a terminal does) and checks that everything it
started is gone, the embedded server included, with no shell error.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import connection

from bench.dburl import database_url as url_of
from config import embedded_pg

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra) -> dict:
    """The environment of a fresh shell: no database, broker, port or DEBUG from this test
    run (``./app.sh test`` sets DEBUG=0, with which runserver would refuse to start)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PORT", "HOST", "DEBUG")
        and not k.startswith(("PYTEST", "EMBEDDED_"))
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postmaster(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _running(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _group(pgid: int) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
    return found


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def pgdata(tmp_path_factory):
    """A private embedded PostgreSQL data directory, stopped at the end whatever happened."""
    path = tmp_path_factory.mktemp("embedded") / "pgdata"
    yield path
    pid = _postmaster(path)
    if _running(pid):
        subprocess.run(
            [sys.executable, "-m", "config.embedded_pg", "release", "0"],
            cwd=ROOT,
            env=_env(EMBEDDED_PG_DATA=path),
            timeout=60,
        )


# --------------------------------------------------------------------------- app.sh


def test_app_sh_is_valid_bash():
    subprocess.run(["bash", "-n", str(ROOT / "app.sh")], check=True)


def test_the_cleanup_runs_under_set_u_with_nothing_started():
    """The EXIT trap's code sees only globals: no 'unbound variable' however the run ends."""
    done = subprocess.run(
        ["bash", "-c", "source ./app.sh && trap stop_run EXIT && f() { local x=1; } && f"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_ctrl_c_stops_everything_the_run_started_and_the_embedded_server(pgdata, tmp_path):
    port = _free_port()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        run = subprocess.Popen(
            ["bash", "-c", "source ./app.sh && serve"],
            cwd=ROOT,
            env=_env(EMBEDDED_PG_DATA=pgdata, EMBEDDED_BROKER_DIR=tmp_path / "broker", PORT=port),
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # its own process group, like a job in a terminal
        )
    try:
        _wait_for(
            lambda: "is running at" in out.read_text() or run.poll() is not None, 150, "the URL"
        )
        assert run.poll() is None, out.read_text() + err.read_text()
        assert f"http://127.0.0.1:{port}/" in out.read_text()

        def listening():
            return [
                c
                for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr.port == port
            ]

        sockets = _wait_for(listening, 60, "the web server")
        # The development server listens on the loopback address only, unless HOST says so.
        assert {c.laddr.ip for c in sockets} == {"127.0.0.1"}
        server = _postmaster(pgdata)
        assert _running(server)
        started = _group(run.pid)
        assert len(started) >= 4  # the shell, worker, beat, web server

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        code = run.wait(timeout=60)

        errors = err.read_text()
        assert "unbound variable" not in errors
        assert code in (0, 130), errors
        assert "Embedded PostgreSQL stopped" in out.read_text()
        _wait_for(lambda: not _running(server), 10, "the embedded PostgreSQL to stop")
        _wait_for(lambda: not _group(run.pid), 10, "the run's processes to exit")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


# --------------------------------------------------------------------------- embedded server


def test_release_keeps_a_server_that_a_live_process_uses_and_forgets_dead_ones(pgdata, monkeypatch):
    monkeypatch.setenv("EMBEDDED_PG_DATA", str(pgdata))
    me = os.getpid()
    other = subprocess.Popen(["sleep", "120"])
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process that used the server and was killed hard: its pid stays listed
    try:
        assert embedded_pg.hold(me) is True  # not running: this call started it
        assert embedded_pg.hold(other.pid) is False
        assert embedded_pg.hold(gone.pid) is False
        server = _postmaster(pgdata)

        # Another live process still uses it: it keeps running; the dead pid is dropped.
        assert embedded_pg.release(me) == [other.pid]
        assert _running(server)

        # That process is killed hard and never lets go: the next release stops the server.
        other.kill()
        other.wait()
        assert embedded_pg.release(me) == []
        _wait_for(lambda: not _running(server), 10, "the embedded PostgreSQL to stop")
    finally:
        if other.poll() is None:
            other.kill()
        embedded_pg.release(me)


def test_embedded_pg_database_creates_the_database_if_missing(pgdata):
    script = (
        "import psycopg\n"
        "from config.embedded_pg import database_url\n"
        "url = database_url('fresh_one')\n"
        "with psycopg.connect(url) as conn:\n"
        "    print(conn.execute('SELECT current_database()').fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_env(EMBEDDED_PG_DATA=pgdata),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fresh_one"
    # The only process using it has exited: the server stopped with it.
    assert not _running(_postmaster(pgdata))


# --------------------------------------------------------------------------- fresh databases


@pytest.fixture
def fresh_database():
    """The name and URL of a database that does not exist yet on the tests' server; dropped
    afterwards."""
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    admin_url = url_of({**connection.settings_dict, "NAME": "postgres"})
    yield name, admin_url, url_of({**connection.settings_dict, "NAME": name})
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def test_ensure_database_creates_a_missing_database_once(fresh_database):
    name, admin_url, _url = fresh_database
    assert not _exists(admin_url, name)

    assert embedded_pg.ensure_database(admin_url, name) is True
    assert _exists(admin_url, name)
    assert embedded_pg.ensure_database(admin_url, name) is False


def test_the_benchmark_migrates_a_fresh_database_first(fresh_database, tmp_path):
    name, admin_url, url = fresh_database
    embedded_pg.ensure_database(admin_url, name)  # empty: no tables at all
    report = tmp_path / "bench.json"

    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "benchmark",
            "--scale",
            "0.001",
            "--routing-seconds",
            "1",
            "--json",
            str(report),
        ],
        cwd=ROOT,
        env=_env(DATABASE_URL=url, SECRET_KEY="test-only"),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "does not exist" not in done.stderr
    result = json.loads(report.read_text())
    assert result["dids"] == 1000
    assert all(
        row["status"] in ("measured", "not yet built")
        for group in result["groups"]
        for row in group["rows"]
    )

#!/usr/bin/env bash
# One entry point for a new user:  ./app.sh run   |   ./app.sh test
# Sourcing it (bash: source app.sh) defines the functions without running a command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON=${PYTHON:-python3}
VENV=.venv
PY=$VENV/bin/python

install() {
  [ -x "$PY" ] || "$PYTHON" -m venv "$VENV"
  local stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing the project and its pinned dependencies into $VENV ..."
    mkdir -p var/log
    if ! { "$PY" -m pip install -q --disable-pip-version-check --upgrade pip \
           && "$PY" -m pip install -q --disable-pip-version-check -e '.[dev]'; } >var/log/install.log 2>&1; then
      cat var/log/install.log >&2
      echo "Installation failed (log above, also in var/log/install.log)." >&2
      exit 1
    fi
    rm -f "$VENV"/.installed-* && touch "$stamp"
  fi
}

install_browser() {
  # Browser tests drive Debian's Chromium; never a downloaded browser build.
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Chromium from Debian's packages ..."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "Chromium is missing: install the Debian packages chromium and chromium-driver." >&2
      exit 1
    fi
  fi
}

# What the run command started, global so that its EXIT trap still sees it (set -u) after
# serve() has returned: the pids of its background processes, and whether it holds the
# embedded PostgreSQL.
RUN_PIDS=""
HOLDS_PG=""

stop_run() {
  # Stop what serve() started: its processes first (each leaves the embedded server as it
  # exits), then the embedded server, unless another live process still uses it.
  trap - EXIT INT TERM
  local pid
  for pid in $RUN_PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $RUN_PIDS; do wait "$pid" 2>/dev/null || true; done
  RUN_PIDS=""
  if [ -n "$HOLDS_PG" ]; then
    HOLDS_PG=""
    "$PY" -m config.embedded_pg release "$$" || true
  fi
}

serve() {
  # The run command after the install step: migrate, demo data, worker, beat, web server.
  export DEBUG=${DEBUG:-1}
  export PYTHONUNBUFFERED=1
  local port=${PORT:-8000} host=${HOST:-127.0.0.1}
  local addr=$host shown=$host
  case $host in *:*) addr="[$host]" ;; esac
  case $host in 0.0.0.0 | :: | "") shown=127.0.0.1 ;; *:*) shown="[$host]" ;; esac
  trap stop_run EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -z "${DATABASE_URL:-}" ]; then
    # Held by this shell for the whole run, so it is not stopped and restarted between
    # the commands below, and stopped by stop_run when the run ends.
    HOLDS_PG=1
    "$PY" -m config.embedded_pg hold "$$"
  fi
  "$PY" manage.py migrate --no-input -v 0
  "$PY" manage.py seed_demo
  local celery=$VENV/bin/celery
  mkdir -p var/log
  "$celery" -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
  RUN_PIDS="$RUN_PIDS $!"
  "$celery" -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
  RUN_PIDS="$RUN_PIDS $!"
  echo
  echo "  DID Inventory is running at  http://$shown:$port/"
  echo "  Log in as  admin / demo-platform   (platform admin)"
  echo "         or  reseller1 / demo-tenant   (a reseller user)"
  echo "  Celery worker and beat are running (logs in var/log/). Ctrl-C stops everything."
  echo
  # In the background, so that the shell's traps run as soon as a signal arrives.
  "$PY" manage.py runserver "$addr:$port" --noreload &
  RUN_PIDS="$RUN_PIDS $!"
  local web=$!
  wait "$web"
}

run() {
  install
  serve "$@"
}

test_all() {
  install
  install_browser
  export SECRET_KEY=${SECRET_KEY:-test-only-secret-key}
  export DEBUG=${DEBUG:-0}
  echo "== ruff"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  echo "== import layers (pyproject.toml [tool.importlinter])"
  "$VENV/bin/lint-imports"
  echo "== migrations are in step with the models"
  "$PY" manage.py makemigrations --check --dry-run
  echo "== tests"
  # Two workers: one per core of the machines this runs on; TEST_WORKERS=0 runs in-process.
  "$VENV/bin/pytest" -p no:cacheprovider -n "${TEST_WORKERS:-2}" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    run) shift; run "$@" ;;
    test) shift; test_all "$@" ;;
    *) echo "usage: $0 run | test [pytest args]" >&2; exit 2 ;;
  esac
fi

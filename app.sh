#!/usr/bin/env bash
# One entry point for a new user:  ./app.sh run   |   ./app.sh test
set -euo pipefail
cd "$(dirname "$0")"

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

run() {
  install
  export DEBUG=${DEBUG:-1}
  export PYTHONUNBUFFERED=1
  local port=${PORT:-8000}
  "$PY" manage.py migrate --no-input -v 0
  "$PY" manage.py seed_demo
  local celery=$VENV/bin/celery
  mkdir -p var/log
  "$celery" -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
  local worker=$!
  "$celery" -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
  local beat=$!
  trap 'kill $worker $beat 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
  echo
  echo "  DID Inventory is running at  http://127.0.0.1:$port/"
  echo "  Log in as  admin / demo-platform   (platform admin)"
  echo "         or  reseller1 / demo-tenant   (a reseller user)"
  echo "  Celery worker and beat are running (logs in var/log/). Ctrl-C stops everything."
  echo
  "$PY" manage.py runserver "0.0.0.0:$port" --noreload
}

test_all() {
  install
  install_browser
  export SECRET_KEY=${SECRET_KEY:-test-only-secret-key}
  export DEBUG=${DEBUG:-0}
  echo "== ruff"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  echo "== migrations are in step with the models"
  "$PY" manage.py makemigrations --check --dry-run
  echo "== tests"
  # Two workers: one per core of the machines this runs on; TEST_WORKERS=0 runs in-process.
  "$VENV/bin/pytest" -p no:cacheprovider -n "${TEST_WORKERS:-2}" "$@"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  test) shift; test_all "$@" ;;
  *) echo "usage: $0 run | test [pytest args]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Kayak Workbench developer entry point.
#   ./dev.sh run    set up (first time) and run the app on its built-in demo collection
#   ./dev.sh test   set up (first time) and run the whole test suite
#   ./dev.sh setup  only set up: .venv with pinned packages, the package itself, the Mojo kernel
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY="$VENV/bin/python"

find_python() {
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$cand"; return 0
    fi
  done
  echo "error: Python 3.11 is required (the CPU torch 2.13.0 build is for 3.11)" >&2
  return 1
}

setup() {
  if [ ! -x "$PY" ]; then
    echo "==> creating $VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  local stamp
  stamp=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat "$VENV/.kayak-setup" 2>/dev/null)" != "$stamp" ]; then
    echo "==> installing pinned packages (requirements.lock, --no-deps)"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$stamp" > "$VENV/.kayak-setup"
  fi
  if [ -f kernels/build.py ]; then
    "$PY" kernels/build.py --if-stale
  fi
}

case "${1:-}" in
  setup) setup ;;
  run)   setup; shift; exec "$VENV/bin/workbench" gui "$@" ;;
  test)  setup; shift; QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" exec "$PY" -m pytest "$@" ;;
  *)     sed -n '2,5p' "$0"; exit 2 ;;
esac

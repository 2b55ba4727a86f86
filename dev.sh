#!/usr/bin/env bash
# Kayak Workbench developer entry point.
#   ./dev.sh run    set up (first time) and run the app on its built-in demo collection
#   ./dev.sh test   set up (first time) and run the whole test suite
#   ./dev.sh setup  only set up: .venv with pinned packages, the package itself, the Mojo kernel, OCR data
#   ./dev.sh lint   the checks CI runs before the tests: ruff, mypy (core, store), the import contracts
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

# Tesseract's English data for OCR of image-only pages (PyMuPDF bundles Tesseract itself).  The Debian
# packages are listed once, in packaging/ocr-packages.txt, which packaging/build.sh also reads.
ocr_data_present() {  # a cheap file test, so that a second setup stays quick
  local f
  for f in /usr/share/tesseract-ocr/*/tessdata/eng.traineddata /usr/share/tessdata/eng.traineddata \
           "${TESSDATA_PREFIX:-/nonexistent}/eng.traineddata"; do
    [ -f "$f" ] && return 0
  done
  return 1
}

ensure_ocr_data() {
  ocr_data_present && return 0
  local pkgs=()
  read -r -a pkgs < packaging/ocr-packages.txt || true   # one line; no trailing newline is fine too
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing OCR language data: ${pkgs[*]} (apt-get)"
    # refresh apt's lists only when needed: they do not know the packages (a container with none),
    # or the install fails (stale lists naming versions the mirror no longer has)
    apt-cache show "${pkgs[@]}" >/dev/null 2>&1 || apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
          "${pkgs[@]}" >/dev/null; } || true
  fi
  ocr_data_present || echo "note: OCR of image-only pages stays off until: sudo apt-get install ${pkgs[*]}"
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
  if [ -f mojo_kernels/build.py ]; then
    "$PY" mojo_kernels/build.py --if-stale
  fi
  ensure_ocr_data
  # The Qt window's system libraries: installed when root with apt-get, otherwise named (run stops below).
  "$PY" -m workbench.platform.system_libraries --install || true
}

# Install a lock file's packages (--no-deps) unless the venv already has this version of it: LOCK WHAT
install_lock() {
  local lock=$1 what=$2 mark stamp
  mark="$VENV/.kayak-$(basename "$lock" .lock)"
  stamp=$(sha256sum "$lock" | cut -c1-16)
  if [ "$(cat "$mark" 2>/dev/null)" != "$stamp" ]; then
    echo "==> installing $what ($lock, --no-deps)"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
    echo "$stamp" > "$mark"
  fi
}

# The optional cluster extra (Qdrant, Ray): the tests exercise it, the desktop app never needs it.
setup_cluster() { install_lock requirements-cluster.lock "the cluster extra"; }

# The checks of docs/architecture.md: style (ruff), strict types where the data shapes live (mypy on
# workbench.core and workbench.store), the layer contracts (import-linter), and small modules.
lint() {
  install_lock requirements-lint.lock "the lint tools"
  echo "==> ruff"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  echo "==> mypy (strict: workbench.core, workbench.store)"
  "$VENV/bin/mypy"
  echo "==> import contracts"
  "$VENV/bin/lint-imports"
  echo "==> module sizes (at most $MAX_MODULE_LINES lines)"
  local big
  big=$(find workbench -name '*.py' -exec wc -l {} + | awk -v max="$MAX_MODULE_LINES" '$2 != "total" && $1 > max')
  [ -z "$big" ] || { echo "error: modules over $MAX_MODULE_LINES lines; split them by idea:" >&2; echo "$big" >&2; return 1; }
}
MAX_MODULE_LINES=420   # the issue's "about 400": a file may not grow past this without being split

case "${1:-}" in
  setup) setup ;;
  run)   setup; shift
         "$PY" -m workbench.platform.system_libraries || exit 1   # one apt-get line instead of Qt's plugin error
         exec "$VENV/bin/workbench" gui "$@" ;;
  lint)  setup; lint ;;
  test)  setup; setup_cluster; shift; QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" exec "$PY" -m pytest "$@" ;;
  *)     sed -n '2,6p' "$0"; exit 2 ;;
esac

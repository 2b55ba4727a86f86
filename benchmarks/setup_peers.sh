#!/usr/bin/env bash
# Create the peers' environment for benchmarks/peers.py from nothing: a Python 3.11 venv of its own
# (default .venv-peers in the repository, ignored by git) with fast-plaid, xtr-warp-rs and maxsim-cpu at the versions
# of requirements-peers.lock. Their torch (2.11) cannot live beside this project's, hence a venv of its own.
#   benchmarks/setup_peers.sh [VENV]        PYTHON=python3.11 by default
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$here/.venv-peers}"
"${PYTHON:-python3.11}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements-peers.lock"
"$venv/bin/python" -c "import fast_plaid, xtr_warp, maxsim_cpu, torch; print('peers ready: torch', torch.__version__)"
echo "run: .venv/bin/python benchmarks/peers.py --peers-python $venv/bin/python"

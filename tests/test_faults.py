"""The faults harness, quick: a kill -9 or a full disk at a marked step of each kind of writer, a kill at a
random moment, two writers at once, damaged index files and hostile queries through the API, Qdrant's
local mode, the CLI and the window — no committed passage lost, every index reopens and takes the next
ingest, no traceback or library message reaches the user, and every armed step was reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_faults_harness_loses_nothing_and_shows_nothing(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--quick", "--json", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["cases"] >= 80, out
    assert out["failures"] == [], out["failures"]
    assert out["committed_passages_lost"] == out["indexes_failed_to_reopen"] == 0
    assert out["tracebacks_or_library_messages_shown"] == out["steps_not_reached"] == 0
    assert done.returncode == 0, done.stderr[-2000:]

"""The core stays Qt-free, torch-free, PyMuPDF-free and SQLite-free (napari-style layering)."""

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = {
    "PySide6",
    "torch",
    "pymupdf",
    "fitz",
    "sqlite3",
    "pyqtgraph",
    "superqt",
    "pylate",
    "onnxruntime",
    "qdrant_client",
    "ray",
}
CORE = Path(__file__).resolve().parent.parent / "workbench" / "core"


def test_core_sources_import_nothing_forbidden():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_the_sdk_loads_none_of_them():
    code = (
        "import sys, workbench, workbench.core, workbench.core.search; "
        f"bad = sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_pymupdf_layout_analysis_stays_off_although_onnxruntime_is_installed():
    """PyMuPDF turns its ONNX layout model on at import whenever onnxruntime is importable (stage 3 needs
    onnxruntime): the workbench keeps it off, so an ingest neither pays for it nor depends on its files."""
    code = (
        "import importlib.util, workbench.ingest.pdf, pymupdf; "
        "print(importlib.util.find_spec('onnxruntime') is not None, pymupdf._get_layout is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], out.stdout + out.stderr

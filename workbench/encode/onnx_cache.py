"""The ONNX export of each model, built once and kept in the user's cache with a checksum.

Layout: ``<cache>/encoders/<Encoder.checksum>/<onnxruntime version>/model.onnx`` + ``manifest.json``, where
``<cache>`` is ``platformdirs.user_cache_dir("kayak-workbench")`` or ``$KAYAK_ENCODER_CACHE``. The
manifest holds the file's sha256, the source checksum, the library versions, what the export fused, and
the reference vectors torch gave for :data:`PROBES`. Both files are written to a temporary name and
renamed, the manifest last, so an export killed half way leaves no entry that looks whole.

The installer carries the default model's entry in the same layout (``<bundle>/encoders``, built by
``packaging/build.sh``): :func:`locate` takes it when it verifies, so the packaged app never exports.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..platform.user_dirs import APP
from ..store.files import replace_by_name, write_json
from ..store.paths import TEMPORARY_PREFIX
from .onnx_export import export_onnx

MODEL_FILE = "model.onnx"
MANIFEST = "manifest.json"
FORMAT = 1  # bump when the graph or the manifest changes meaning, so old entries are rebuilt
# Short texts run through both runtimes on every load; the stored vectors are torch's, for the record.
PROBES = ("ColBERT matches every query token to its best passage token.", "Aspirin, 81 mg/day (n=1,204).")


class CacheError(RuntimeError):
    """The cached export is missing, corrupt or not for this model; the message says which."""


def cache_root() -> Path:
    """The folder that holds every model's export (not created here)."""
    env = os.environ.get("KAYAK_ENCODER_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP)) / "encoders"


def shipped_root() -> Path | None:
    """The read-only exports an installer carries (``encoders`` beside the frozen app's files), or ``None``
    when this is not a packaged app."""
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller's folder of the bundle's data files
    return Path(bundle) / "encoders" if bundle else None


def locate(checksum: str) -> tuple[Path, dict[str, Any]]:
    """``(folder, manifest)`` of a verified export for ``checksum``: the installer's if it carries one that
    verifies, else the user cache's; raises the user cache's :class:`CacheError` when neither does."""
    shipped = shipped_root()
    if shipped is not None:
        folder = entry_dir(checksum, shipped)
        try:
            return folder, verify(folder, checksum)
        except CacheError:
            pass  # a damaged bundle: the user's cache can still hold (or build) a good one
    folder = entry_dir(checksum)
    return folder, verify(folder, checksum)


def entry_dir(checksum: str, root: Path | None = None) -> Path:
    """Where the export of the model with ``Encoder.checksum`` ``checksum`` lives for this onnxruntime, under
    ``root`` (default: :func:`cache_root`)."""
    import onnxruntime

    return (root or cache_root()) / checksum / onnxruntime.__version__


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes (read in 1 MiB blocks: ≈0.1 s for the default's 90 MB)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "onnxruntime": onnxruntime.__version__,
        "onnx": onnx.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def verify(folder: Path, checksum: str) -> dict[str, Any]:
    """The manifest of a whole, intact entry in ``folder``; raises :class:`CacheError` (one line) when the
    entry is missing, half written, for another model or format, or the file's sha256 does not match."""
    manifest_path, model_path = folder / MANIFEST, folder / MODEL_FILE
    if not manifest_path.is_file() or not model_path.is_file():
        raise CacheError("no cached export")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CacheError(f"its manifest is unreadable ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("source") != checksum:
        raise CacheError("its manifest is for another model or format")
    if file_sha256(model_path) != manifest.get("sha256"):
        raise CacheError("its checksum does not match (a corrupt or changed file)")
    return manifest


def build(model: Any, checksum: str, references: list[list[list[float]]]) -> dict[str, Any]:
    """Export ``model`` into its cache entry, replacing whatever is there; returns the manifest written.

    ``references``: torch's vectors for :data:`PROBES` (per probe, per kept token, ``dim`` floats).
    Raises :class:`~.onnx_export.ExportError` or ``OSError``. The model file is renamed into place before its
    manifest, so a build killed in between leaves an old manifest whose sha256 no longer matches (rebuilt).
    """
    folder = entry_dir(checksum)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{TEMPORARY_PREFIX}*"):  # left by an export that was killed
        stale.unlink(missing_ok=True)
    info: dict[str, Any] = {}
    replace_by_name(folder / MODEL_FILE, lambda tmp: info.update(export_onnx(model, tmp)), "the encoder's ONNX export")
    manifest = {
        "format": FORMAT,
        "source": checksum,
        "file": MODEL_FILE,
        "sha256": file_sha256(folder / MODEL_FILE),
        "bytes": (folder / MODEL_FILE).stat().st_size,
        "versions": _versions(),
        **info,
        "probes": {"texts": list(PROBES), "torch_vectors": references},
    }
    write_json(folder / MANIFEST, manifest)
    return manifest

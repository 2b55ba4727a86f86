"""ONNX Runtime (fp32, CPU) in place of torch for a PyLate ColBERT model's forward pass.

:class:`OnnxRunner` tokenises with the model's own tokenizer (``ColBERT.tokenize``: the same ids,
truncation and prefixes as torch), sorts one call's texts by token count and runs them in batches (so
padding wastes little), and hands back what PyLate's ``encode(output_value=None)`` does, in the caller's
order. :func:`start_onnx` loads (or builds, once) the model's cached export, checks it, and says in one
line why it falls back to torch when it cannot be used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import onnx_cache
from .onnx_export import OUTPUT

log = logging.getLogger("workbench.encode")
TOLERANCE = 1e-4  # max |Δ| per vector component between the export and torch on the probes
# Texts per session run: ONNX Runtime on two cores ran 128 length-sorted SciFact passages ≈15 % faster in
# batches of 8 than of 32 (48 vs 41.5 passages/s, three rounds, one process), and shorter batches pad less.
BATCH = 8


def cpu_threads() -> int:
    """Cores this process may run on (its affinity mask where the OS has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class OnnxRunner:
    """An ONNX Runtime session over one export of ``model`` (a PyLate ColBERT), used on the CPU.

    ``encode(texts, is_query, batch_size)`` → ``{"token_embeddings", "input_ids", "masks"}``, each a list
    (one per text, in order) of NumPy arrays: float32 ``[seq, dim]`` normalised vectors, int64 ``[seq]``
    ids and bool ``[seq]`` masks (attention, and for documents PyLate's punctuation skiplist).
    Queries with [MASK] expansion are not served here (``serves_queries`` is False): PyLate pads them in
    its own encode, which the caller keeps using for them.
    """

    def __init__(self, model: Any, path: Path, inputs: Sequence[str], threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cpu_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.model = model
        self.inputs = list(inputs)
        self.threads = options.intra_op_num_threads
        self.serves_queries = not model.do_query_expansion
        self._pads_right = getattr(model.tokenizer, "padding_side", "right") == "right"
        self._skiplist = np.asarray(sorted(model.skiplist or []), dtype=np.int64)

    def encode(self, texts: Sequence[str], is_query: bool, batch_size: int = BATCH) -> dict[str, list[np.ndarray]]:
        """PyLate's ``encode(output_value=None)`` for ``texts`` (see the class); ``batch_size`` texts a run."""
        features = self.model.tokenize(list(texts), is_query=is_query)
        arrays = {n: features[n].numpy().astype(np.int64, copy=False) for n in self.inputs}
        attention = arrays["attention_mask"]
        lengths = attention.sum(axis=1)
        order = np.argsort(-lengths, kind="stable")  # longest first: similar lengths share a batch
        out: dict[str, list[Any]] = {"token_embeddings": [None] * len(texts), "input_ids": [None] * len(texts)}
        out["masks"] = [None] * len(texts)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            # padding on the right: the columns no text of this batch uses are dropped
            width = int(lengths[rows].max()) if self._pads_right else attention.shape[1]
            feed = {n: np.ascontiguousarray(a[rows, :width]) for n, a in arrays.items()}
            vectors = self.session.run([OUTPUT], feed)[0]
            masks = feed["attention_mask"].astype(bool)
            if not is_query and self._skiplist.size:
                masks &= ~np.isin(feed["input_ids"], self._skiplist)
            for j, i in enumerate(rows):
                out["token_embeddings"][i] = vectors[j]
                out["input_ids"][i] = feed["input_ids"][j]
                out["masks"][i] = masks[j]
        return out


def start_onnx(
    model: Any,
    checksum: str,
    reference: Callable[[Sequence[str]], list[np.ndarray]],
    candidate: Callable[[OnnxRunner, Sequence[str]], list[np.ndarray]],
) -> tuple[OnnxRunner | None, str]:
    """An :class:`OnnxRunner` on ``model``'s verified export, or ``(None, why)`` after one logged line.

    ``reference(texts)`` / ``candidate(runner, texts)``: the kept token vectors (float32 ``[n, dim]`` per
    text) of torch and of the runner for the probe texts. A missing entry is built; a corrupt one (sha256
    mismatch, unreadable manifest) is rebuilt once; an export that fails, or whose probe vectors differ from
    torch's by more than :data:`TOLERANCE` (or in token count), is refused.
    """
    folder = onnx_cache.entry_dir(checksum)
    refs = reference(onnx_cache.PROBES)
    try:
        try:
            manifest = onnx_cache.verify(folder, checksum)
        except onnx_cache.CacheError as exc:
            if str(exc) != "no cached export":
                log.warning("note: the encoder's cached ONNX export is unusable (%s): rebuilding it", exc)
            onnx_cache.build(model, checksum, [r.tolist() for r in refs])
            manifest = onnx_cache.verify(folder, checksum)
        runner = OnnxRunner(model, folder / onnx_cache.MODEL_FILE, manifest["inputs"])
        got = candidate(runner, onnx_cache.PROBES)
    except Exception as exc:  # any failure of export, cache or session: torch still works
        why = f"the ONNX export failed ({str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__})"
        log.warning("note: %s: encoding with torch instead (slower)", why)
        return None, why
    if any(g.shape != r.shape for g, r in zip(got, refs)):
        why = "the ONNX export gives other tokens than torch"
    elif (delta := max(float(np.abs(g - r).max(initial=0.0)) for g, r in zip(got, refs))) > TOLERANCE:
        why = f"the ONNX export's vectors differ from torch's by {delta:.1e} (> {TOLERANCE:.0e})"
    else:
        return runner, ""
    log.warning("note: %s: refusing it, encoding with torch instead (slower)", why)
    return None, why

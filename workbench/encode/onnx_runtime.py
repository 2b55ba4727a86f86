"""ONNX Runtime (fp32, CPU) in place of torch for a ``MultiVectorEncoder``'s forward pass.

:class:`OnnxRunner` tokenises with the model's own ``preprocess`` (the same ids, truncation and prefixes as
torch), sorts one call's texts by token count and runs them in batches (so padding wastes little), applies
the model's own scoring mask (its ``MultiVectorMask``: the skiplist on documents), and hands back each text's
vectors, ids and mask in the caller's order. :func:`start_onnx` loads (or builds, once) the model's cached export, checks it, and says in one
line why it falls back to torch when it cannot be used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    """ONNX Runtime sessions over one export of ``model`` (a ``MultiVectorEncoder``), used on the CPU.

    ``encode(texts, is_query, batch_size)`` → per text (in order) a tuple of NumPy arrays: float32
    ``[seq, dim]`` normalised vectors, int64 ``[seq]`` ids and a bool ``[seq]`` scoring mask (attention,
    and for documents the model's skiplist). Queries of a model with query expansion are not served here
    (``serves_queries`` is False): their expansion slots are scored without being attended to, which the
    caller's torch path does.

    By default one session whose intra-op threads (one per core) share each batch. ``sessions`` > 1 runs that
    many sessions side by side, each taking whole batches in turn (a call of one batch, a query, runs on the
    first): on an idle two-core machine that was 0.94× the documents/s and twice the query time, on a busy
    one 1.35× the documents/s (``benchmarks/onnx_sessions.py``; docs/encoder.md), so it is not the default.
    """

    def __init__(
        self, model: Any, path: Path, inputs: Sequence[str], sessions: int = 1, threads: int | None = None
    ) -> None:
        """``sessions`` each with ``threads`` intra-op threads (default: the cores divided among the sessions)."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or max(1, cpu_threads() // sessions)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sessions = [
            ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]) for _ in range(sessions)
        ]
        self.cores = sessions * options.intra_op_num_threads
        self._pool = ThreadPoolExecutor(sessions, thread_name_prefix="kayak-onnx") if sessions > 1 else None
        self.model = model
        self.inputs = list(inputs)
        self.serves_queries = model[0].query_expansion is None
        self._pads_right = getattr(model.tokenizer, "padding_side", "right") == "right"
        self._scoring_mask = scoring_mask(model)

    def encode(
        self, texts: Sequence[str], is_query: bool, batch_size: int = BATCH
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each text's vectors, ids and scoring mask (see the class); ``batch_size`` texts a run."""
        task = "query" if is_query else "document"
        features = self.model.preprocess(list(texts), prompt=self.model.prompts.get(task) or None, task=task)
        arrays = {n: features[n].numpy().astype(np.int64, copy=False) for n in self.inputs}
        attention = arrays["attention_mask"]
        lengths = attention.sum(axis=1)
        order = np.argsort(-lengths, kind="stable")  # longest first: similar lengths share a batch
        out: list[Any] = [None] * len(texts)

        def run(rows: np.ndarray, session: Any) -> None:
            # padding on the right: the columns no text of this batch uses are dropped
            width = int(lengths[rows].max()) if self._pads_right else attention.shape[1]
            feed = {n: np.ascontiguousarray(a[rows, :width]) for n, a in arrays.items()}
            vectors = session.run([OUTPUT], feed)[0]
            masks = self._scoring_mask(feed["input_ids"], feed["attention_mask"], task)
            for j, i in enumerate(rows):
                out[i] = (vectors[j], feed["input_ids"][j], masks[j])

        batches = [order[start : start + batch_size] for start in range(0, len(texts), batch_size)]
        if self._pool is None or len(batches) == 1:
            for rows in batches:
                run(rows, self.sessions[0])
        else:  # session k takes batches k, k + n, …: the long batches (first) are shared out evenly
            n = len(self.sessions)

            def share(k: int) -> None:
                for rows in batches[k::n]:
                    run(rows, self.sessions[k])

            for job in [self._pool.submit(share, k) for k in range(n)]:
                job.result()
        return out


def scoring_mask(model: Any) -> Callable[[np.ndarray, np.ndarray, str], np.ndarray]:
    """``mask(input_ids, attention_mask, task)`` → bool ``[batch, seq]``: the scoring mask ``model``'s
    ``MultiVectorMask`` makes (its skiplist, on the tasks it names), or the attention where it has none."""
    import torch
    from sentence_transformers.multi_vector_encoder.modules import MultiVectorMask

    module = next((m for m in model if isinstance(m, MultiVectorMask)), None)

    def mask(input_ids: np.ndarray, attention_mask: np.ndarray, task: str) -> np.ndarray:
        if module is None:
            return attention_mask.astype(bool)
        features = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention_mask)}
        return module(features, task=task)["attention_mask"].numpy().astype(bool)

    return mask


def start_onnx(
    model: Any,
    checksum: str,
    reference: Callable[[Sequence[str]], list[np.ndarray]],
    candidate: Callable[[OnnxRunner, Sequence[str]], list[np.ndarray]],
) -> tuple[OnnxRunner | None, str]:
    """An :class:`OnnxRunner` on ``model``'s verified export, or ``(None, why)`` after one logged line.

    ``reference(texts)`` / ``candidate(runner, texts)``: the kept token vectors (float32 ``[n, dim]`` per
    text) of torch and of the runner for the probe texts. The installer's export is taken when it verifies
    (:func:`.onnx_cache.locate`); else a missing user-cache entry is built; a corrupt one (sha256
    mismatch, unreadable manifest) is rebuilt once; an export that fails, or whose probe vectors differ from
    torch's by more than :data:`TOLERANCE` (or in token count), is refused.
    """
    refs = reference(onnx_cache.PROBES)
    try:
        try:
            folder, manifest = onnx_cache.locate(checksum)
        except onnx_cache.CacheError as exc:
            if str(exc) != "no cached export":
                log.warning("note: the encoder's cached ONNX export is unusable (%s): rebuilding it", exc)
            onnx_cache.build(model, checksum, [r.tolist() for r in refs])
            folder = onnx_cache.entry_dir(checksum)
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

"""Encoder runtimes side by side in one process: documents per second, milliseconds per query, and how far
each runtime's vectors are from torch's (the library code of ``benchmarks/encode.py``).

Passages: SciFact abstracts cut at a seeded length of 80–220 word pieces (a typical ingest passage);
queries: SciFact's test queries. Documents go in calls of ``CHUNK`` passages, as the ingest sends them.
Each runtime runs its documents and then its queries alone, one runtime after the other (taking turns chunk
by chunk would time each against the other's idle threads, which spin for a while after a run), in rounds
that go forwards and backwards through the runtimes.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median

import numpy as np

from ..encode import Encoder, onnx_cache
from ..encode.onnx_runtime import OnnxRunner
from .evaluation import load_queries

CHUNK = 64  # passages per encode call: the ingest's ENCODE_CHUNK
PIECES = (80, 220)  # word pieces per passage


def scifact_texts(folder: Path, encoder: Encoder, n_passages: int, n_queries: int, seed: int = 7):
    """``(passages, queries)``: the first ``n_passages`` abstracts of over 150 words in ``folder``'s
    ``corpus.jsonl.gz``, each cut after a seeded 80–220 word pieces, and the first ``n_queries`` queries."""
    rng = random.Random(seed)
    passages: list[str] = []
    with gzip.open(folder / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            words = f"{record.get('title', '')}. {record['text']}".split()
            if len(words) <= 150:
                continue
            budget = np.cumsum(encoder.count_tokens(words))
            keep = int(np.searchsorted(budget, rng.randint(*PIECES))) + 1
            passages.append(" ".join(words[:keep]))
            if len(passages) == n_passages:
                break
    queries = [q for q in load_queries(folder / "queries.jsonl").values() if q][:n_queries]
    return passages, queries


def forward_flop(encoder: Encoder, texts: Sequence[str]) -> float:
    """Floating-point operations (2 per multiply-add) of one document forward pass over ``texts``, counting real
    tokens only (no padding): per token and layer the four attention projections and the two feed-forward
    matrices, per layer and text QKᵀ and the attention-weighted sum (2·L²·hidden), and the final projection
    to ``encoder.dim``. Layer norms, softmax and activations (well under 1 %) are left out."""
    model = encoder.model
    config = model[0].auto_model.config
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    features = model.preprocess(list(texts), prompt=model.prompts.get("document") or None, task="document")
    lengths = features["attention_mask"].sum(dim=1).numpy().astype(np.float64)
    per_token = layers * (4 * hidden * hidden + 2 * hidden * inner) + hidden * encoder.dim
    return 2.0 * (per_token * lengths.sum() + layers * 2 * hidden * float((lengths**2).sum()))


def sgemm_gflops(rows: int = CHUNK * 150, inner: int = 384, cols: int = 1536, repeats: int = 20) -> float:
    """The best GFLOP/s of NumPy's float32 matrix product (OpenBLAS, a thread per core) over ``repeats`` runs,
    at the shape of the encoder's largest product for one chunk of ``CHUNK`` passages of 150 word pieces
    (tokens × hidden 384 by hidden × feed-forward 1536): the ceiling an fp32 runtime can reach here."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((rows, inner), dtype=np.float32)
    b = rng.standard_normal((inner, cols), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * rows * inner * cols / best / 1e9


def with_runner(onnx: Encoder, runner: OnnxRunner, runtime: str, detail: str) -> Encoder:
    """A copy of ``onnx`` (an encoder on the ONNX runtime) whose forward passes go through ``runner``: the same
    model and tokens, another graph or session layout, named ``runtime`` (``detail`` in words)."""
    other = copy.copy(onnx)
    other._onnx = runner
    other.runtime, other.runtime_detail = runtime, detail
    return other


def int8_encoder(onnx: Encoder) -> Encoder:
    """A copy of ``onnx`` (an encoder on the ONNX runtime) running a dynamically quantised INT8 version of its
    export (per-tensor weights). For the record only: its vectors differ from torch's (see docs/encoder.md)."""
    import onnx as onnx_lib
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder, manifest = onnx_cache.locate(onnx.checksum)
    out = Path(tempfile.mkdtemp(prefix="kayak-int8-")) / "model_int8.onnx"
    quantize_dynamic(
        folder / onnx_cache.MODEL_FILE,
        out,
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx_lib.TensorProto.FLOAT},  # the fused graph needs it
    )
    runner = OnnxRunner(onnx.model, out, manifest["inputs"])
    return with_runner(onnx, runner, "onnx-int8", "ONNX Runtime dynamic INT8")


def measure(
    encoders: dict[str, Encoder], passages: Sequence[str], queries: Sequence[str], rounds: int = 2
) -> dict[str, dict]:
    """Per runtime name: ``passages_per_s``, ``query_ms_p50``/``p90``, and against the first runtime (torch)
    ``max_abs_delta`` (documents and queries together) and ``same_tokens``. Each runtime is warmed first;
    ``rounds`` passes, in turn forwards and backwards through ``encoders``, so a load that drifts during the
    run falls on every runtime alike."""
    names = list(encoders)
    seconds = dict.fromkeys(names, 0.0)
    docs: dict[str, list] = {n: [] for n in names}
    query_ms: dict[str, list[float]] = {n: [] for n in names}
    qvecs: dict[str, list] = {n: [] for n in names}
    for rnd in range(rounds):
        for name in names if rnd % 2 == 0 else names[::-1]:
            enc = encoders[name]
            enc.encode_documents(passages[:4])
            for q in queries[:3]:
                enc.encode_query(q)
            for start in range(0, len(passages), CHUNK):
                t0 = time.perf_counter()
                out = enc.encode_documents(passages[start : start + CHUNK])
                seconds[name] += time.perf_counter() - t0
                docs[name] += out if rnd == 0 else []
            for q in queries:
                t0 = time.perf_counter()
                lq = enc.encode_query(q)
                query_ms[name].append((time.perf_counter() - t0) * 1000)
                qvecs[name] += [(lq.data, list(lq.tokens))] if rnd == 0 else []
    ref = names[0]
    results = {}
    for name in names:
        pairs = list(zip(docs[name] + qvecs[name], docs[ref] + qvecs[ref]))
        same = all(t == u for (_, t), (_, u) in pairs)
        delta = max(float(np.abs(v - w).max(initial=0.0)) for (v, _), (w, _) in pairs) if same else float("nan")
        results[name] = {
            "runtime": encoders[name].runtime_detail,
            "passages_per_s": rounds * len(passages) / seconds[name],
            "query_ms_p50": median(query_ms[name]),
            "query_ms_p90": float(np.percentile(query_ms[name], 90)),
            "max_abs_delta": delta,
            "same_tokens": same,
        }
    return results

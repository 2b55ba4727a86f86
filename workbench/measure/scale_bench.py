"""``workbench bench-scale``: staged plans against exhaustive exact MaxSim at 10⁵–10⁶ passages.

Two sources of token vectors, both written as one float16 ``.npy`` read by memory map, as an index is:

* ``synthetic`` — clustered vectors shaped like contextual token embeddings: a vocabulary of concept
  directions with Zipf frequencies; each passage has a topic (a few hundred concepts) and draws most
  tokens from it and the rest from the whole vocabulary; every token is its concept plus noise
  (cosine ≈ 0.8 to the concept). A query is 16 noisy concepts of one passage and its topic.
* ``text`` — really encoded text replicated to size: up to 2000 paragraphs of Python standard-library
  docstrings (real technical English, present on every machine) encoded once; each passage joins two
  spans of encoded paragraphs and perturbs every vector slightly, so no two are equal. Queries are
  encoded sentences of the same text.

Ground truth is exhaustive exact MaxSim (Mojo) per query; every plan is timed per query (stages 1+2,
query encoding excluded, stage structures built beforehand and timed as build time) and measured by
recall@10 against the truth and stage-1 recall (the truth's share among stage-1 candidates).
Filtered runs restrict to folders holding 1 % and 10 % of the passages and compare against
exhaustive search within the same filter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core import (
    PassageFilter,
    SearchPlan,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    scaled_candidate_k,
    search_with_plan,
)
from ..core.backends import MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND, get_backend
from ..core.centroids import build_centroid_index, default_centroid_count
from ..core.compressed_view import compressed_view
from ..core.metrics import overlap_recall
from ..core.packed import token_chunks
from ..core.ranking import top_k
from ..core.residuals import build_residual_index
from ..store.centroid_files import load_centroid_index, save_centroid_index
from .percentiles import latency_percentiles
from .scale_data import DIM, ScaleData, folder_filter

TRUTH_BLOCK_VECTORS = 1 << 23  # 2 GiB of float16 vectors scored for every query before moving on


def _run_plan(
    data: ScaleData,
    plan: SearchPlan,
    backend: str,
    truth: list[list[int]],
    where: PassageFilter | None = None,
    limit: int | None = None,
) -> dict:
    ms, recall, stage1, touched = [], [], [], []
    queries = data.queries[:limit] if limit else data.queries
    for q, top in zip(queries, truth):
        r = search_with_plan(q, data.index, plan, backend, where)
        ms.append(sum(s.ms for s in r.stages))
        recall.append(overlap_recall([h.passage_id for h in r.hits], top))
        if r.stage1_candidates is not None:
            stage1.append(overlap_recall(data.index.passage_ids[r.stage1_candidates].tolist(), top))
        touched.append([(s.lookups or s.document_vectors) for s in r.stages])
    out = {
        "backend": backend,
        "queries": len(queries),
        "recall@10": round(float(np.mean(recall)), 4),
        **latency_percentiles(ms, 2),
    }
    if stage1:
        out["stage1_recall"] = round(float(np.mean(stage1)), 4)
    names = [s.name for s in r.stages]
    out["vectors_touched"] = {n: int(np.mean([t[i] for t in touched])) for i, n in enumerate(names)}
    return out


def _truth(data: ScaleData, where: PassageFilter | None, final_k: int) -> list[list[int]]:
    """Exhaustive exact top-``final_k`` ids of every query, in one pass over the vectors: block by block
    (all queries per block), so an index larger than RAM is read from disk once, not once per query.
    Same kernel and same tie rule as the exhaustive plan, so the ids are the ones it returns."""
    index = data.index
    backend = get_backend(MOJO_EXACT_CPU_BACKEND)
    eligible = index.eligible_rows(where)
    pool = np.arange(index.n_passages, dtype=np.int64) if eligible is None else np.flatnonzero(eligible)
    best = [(np.empty(0, np.float32), np.empty(0, np.int64)) for _ in data.queries]
    for i, j in token_chunks(index.lengths[pool], TRUTH_BLOCK_VECTORS):
        rows = pool[i:j]
        for n, q in enumerate(data.queries):
            scores, _ = backend.maxsim(q.matrix(), index.vectors, index.starts, index.lengths, rows, 0)
            s = np.concatenate((best[n][0], scores))
            ids = np.concatenate((best[n][1], index.passage_ids[rows]))
            keep = top_k(s, ids, final_k)
            best[n] = (s[keep], ids[keep])
    return [b[1].tolist() for b in best]


def _exhaustive_ms(data: ScaleData, where: PassageFilter | None, n_queries: int) -> list[float]:
    """Latency of the exhaustive plan itself, query by query (each streams every eligible vector)."""
    plan = exhaustive_search_plan(10)
    return [
        search_with_plan(q, data.index, plan, MOJO_EXACT_CPU_BACKEND, where).stages[-1].ms
        for q in data.queries[:n_queries]
    ]


def run_scale_bench(
    data: ScaleData,
    n_probe: int = 8,
    candidate_k: int = 256,
    n_centroids: int = 0,
    filters: Sequence[float] = (0.01, 0.1),
    numpy_queries: int = 3,
    exhaustive_queries: int = 0,
    cache: Path | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """Build the stage-1 structures (or read them from ``cache``, with the build time measured when they
    were made), then time and score every plan; returns the report dict. ``exhaustive_queries`` limits
    how many queries time the exhaustive plan (0: all; at 10⁶ passages each one streams the index)."""
    index = data.index
    report: dict = {
        "source": data.source,
        "passages": index.n_passages,
        "tokens": index.n_vectors,
        "queries": len(data.queries),
    }
    k = n_centroids or default_centroid_count(index.n_vectors)
    cached = cache / f"centroids-{k}" if cache is not None else None
    if cached is not None and cached.is_dir():
        index.centroid_index = load_centroid_index(cached)
        centroid_s = json.loads((cached.parent / f"centroids-{k}.json").read_text())["build_s"]
        progress(f"centroids read from {cached} (built earlier in {centroid_s:.0f} s)")
    else:
        progress(f"building {k:,} centroids over {index.n_vectors:,} token vectors")
        t = time.perf_counter()
        index.centroid_index = build_centroid_index(index, k)
        centroid_s = time.perf_counter() - t
        if cached is not None:
            save_centroid_index(index.centroid_index, cached)
            (cached.parent / f"centroids-{k}.json").write_text(json.dumps({"build_s": centroid_s}))
    t = time.perf_counter()
    index.proxy_vectors(64)
    proxy_s = time.perf_counter() - t
    ci = index.centroid_index
    t = time.perf_counter()
    index.residual_index = build_residual_index(index.vectors, ci, nbits=2)
    residual_s = time.perf_counter() - t
    report["build"] = {
        "centroids": ci.n_centroids,
        "centroid_index_s": round(centroid_s, 1),
        "proxies_s": round(proxy_s, 1),
        "residuals_2bit_s": round(residual_s, 1),
    }
    # The compact tiers: the same vectors as an index of that tier keeps them (coded rows, no float vectors),
    # scored by the coded-row kernel. compact-2 codes with the 2-bit residuals above.
    compact: dict[int, ScaleData] = {}
    for bits in (4, 2):
        t = time.perf_counter()
        ri = index.residual_index if bits == 2 else build_residual_index(index.vectors, ci, nbits=bits)
        view = compressed_view(replace(index, residual_index=ri))
        assert view is not None  # both structures were just built
        compact[bits] = ScaleData(view, data.queries, data.source)
        report["build"][f"compact_{bits}_s"] = round(time.perf_counter() - t + (residual_s if bits == 2 else 0), 1)
    t_count = index.n_vectors
    report["bytes_per_token"] = {
        "exact_vectors_float16": 2 * DIM,
        "centroid_codes": 4,
        "inverted_lists": round(4 * ci.list_rows.shape[0] / t_count, 2),
        "centroid_table": round(ci.centroids.nbytes / t_count, 3),
        "residual_2bit": index.residual_index.codec.bytes_per_vector(DIM) - 4,
    }
    lists_table = report["bytes_per_token"]["inverted_lists"] + report["bytes_per_token"]["centroid_table"]
    report["compact_tiers"] = {
        f"compact-{bits}": {
            "bytes_per_token": round(4 + DIM * bits / 8 + lists_table, 2),
            "index_gib": round(t_count * (4 + DIM * bits / 8 + lists_table) / 2**30, 2),
        }
        for bits in compact
    }
    progress("exhaustive exact search: the ground truth, then its latency")
    truth = _truth(data, None, 10)
    exhaustive_ms = _exhaustive_ms(data, None, exhaustive_queries or len(data.queries))
    exhaustive_p50 = float(np.percentile(exhaustive_ms, 50))
    plans = {
        "exhaustive": (exhaustive_search_plan(10), [NUMPY_REFERENCE_BACKEND]),
        f"centroid (n_probe {n_probe}, candidate_k {candidate_k})": (
            centroid_search_plan(10, candidate_k, n_probe, query_vector_budget=0),
            [MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND],
        ),
        f"centroid, rerank on 2-bit residuals (n_probe {n_probe}, candidate_k {candidate_k})": (
            centroid_search_plan(10, candidate_k, n_probe, query_vector_budget=0, rerank_vectors="residual"),
            [MOJO_EXACT_CPU_BACKEND],
        ),
        f"document_proxy (candidate_k {candidate_k}, budgets 32/64)": (
            document_proxy_search_plan(10, candidate_k),
            [MOJO_EXACT_CPU_BACKEND],
        ),
    }
    rows = {
        "exhaustive/mojo-exact-cpu": {
            "backend": MOJO_EXACT_CPU_BACKEND,
            "queries": len(exhaustive_ms),
            "recall@10": 1.0,
            **latency_percentiles(exhaustive_ms, 2),
        }
    }
    for name, (plan, backends) in plans.items():
        for backend in backends:
            progress(f"{name} on {backend}")
            limit = numpy_queries if plan.kind == "exhaustive" else None
            row = _run_plan(data, plan, backend, truth, limit=limit)
            row["exhaustive_p50_ms"] = round(exhaustive_p50, 2)
            row["speedup_vs_exhaustive_mojo"] = round(exhaustive_p50 / max(row["p50_ms"], 1e-6), 1)
            rows[f"{name}/{backend}"] = row
    centroid_plan = plans[f"centroid (n_probe {n_probe}, candidate_k {candidate_k})"][0]
    # On coded rows also with the auto plan's default candidate_k, ⌈2·√N⌉ (scaled_candidate_k).
    scaled = scaled_candidate_k(index.n_passages, 10)
    for bits, view in compact.items():
        for label, plan in (
            (f"candidate_k {candidate_k}", centroid_plan),
            (f"candidate_k 2√N = {scaled:,}", replace(centroid_plan, candidate_k=scaled)),
        ):
            progress(f"compact-{bits}: the centroid plan on coded rows, {label}")
            row = _run_plan(view, plan, MOJO_EXACT_CPU_BACKEND, truth)
            row["exhaustive_p50_ms"] = round(exhaustive_p50, 2)
            row["speedup_vs_exhaustive_mojo"] = round(exhaustive_p50 / max(row["p50_ms"], 1e-6), 1)
            rows[f"compact-{bits}: centroid (n_probe {n_probe}, {label})/{MOJO_EXACT_CPU_BACKEND}"] = row
    report["plans"] = rows
    report["filtered"] = {}
    for share in filters:
        where = folder_filter(share)
        progress(f"filtered to {share:.0%}: exhaustive truth and the centroid plan")
        f_truth = _truth(data, where, 10)
        f_ms = _exhaustive_ms(data, where, exhaustive_queries or len(data.queries))
        row = _run_plan(data, centroid_plan, MOJO_EXACT_CPU_BACKEND, f_truth, where)
        row["eligible_passages"] = int(index.eligible_rows(where).sum())
        row["exhaustive_p50_ms"] = round(float(np.percentile(f_ms, 50)), 2)
        report["filtered"][f"{share:.0%}"] = row
    return report


def format_scale_report(r: dict) -> str:
    b = r["build"]
    lines = [
        f"{r['source']} collection: {r['passages']:,} passages, {r['tokens']:,} token vectors, {r['queries']} queries",
        f"build: {b['centroids']:,} centroids in {b['centroid_index_s']} s (k-means, codes, lists); "
        f"proxies {b['proxies_s']} s; 2-bit residuals {b['residuals_2bit_s']} s",
        "bytes per token: " + ", ".join(f"{k} {v}" for k, v in r["bytes_per_token"].items()),
        "compact tiers (coded rows, lists, table; no float vectors): "
        + ", ".join(f"{k} {v['bytes_per_token']} B/token = {v['index_gib']} GiB" for k, v in r["compact_tiers"].items())
        + f"; coded in {b['compact_4_s']} s (4-bit), {b['compact_2_s']} s (2-bit)",
        "",
        f"{'plan / backend':<86} {'recall@10':>9} {'stage-1':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'× exh.':>7}  vectors touched per stage",
    ]
    for name, row in r["plans"].items():
        touched = ", ".join(f"{k.split(':')[-1]} {v:,}" for k, v in row.get("vectors_touched", {}).items())
        lines.append(
            f"{name:<86} {row['recall@10']:>9.3f} {row.get('stage1_recall', float('nan')):>8.3f} "
            f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row.get('speedup_vs_exhaustive_mojo', 1.0):>7.1f}  {touched}"
        )
    for share, row in r["filtered"].items():
        lines.append(
            f"{'filtered to ' + share + ' (' + format(row['eligible_passages'], ',') + ' passages), centroid/mojo':<86} "
            f"{row['recall@10']:>9.3f} {row.get('stage1_recall', float('nan')):>8.3f} "
            f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}  p99 {row['p99_ms']:.1f} ms; "
            f"exhaustive in filter p50 {row['exhaustive_p50_ms']:.1f} ms"
        )
    lines.append(
        "\nLatency: stages 1+2, query encoding excluded; '× exh.' = exhaustive Mojo p50 / this p50; recall@10 of "
        "every row (compact tiers too) against exhaustive MaxSim over the float16 vectors."
    )
    return "\n".join(lines)

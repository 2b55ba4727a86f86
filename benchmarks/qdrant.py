"""The Qdrant executor against Mojo on a 10⁴-passage index, and an incremental export after a change.

    .venv/bin/python benchmarks/qdrant.py [--work DIR] [--qdrant URL_OR_PATH] [--queries 50]

1. Builds (once, in ``--work``) a 10⁴-passage index with ``workbench bench-ingest`` (the real ingest path;
   the table encoder stands in for the model's forward pass, so it takes a minute or two).
2. Exports it to a Qdrant collection (local mode in a folder by default; give a server's URL to measure
   one) and reports passages per second.
3. Runs exhaustive MaxSim top-10 for ``--queries`` queries (sentences of the corpus, encoded by the real
   model) on Mojo and on Qdrant: identical rankings, and where they differ whether the scores at the
   swapped ranks lie within float16 rounding; max |Δscore|; milliseconds per query on each.
4. Removes two documents (a 20-page PDF and a 2,000-passage corpus file) and adds one, exports again and checks that the collection holds exactly the
   live passages, with how many points were sent and deleted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from workbench.cluster.qdrant_export import exported_ids, iter_export
from workbench.cluster.qdrant_schema import connect, describe_target
from workbench.cluster.qdrant_search import qdrant_search
from workbench.collection import Collection
from workbench.core import MOJO_EXACT_CPU_BACKEND, exhaustive_search_plan, search_with_plan
from workbench.core.generators import run_to_end
from workbench.measure.bench_corpus import write_jsonl

HERE = Path(__file__).resolve().parent
FLOAT16_SUM = 0.02  # a 32-token query's MaxSim sums 32 float16-rounded products: ≈1e-3 each, worst case


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=HERE.parent / "out" / "qdrant")
    ap.add_argument("--qdrant", default=None, help="a server URL; default: local mode in WORK/qdrant")
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    index_dir = args.work / "index.kayak"
    if not index_dir.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "workbench.cli",
                "bench-ingest",
                "--passages",
                str(args.passages),
                "--batches",
                "5",
                "--work",
                str(args.work),
                "--keep",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    coll = Collection.open(index_dir)
    client = connect(args.qdrant or str(args.work / "qdrant"))
    name = "bench"
    if client.collection_exists(name):
        client.delete_collection(name)
    t = time.perf_counter()
    report = run_to_end(iter_export(coll, client, name))
    export_s = time.perf_counter() - t
    print(f"export: {report.upserted:,} passages in {export_s:.1f} s ({report.upserted / export_s:,.0f}/s)")

    index = coll.late_index()
    texts = [
        info.text
        for info in index.describe(
            index.passage_ids[:: max(index.n_passages // args.queries, 1)][: args.queries].tolist()
        )
    ]
    plan = exhaustive_search_plan(final_k=10)
    same = within_rounding = 0
    max_diff, swapped_diff, ms_mojo, ms_qdrant = 0.0, 0.0, [], []
    for text in texts:
        query = coll.encode_query(" ".join(text.split()[:12]))
        mojo = search_with_plan(query, index, plan, MOJO_EXACT_CPU_BACKEND)
        remote = qdrant_search(query, index, client, name, plan)
        ms_mojo.append(mojo.total_ms)
        ms_qdrant.append(remote.total_ms)
        a, b = [h.passage_id for h in mojo.hits], [h.passage_id for h in remote.hits]
        shared = {h.passage_id: h.score for h in mojo.hits}
        max_diff = max(
            [max_diff] + [abs(h.score - shared[h.passage_id]) for h in remote.hits if h.passage_id in shared]
        )
        if a == b:
            same += 1
        else:
            gaps = [abs(x.score - y.score) for x, y in zip(mojo.hits, remote.hits) if x.passage_id != y.passage_id]
            swapped_diff = max([swapped_diff] + gaps)
            within_rounding += all(g <= FLOAT16_SUM for g in gaps)
    print(
        f"exhaustive top-10, {len(texts)} queries: {same} identical, {within_rounding} differ only where the "
        f"scores are within float16 rounding ({FLOAT16_SUM}), {len(texts) - same - within_rounding} otherwise; "
        f"max |Δscore| of the same passage {max_diff:.2e}; largest score gap where the order differs "
        f"{swapped_diff:.2e}"
    )
    print(f"ms per query (median): mojo {np.median(ms_mojo):.1f}, {describe_target(client)} {np.median(ms_qdrant):.1f}")

    # Remove the probe's 20-page PDF and one 2,000-passage corpus file; add a small new file.
    docs = [d for d in coll.documents() if d.status == "indexed"]
    removed = coll.remove([d.path for d in docs if d.path.endswith(".pdf")][:1] + [docs[0].path])
    extra = write_jsonl(args.work / "added.jsonl", ["A lighthouse keeper logged the storm every night."] * 3, 10**7)
    coll.ingest([extra])
    t = time.perf_counter()
    sync = run_to_end(iter_export(coll, client, name))
    live = set(coll.late_index().passage_ids.tolist())
    exact = exported_ids(client, name) == live
    print(
        f"sync after removing {len(removed)} documents ({sum(removed.values())} passages) and adding 1: "
        f"{sync.upserted} sent, {sync.deleted} deleted, {sync.kept:,} kept in {time.perf_counter() - t:.1f} s; "
        f"collection == live passages: {exact}"
    )
    (args.work / "qdrant.json").write_text(
        json.dumps(
            {
                "export_s": export_s,
                "passages": report.upserted,
                "queries": len(texts),
                "identical": same,
                "within_rounding": within_rounding,
                "max_abs_score_diff": max_diff,
                "swapped_score_gap": swapped_diff,
                "median_ms_mojo": float(np.median(ms_mojo)),
                "median_ms_qdrant": float(np.median(ms_qdrant)),
                "sync": sync.__dict__,
                "sync_exact": exact,
            },
            indent=2,
        )
    )
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())

"""Searches in another process stay correct while a writer removes, re-adds and compacts documents.

The reader reads its layout in one transaction and describes hits against the generation it read; a
writer's commit in between makes it reopen the index and search again instead of failing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from workbench.collection import Collection
from workbench.core import IndexChanged, exhaustive_search_plan

TEXTS = {
    f"doc{i}.txt": f"Document {i} is about {topic}."
    for i, topic in enumerate(["volcanoes and lava", "bread and yeast", "glaciers and valleys", "comets and ice"])
}

READER = textwrap.dedent("""
    import collections, json, sys, time
    from workbench.collection import Collection
    from workbench.core import exhaustive_search_plan, centroid_search_plan
    root, seconds = sys.argv[1], float(sys.argv[2])
    kept = Collection.open(root, read_only=True)
    plans = [exhaustive_search_plan(final_k=4), centroid_search_plan(final_k=4, candidate_k=4, n_probe=4)]
    outcome = collections.Counter()
    print("ready", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end or i < 20:  # a loaded machine takes longer, never fewer searches
        i += 1
        coll = kept if i % 2 else Collection.open(root, read_only=True, encoder=kept.encoder)
        try:
            hits = coll.search("lava and volcanoes", plans[i % 2]).hits
            assert all(h.text and h.path for h in hits)
            outcome["ok"] += 1
        except Exception as exc:
            outcome[type(exc).__name__ + ": " + str(exc)[:80]] += 1
    print(json.dumps(outcome), flush=True)
""")


def _write_docs(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TEXTS.items():
        (docs / name).write_text(text)
    return docs


def test_searches_in_another_process_survive_removes_readds_and_compaction(tmp_path, encoder):
    docs = _write_docs(tmp_path)
    coll = Collection.open(tmp_path / "idx", create=True, encoder=encoder)
    assert coll.ingest([docs]).ok
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path / "idx"), "25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
    cycles = 0
    while reader.poll() is None:
        victim = docs / f"doc{cycles % len(TEXTS)}.txt"
        coll.remove([victim])  # tombstones, then compaction drops the rows
        victim.write_text(TEXTS[victim.name] + f" Revision {cycles}.")
        assert coll.ingest([victim]).ok  # a new segment, compaction, perhaps retraining
        cycles += 1
    outcome = json.loads(reader.stdout.read().strip().splitlines()[-1])
    assert cycles >= 3, "the writer must have changed the index while the reader searched"
    assert set(outcome) == {"ok"} and outcome["ok"] > 10, outcome


def test_a_stale_layout_raises_index_changed_and_search_recovers(tmp_path, encoder):
    docs = _write_docs(tmp_path)
    writer = Collection.open(tmp_path / "idx", create=True, encoder=encoder)
    writer.ingest([docs])
    reader = Collection.open(tmp_path / "idx", encoder=encoder, read_only=True)
    stale = reader.late_index()
    writer.remove([docs / "doc0.txt"])  # compaction deletes the removed passages' rows
    query = reader.encode_query("lava and volcanoes")
    from workbench.core import search_with_plan

    try:
        search_with_plan(query, stale, exhaustive_search_plan(final_k=4))
        raise AssertionError("a stale layout described removed passages")
    except IndexChanged:
        pass
    hits = reader.search("lava and volcanoes", exhaustive_search_plan(final_k=4)).hits
    assert "doc0.txt" not in {h.path.rsplit("/", 1)[-1] for h in hits}
    assert reader.late_index() is not stale and len(hits) == 3

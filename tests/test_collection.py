"""Ingest → encode → store → search through the Collection facade, with the real default encoder."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import make_pdf

from workbench.collection import Collection, EncoderMismatch
from workbench.core import document_proxy_search_plan, exhaustive_search_plan
from workbench.store import IndexFormatError
from workbench.store.segments import write_segment

PAGES = [
    "Volcanoes erupt when magma rises through the crust and vents as lava, ash and volcanic gas.",
    "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into glucose and oxygen.",
    "The offside rule in football forbids an attacker from being behind the last defender when passed to.",
]


def test_the_right_page_wins(tmp_path, new_collection):
    coll = new_collection()
    report = coll.ingest([make_pdf(tmp_path / "science.pdf", PAGES)])
    assert report.ok and len(report.indexed) == 1
    for query, page in [
        ("how do plants make oxygen from sunlight", 2),
        ("lava and ash from magma", 1),
        ("football attacker behind the defender", 3),
    ]:
        for plan in (exhaustive_search_plan(final_k=3), document_proxy_search_plan(final_k=1, candidate_k=3)):
            top = coll.search(query, plan).hits[0]
            assert (top.page, top.path) == (page, str(tmp_path / "science.pdf")), (query, plan.kind)


def test_bad_files_are_reported_and_good_ones_indexed(tmp_path, new_collection):
    good = make_pdf(tmp_path / "good.pdf", PAGES[:1])
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "empty.txt").write_text("   \n")
    coll = new_collection()
    report = coll.ingest([good, tmp_path / "broken.pdf", tmp_path / "empty.txt", tmp_path / "nope.pdf"])
    assert report.indexed == [str(good)]
    reasons = dict(report.failed)
    assert set(reasons) == {str(tmp_path / "broken.pdf"), str(tmp_path / "empty.txt"), str(tmp_path / "nope.pdf")}
    assert "not a readable PDF" in reasons[str(tmp_path / "broken.pdf")]
    assert all("\n" not in r for r in reasons.values())
    docs = {d.path: d for d in coll.documents()}
    assert docs[str(tmp_path / "broken.pdf")].status == "failed"
    assert docs[str(good)].status == "indexed" and docs[str(good)].passages >= 1
    assert coll.search("magma", exhaustive_search_plan()).hits[0].path == str(good)


def test_unchanged_skipped_changed_replaced_removed(tmp_path, new_collection):
    doc = make_pdf(tmp_path / "doc.pdf", PAGES[:2])
    coll = new_collection()
    coll.ingest([doc])
    first_ids = set(coll.late_index().passage_ids.tolist())
    again = coll.ingest([doc])
    assert again.unchanged == [str(doc)] and not again.indexed
    assert set(coll.late_index().passage_ids.tolist()) == first_ids
    make_pdf(doc, [PAGES[2]])
    changed = coll.ingest([doc])
    assert changed.indexed == [str(doc)]
    new_ids = set(coll.late_index().passage_ids.tolist())
    assert new_ids.isdisjoint(first_ids) and min(new_ids) > max(first_ids)  # ids never reused
    assert coll.search("football offside", exhaustive_search_plan()).hits[0].page == 1
    assert coll.remove([doc]) == {str(doc): len(new_ids)}
    assert coll.late_index().n_passages == 0
    counts = coll.store.catalog.counts()  # segments of nothing but tombstones are merged away
    assert counts["segments"] == 0 and counts["tombstones"] == 0


def test_passage_ids_are_stable_across_other_changes(tmp_path, new_collection):
    a = make_pdf(tmp_path / "a.pdf", PAGES[:1])
    b = make_pdf(tmp_path / "b.pdf", PAGES[1:2])
    coll = new_collection()
    coll.ingest([a, b])
    before = {p.passage_id: p.text for p in coll.store.catalog.describe(coll.late_index().passage_ids.tolist())}
    coll.remove([a])
    coll.ingest([make_pdf(tmp_path / "c.pdf", PAGES[2:])])
    after = coll.store.catalog.describe(coll.late_index().passage_ids.tolist())
    survivors = {p.passage_id: p.text for p in after if p.path == str(b)}
    assert survivors and all(before[pid] == text for pid, text in survivors.items())
    # vectors followed their passages through compaction
    hit = coll.search(PAGES[1], exhaustive_search_plan()).hits[0]
    assert hit.path == str(b) and hit.passage_id in survivors


def test_encoder_mismatch_and_format_version_are_refused(tmp_path, new_collection, encoder):
    coll = new_collection()
    coll.ingest([make_pdf(tmp_path / "a.pdf", PAGES[:1])])
    root = coll.store.root
    with pytest.raises(EncoderMismatch, match="cannot be searched or extended with model 'other/model'"):
        Collection.open(root, model="other/model")
    db = sqlite3.connect(root / "catalog.sqlite")
    db.execute("UPDATE manifest SET value = 'deadbeefdeadbeef' WHERE key = 'encoder_checksum'")
    db.commit()
    with pytest.raises(EncoderMismatch) as err:
        Collection.open(root, encoder=encoder)
    assert "deadbeefdeadbeef" in str(err.value) and encoder.checksum in str(err.value)
    db.execute("UPDATE manifest SET value = '99' WHERE key = 'format_version'")
    db.commit()
    with pytest.raises(IndexFormatError, match="format version 99.*reads format versions 1, 2"):
        Collection.open(root)


def test_unreferenced_segment_is_ignored_then_cleaned(tmp_path, new_collection):
    coll = new_collection()
    coll.ingest([make_pdf(tmp_path / "a.pdf", PAGES[:1])])
    orphan = write_segment(coll.store.segment_dir, np.ones((5, 128), np.float32))  # a crash before commit
    reopened = Collection.open(coll.store.root, encoder=coll.encoder)
    assert reopened.late_index().n_vectors == coll.late_index().n_vectors
    reopened.ingest([make_pdf(tmp_path / "b.pdf", PAGES[1:2])])
    assert not (coll.store.segment_dir / orphan).exists()


def test_killed_ingest_keeps_only_whole_documents(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    words = " ".join(f"topic{i} sentence about subject number {i}." for i in range(400))
    for i in range(24):
        (docs / f"doc{i:02d}.txt").write_text(f"Document {i}. " + words)
    index = tmp_path / "killed.kayak"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "ingest", str(docs), "--index", str(index), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 240
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.3)
        try:
            db = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
            committed = db.execute("SELECT COUNT(*) FROM documents WHERE status = 'indexed'").fetchone()[0]
            db.close()
        except sqlite3.Error:
            continue
        if committed:
            break
    assert proc.poll() is None, "ingest finished before it could be killed; make the test corpus larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < committed < 24
    coll = Collection.open(index)
    idx = coll.late_index()
    counted = {}
    for info in coll.store.catalog.describe(idx.passage_ids.tolist()):
        counted[info.document_id] = counted.get(info.document_id, 0) + 1
    for d in coll.documents():
        assert d.status == "indexed" and counted[d.id] == d.passages  # whole documents only
    assert idx.n_vectors == int(idx.lengths.sum()) and np.isfinite(np.asarray(idx.vectors[-1], np.float32)).all()


def test_a_saved_checkpoint_folder_can_be_the_encoder(tmp_path, encoder):
    """A saved multi-vector checkpoint (sentence-transformers 6's own layout) loads with its own settings and is
    recorded in the manifest."""
    folder = tmp_path / "checkpoint"
    encoder.model.save(str(folder))
    coll = Collection.open(tmp_path / "custom.kayak", model=str(folder), create=True)
    assert coll.encoder.identity == str(folder) and coll.encoder.checksum != encoder.checksum
    assert coll.encoder.encode_query("hello world").tokens[0] == "[CLS]"  # a checkpoint keeps its specials
    coll.ingest([make_pdf(tmp_path / "s.pdf", PAGES)])
    reopened = Collection.open(tmp_path / "custom.kayak")
    assert reopened.info()["model"] == str(folder)
    assert reopened.search("magma and lava", exhaustive_search_plan()).hits[0].page == 1
    with pytest.raises(EncoderMismatch):
        Collection.open(tmp_path / "custom.kayak", encoder=encoder)


def test_lexical_stage_uses_fts5_safely(tmp_path, new_collection):
    from workbench.core import hybrid_search_plan

    coll = new_collection()
    coll.ingest([make_pdf(tmp_path / "s.pdf", PAGES)])
    ids, scores = coll.store.catalog.lexical_search('football "offside OR (rule* NEAR', 5)
    assert len(ids) == 1 and scores[0] > 0  # FTS5 syntax (quotes, OR, *, NEAR) is searched as plain words
    assert coll.store.catalog.describe(ids.tolist())[0].page == 3
    assert coll.store.catalog.lexical_search("erupting volcano", 5)[0].size == 1  # Porter stemming
    result = coll.search("offside rule", hybrid_search_plan(final_k=1, candidate_k=1, lexical_k=2))
    assert [s.name for s in result.stages] == [
        "stage1:document_proxy",
        "stage1:lexical_bm25",
        "stage2:exact_maxsim_compressed",  # the default tier keeps compressed vectors
        "fusion:rrf(w=0.3)",
    ]
    assert result.hits[0].page == 3 and result.hits[0].parts.lexical_rank == 1

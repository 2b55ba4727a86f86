"""A big file is committed in parts as it is encoded: an ingest holds a bounded number of vectors whatever
the file's size, a stopped ingest keeps every part it committed, and the share of a big text or
``.jsonl`` file read gives the time left from its first chunk."""

from __future__ import annotations

import json
import os

import pytest

from workbench.collection import batched_encoding
from workbench.core import exhaustive_search_plan
from workbench.ingest import parse_file
from workbench.store import IndexStore

TOPICS = ["volcanoes and lava", "glaciers and valleys", "tides and the moon", "bees and honey", "comets and ice"]
PART = 600  # vectors per part in these tests (the real one is 50,000)


def write_corpus(path, n: int):
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = f"Record {i} is about {TOPICS[i % 5]}, observed in year {1900 + i}."
            fh.write(json.dumps({"_id": f"d{i}", "title": "", "text": text}) + "\n")
    return path


@pytest.fixture
def commits(monkeypatch):
    """Token vectors per commit of every ingest in the test, in order."""
    sizes: list[int] = []
    real = IndexStore.add_documents
    monkeypatch.setattr(batched_encoding, "PART_VECTORS", PART)
    monkeypatch.setattr(IndexStore, "add_documents", lambda self, docs, v: sizes.append(len(v)) or real(self, docs, v))
    return sizes


def test_a_big_file_is_committed_in_bounded_parts_as_it_is_encoded(tmp_path, new_collection, encoder, commits):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 300)
    coll = new_collection()
    log: list[str] = []
    for ev in coll.iter_ingest([corpus]):
        log.append(f"{ev.status}@{len(commits)}")
    indexed = next(entry for entry in log if entry.startswith("indexed"))
    # parts were committed while the file was still being encoded, none larger than a part and a chunk
    assert int(indexed.split("@")[1]) >= 3
    bound = PART + batched_encoding.ENCODE_CHUNK * encoder.max_passage_tokens
    assert max(commits) < bound and sum(commits) == coll.store.catalog.counts()["vectors"]
    doc = coll.store.catalog.document(os.fsencode(corpus))
    assert doc.status == "indexed" and doc.passages == 300 and doc.content_hash is not None
    assert coll.store.catalog.counts()["passages"] == 300
    for i in (0, 299):  # a record of the first part and of the last both found, whole
        hit = coll.search(f"Record {i} year {1900 + i}", exhaustive_search_plan(final_k=1)).hits[0]
        assert hit.text == f"Record {i} is about {TOPICS[i % 5]}, observed in year {1900 + i}."
    assert [e.status for e in coll.iter_ingest([corpus]) if e.path == str(corpus)] == ["unchanged"]


def test_a_stopped_ingest_keeps_its_committed_parts_and_the_next_finishes_the_file(tmp_path, new_collection, commits):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 300)
    coll = new_collection()
    events = coll.iter_ingest([corpus])
    for _ in events:
        if commits:  # the first part is committed: stop here (as Ctrl+C or the window's Stop would)
            break
    events.close()
    doc = coll.store.catalog.document(os.fsencode(corpus))
    kept = coll.store.catalog.counts()["passages"]
    assert 0 < kept < 300 and doc.passages == kept
    assert doc.status == "indexed" and doc.content_hash is None  # incomplete: the next ingest redoes it
    hit = coll.search("Record 0 year 1900", exhaustive_search_plan(final_k=1)).hits[0]
    assert hit.text.startswith("Record 0 is about")  # what was committed is searchable
    statuses = [e.status for e in coll.iter_ingest([corpus]) if e.path == str(corpus)]
    assert "indexed" in statuses
    doc = coll.store.catalog.document(os.fsencode(corpus))
    assert doc.passages == 300 and doc.content_hash is not None
    assert coll.store.catalog.counts()["passages"] == 300  # the partial passages were replaced, not doubled


def test_a_file_that_ends_right_after_a_part_writes_no_empty_segment(tmp_path, new_collection, commits, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 128)  # two chunks of 64, each a part
    monkeypatch.setattr(batched_encoding, "PART_VECTORS", 1)
    coll = new_collection()
    assert [e.status for e in coll.iter_ingest([corpus]) if e.path == str(corpus)][-1] == "indexed"
    counts = coll.store.catalog.counts()
    assert counts["passages"] == 128 and counts["segments"] == len(commits) - 1 == 2  # the last commit: no vectors
    assert coll.store.catalog.document(os.fsencode(corpus)).passages == 128


def test_a_big_jsonl_file_has_its_share_read_and_a_time_left_from_its_first_chunk(tmp_path, new_collection):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 200)
    progress = [e for e in new_collection().iter_ingest([corpus]) if e.status == "encoding"]
    first = progress[0]  # after 64 of 200 records, the file (the only one) not yet done
    assert first.message.startswith("encoded 64 passages (") and first.message.endswith("% of the file)")
    assert first.eta_s is not None and first.eta_s > 0 and first.rate > 0
    shares = [int(e.message.split("(")[1].split("%")[0]) for e in progress]
    assert shares == sorted(shares) and 25 <= shares[0] <= 40  # 64 of 200 equal-sized records


def test_the_share_of_a_text_file_read_grows_to_one(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\n\n".join(f"Paragraph {i} says something about rivers." for i in range(40_000)))
    parsed = parse_file(path, 100)
    assert parsed.share_done(None) is None  # nothing read yet
    next(parsed.passages)
    early = parsed.share_done(None)
    assert early is not None and 0 < early < 1
    for _ in parsed.passages:
        pass
    assert parsed.share_done(None) == 1.0
    assert parse_file(path, 100).share_done(None) is None


def test_an_ingest_lets_go_of_the_encoder_once_its_passages_are_in(tmp_path, new_collection, encoder):
    """What a one-shot ingest (the CLI) does before merges and centroid training: the encoder is freed, and a
    later search loads one again (the same weights, so the index still accepts it)."""
    from workbench.collection.ingest_times import IngestTimes

    coll = new_collection()
    events = coll.iter_ingest([write_corpus(tmp_path / "corpus.jsonl", 20)])
    for ev in events:
        if ev.status == "committed":
            break
    events.close()
    coll.release_encoder()
    assert coll._encoder is None
    run = batched_encoding.InProcessEncoding(encoder)
    assert list(run.run([], coll._encoder_spec(), IngestTimes())) == [] and not hasattr(run, "encoder")
    result = coll.search("lava and volcanoes", exhaustive_search_plan(final_k=1))
    assert coll._encoder is not None and coll._encoder is not encoder  # loaded again, checked against the index
    assert result.hits and "volcanoes" in coll.store.catalog.describe([result.hits[0].passage_id])[0].text

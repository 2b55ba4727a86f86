"""The relevance floor of an index (workbench.collection.relevance_floor and its file in the store): learnt from
nonsense made of the index's own words, kept in the index folder and reused, learnt again when the index
grew by half or the encoder changed, a broken file never trusted, and no floor on a tiny index."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from relevance_corpus import MORE, more_pdf, science_pdfs

from workbench.collection import Collection
from workbench.collection import relevance_floor as rf
from workbench.core import auto_search_plan
from workbench.store.relevance_floor_file import (
    FLOOR_FILE,
    FLOOR_VERSION,
    MAX_BYTES,
    read_floor_record,
    write_floor_record,
)

PLAN = auto_search_plan()
NONSENSE = ("chocolate banana bread", "recipe for lasagna with spinach", "???")


@pytest.fixture(scope="module")
def science(tmp_path_factory, encoder):
    """An index of 24 one-sentence passages in three PDFs (no floor learnt)."""
    root = tmp_path_factory.mktemp("science")
    coll = Collection.open(root / "idx", create=True, encoder=encoder)
    assert coll.ingest(science_pdfs(root)).ok and coll.counts()["passages"] == 24
    return root / "idx"


def copy_of(index, tmp_path, encoder) -> Collection:
    shutil.copytree(index, tmp_path / "idx")
    return Collection.open(tmp_path / "idx", encoder=encoder)


def record(**changes) -> dict:
    base = {
        "version": FLOOR_VERSION,
        "floor": 0.45,
        "method": rf.METHOD,
        "samples": 120,
        "passages": 24,
        "encoder": "some/encoder",
        "seconds": 2.5,
    }
    return {**base, **changes}


def test_a_floor_is_learnt_once_kept_in_the_index_folder_and_judges_results(science, tmp_path, encoder, monkeypatch):
    coll = copy_of(science, tmp_path, encoder)
    assert rf.floor_due(coll) and rf.known_floor(coll) is None
    assert rf.why_no_floor(coll) == "no floor yet: this index's relevance floor has not been learnt"
    floor = rf.learn_floor(coll)
    assert (floor.samples, floor.passages, floor.method) == (rf.CALIBRATION_QUERIES, 24, rf.METHOD)
    assert 0.0 < floor.value < 1.0 and floor.seconds > 0
    kept = json.loads((tmp_path / "idx" / FLOOR_FILE).read_text())
    assert kept["floor"] == floor.value and kept["encoder"] == coll.encoder_identity and kept["passages"] == 24

    def no_learning(*_args, **_kw):
        raise AssertionError("a kept floor is not learnt again")

    monkeypatch.setattr(rf, "iter_best_cosines", no_learning)
    reader = Collection.open(tmp_path / "idx", read_only=True, encoder=encoder)  # another program, say the CLI
    assert rf.known_floor(reader).value == floor.value and not rf.floor_due(reader)
    real = rf.judge_result(reader, reader.search("lava and ash from a volcano", PLAN))
    assert real.good_match is True and real.floor == floor.value and real.best >= floor.value
    assert real.weak == tuple(c < floor.value for c in real.cosines)
    for text in NONSENSE:
        verdict = rf.judge_result(reader, reader.search(text, PLAN))
        assert verdict.good_match is False, (text, verdict.why)
        assert all(verdict.weak)


def test_the_floor_is_learnt_again_once_the_index_grew_by_half(science, tmp_path, encoder):
    coll = copy_of(science, tmp_path, encoder)
    first = rf.learn_floor(coll)
    assert coll.ingest([more_pdf(tmp_path, MORE[:6], "weather.pdf")]).ok  # 24 → 30 passages: still fits
    assert rf.known_floor(coll).value == first.value
    assert coll.ingest([more_pdf(tmp_path, MORE[6:], "creatures.pdf")]).ok  # 36: half as many again
    assert rf.known_floor(coll) is None and rf.floor_due(coll)
    again = rf.judge_result(coll, coll.search("ice ages and the earth's orbit", PLAN))
    assert again.floor is not None and rf.known_floor(coll).passages == 36
    assert read_floor_record(tmp_path / "idx")["passages"] == 36


def test_another_encoder_or_rule_makes_the_floor_due(science, tmp_path, encoder):
    coll = copy_of(science, tmp_path, encoder)
    assert write_floor_record(tmp_path / "idx", record(encoder="another/model"))
    assert rf.known_floor(coll) is None and rf.floor_due(coll)
    assert write_floor_record(tmp_path / "idx", record(encoder=coll.encoder_identity, method="an older rule"))
    assert rf.known_floor(coll) is None  # learnt by another rule: learnt again
    assert write_floor_record(tmp_path / "idx", record(encoder=coll.encoder_identity))
    assert rf.known_floor(coll).value == 0.45


def test_a_broken_floor_file_is_learnt_again(science, tmp_path, encoder):
    coll = copy_of(science, tmp_path, encoder)
    (tmp_path / "idx" / FLOOR_FILE).write_text('{"version": 1, "floor": "high"')
    assert rf.known_floor(coll) is None and rf.floor_due(coll)
    verdict = rf.judge_result(coll, coll.search("comets and their tails", PLAN))
    assert verdict.floor is not None and verdict.good_match is True
    assert read_floor_record(tmp_path / "idx")["floor"] == verdict.floor  # replaced by a sound one


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps(record(version=2)),
        json.dumps(record(version=True)),
        json.dumps(record(floor=1.5)),
        json.dumps(record(floor=True)),
        json.dumps(record(samples=0)),
        json.dumps(record(passages=2.5)),
        json.dumps(record(seconds=-1)),
        json.dumps(record(encoder=None)),
        json.dumps({**record(), "extra": 1}),
        json.dumps({k: v for k, v in record().items() if k != "method"}),
        json.dumps(record()).replace("0.45", "NaN"),
        json.dumps(record()) + " " * MAX_BYTES,
    ],
)
def test_the_floor_file_is_read_defensively(tmp_path, content):
    assert write_floor_record(tmp_path, record()) and read_floor_record(tmp_path) == record()
    (tmp_path / FLOOR_FILE).write_text(content)
    assert read_floor_record(tmp_path) is None


def test_a_linked_or_special_floor_file_is_not_read(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert write_floor_record(elsewhere, record())
    index = tmp_path / "idx"
    index.mkdir()
    os.symlink(elsewhere / FLOOR_FILE, index / FLOOR_FILE)
    assert read_floor_record(index) is None
    assert write_floor_record(index, record(floor=0.3))  # the link is replaced, its target left alone
    assert not (index / FLOOR_FILE).is_symlink() and read_floor_record(elsewhere)["floor"] == 0.45
    (index / FLOOR_FILE).unlink()
    os.mkfifo(index / FLOOR_FILE)
    assert read_floor_record(index) is None  # never blocks on a FIFO


def test_a_tiny_index_has_no_floor_yet(pdf_copies):
    coll = pdf_copies[0]
    passages = coll.counts()["passages"]
    assert passages < rf.MIN_PASSAGES and not rf.floor_due(coll) and rf.learn_floor(coll) is None
    verdict = rf.judge_result(coll, coll.search("lava", PLAN))
    assert verdict.good_match is None and verdict.floor is None and verdict.best is not None
    assert (
        verdict.why == f"no floor yet: the index holds {passages} passages, and a relevance floor is learnt from 20 on"
    )
    assert not (coll.store.root / FLOOR_FILE).exists()


def test_nonsense_is_made_of_words_from_different_passages():
    texts = [f"alpha{i} beta{i} gamma{i} " + "x" * 2 for i in range(10)]
    texts = [t.replace(str(i), "abcdefghij"[i]) for i, t in enumerate(texts)]  # words of letters only
    queries = rf.nonsense_queries(texts, 16, seed=3)
    assert queries == rf.nonsense_queries(texts, 16, seed=3) != rf.nonsense_queries(texts, 16, seed=4)
    assert [len(q.split()) for q in queries] == [1 + i % 8 for i in range(16)]  # each length in turn
    for q in queries:
        sources = [w[-1] for w in q.split()]  # the letter names the passage the word came from
        assert len(set(sources)) == len(sources)  # never two words of one passage
        assert all(w in " ".join(texts).split() for w in q.split())
    scrambled = rf.nonsense_queries(texts, 16, seed=3, scrambled=True)
    letters = {"".join(sorted(w.lower())) for t in texts for w in t.split()}
    assert all("".join(sorted(w)) in letters for q in scrambled for w in q.split())  # a word's letters, shuffled
    assert scrambled != queries
    assert rf.nonsense_queries(["only one passage here"], 5, seed=0) == []
    assert rf.nonsense_queries(["12 34", "5 6"], 5, seed=0) == []  # no word of three letters

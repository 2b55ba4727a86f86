"""Distributed ingest on a real local Ray cluster (two CPUs): the same passages and vectors as a local
ingest, a lost worker's file sent again, a worker with other weights refused, cancel stopping the workers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import ray
from conftest import make_pdf

from workbench.cli import main
from workbench.cluster.ray_ingest import RayEncoding, WorkersUnavailable
from workbench.collection import Collection

FORMATS = Path(__file__).parent / "formats" / "corpus"

TOPICS = [
    "volcanoes and magma rising through the crust",
    "photosynthesis in green leaves",
    "the offside rule in football",
    "tidal locking of moons",
    "sourdough fermentation by wild yeast",
]


def _pdf_pages(i: int) -> list[str]:
    return [
        f"Document {i}, page {p}: " + " ".join(TOPICS[(i + p + k) % len(TOPICS)] for k in range(12)) for p in range(3)
    ]


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster for the module; every RayEncoding here joins it (and leaves it running)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for i in range(4):
        make_pdf(folder / f"doc{i}.pdf", _pdf_pages(i))
    make_pdf(folder / "blank.pdf", ["", ""])  # no text at all: failed, with its reason
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n")  # not a PDF one can open
    (folder / "notes.md").write_text("# Field notes\n\nLava cools into basalt.\n\nYeast makes bread rise.\n")
    for name in ("field-guide.docx", "field-guide.epub", "slides.pptx", "harbour.mbox"):  # formats beyond PDF
        shutil.copyfile(FORMATS / name, folder / name)
    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": f"d{i}", "title": "t", "text": TOPICS[i]}) for i in range(len(TOPICS))) + "\n"
    )
    return folder


@pytest.fixture(scope="module")
def local_index(corpus, tmp_path_factory, encoder) -> Collection:
    # exact on both sides: the comparison reads the vectors as encoded (two compact indexes would each have
    # trained centroids of their own)
    coll = Collection.open(tmp_path_factory.mktemp("local") / "local.kayak", create=True, encoder=encoder, tier="exact")
    coll.ingest([corpus])
    return coll


def contents(coll: Collection) -> dict:
    """Per (document, passage ordinal): page, text, tokens, boxes, source key, location and token vectors; per
    document its status, reason, notes, pages and characters."""
    index = coll.late_index()
    out = {}
    for info, start, length in zip(index.catalog.describe(index.passage_ids.tolist()), index.starts, index.lengths):
        out[(Path(info.path).name, info.ordinal)] = (
            info.page,
            info.text,
            info.tokens,
            info.boxes,
            info.source_key,
            info.location,
            np.asarray(index.vectors[start : start + length]),
        )
    for doc in coll.documents():
        out[Path(doc.path).name] = (
            doc.status,
            doc.error,
            doc.notes,
            doc.pages,
            doc.passages,
            doc.chars,
            doc.unrepresented,
            doc.content_hash,
        )
    return out


def assert_same(ray_coll: Collection, local: Collection) -> None:
    got, want = contents(ray_coll), contents(local)
    assert got.keys() == want.keys()
    for key, expected in want.items():
        if isinstance(expected[-1], np.ndarray):
            assert got[key][:-1] == expected[:-1], key
            # float16 as stored; a Ray worker's one torch thread sums in another order than the test
            # process's threads, which may move a value by a float16 step (4.9e-4 at most for unit vectors)
            diff = np.abs(got[key][-1].astype(np.float32) - expected[-1].astype(np.float32))
            assert diff.max() <= 4.9e-4, (key, diff.max())
        else:
            assert got[key] == expected, key


def test_a_ray_ingest_from_the_cli_equals_a_local_ingest_passage_for_passage(
    cluster, corpus, local_index, tmp_path, encoder, capsys
):
    target = tmp_path / "ray.kayak"
    Collection.open(
        target, create=True, encoder=encoder, tier="exact"
    )  # created here: the driver loads no encoder below
    assert main(["ingest", str(corpus), "--index", str(target), "--ray", "--quiet"]) == 1  # two files fail
    out = capsys.readouterr().out
    # a worker still loading its encoder when the last file comes back is never announced: one or two lines
    ready = [line for line in out.splitlines() if line.startswith("ray: worker")]
    assert 1 <= len(ready) <= 2 and all("checksum matches the index" in line for line in ready)
    assert "failed: " in out and "blank.pdf" in out and "kayak-ray-" not in out  # the worker's copy never shows
    coll = Collection.open(target)
    assert_same(coll, local_index)
    located = {(key[0], value[5]) for key, value in contents(coll).items() if isinstance(key, tuple) and value[5]}
    assert ("slides.pptx", "slide 2 notes") in located and (
        "field-guide.epub",
        "chapter “Knots for sailors”",
    ) in located
    # nothing new (failed files are tried again, so only indexed ones): Ray is never started
    pool = RayEncoding()
    events = list(coll.iter_ingest([corpus / "doc0.pdf", corpus / "notes.md"], encoding=pool))
    assert pool.worker_infos == [] and [e.status for e in events] == ["unchanged", "unchanged", "committed"]
    assert_same(Collection.open(target), local_index)


def test_a_ray_ingest_into_a_compact_index_stores_coded_segments(
    cluster, corpus, local_index, tmp_path, encoder, capsys
):
    from workbench.core import exhaustive_search_plan
    from workbench.store.segments import coded_bits

    target = tmp_path / "compact.kayak"
    Collection.open(target, create=True, encoder=encoder, tier="compact-4")
    assert main(["ingest", str(corpus), "--index", str(target), "--ray", "--quiet"]) == 1  # the same two fail
    capsys.readouterr()
    coll = Collection.open(target, encoder=encoder)
    files = coll.store.catalog.segment_files()
    assert files and all(coded_bits(f) == 4 for f in files)  # coded after the first training, by the driver
    got, want = contents(coll), contents(local_index)
    assert got.keys() == want.keys()
    cosines = []
    for key, expected in want.items():
        if isinstance(expected[-1], np.ndarray):  # a passage: the same text and boxes, its vectors coded
            assert got[key][:-1] == expected[:-1], key
            a, b = got[key][-1], expected[-1].astype(np.float32)
            cosines.append((a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))
        else:
            assert got[key] == expected, key
    # 0.990 measured (0.997 before the corpus held e-books, slides and mail): 4-bit residuals on a few hundred
    # centroids; a broken codec would sit near 0
    assert np.concatenate(cosines).mean() > 0.98
    plan = exhaustive_search_plan(final_k=3)
    for query in TOPICS:
        compact, exact = coll.search(query, plan).hits, local_index.search(query, plan).hits
        assert (Path(compact[0].path).name, compact[0].page) == (Path(exact[0].path).name, exact[0].page)
        # scored as stored: MaxSim over the hit's decoded coded rows (how far the coded vectors sit from the exact
        # ones is the cosine above; the top score itself moved by 1.7-5.2 % between runs on this tiny corpus)
        q, d = coll.encode_query(query).matrix(), coll.late_index().passage_vectors(compact[0].row)
        assert compact[0].score == pytest.approx(float((q @ d.T).max(axis=1).sum()), abs=1e-4)


def test_a_lost_worker_is_replaced_and_its_file_sent_again(cluster, corpus, local_index, tmp_path, encoder):
    coll = Collection.open(tmp_path / "lost.kayak", create=True, encoder=encoder, tier="exact")
    pool = RayEncoding(workers=2)
    killed = None
    events = []
    for ev in coll.iter_ingest([corpus], encoding=pool):
        events.append(ev)
        if killed is None and ev.status == "encoding" and ev.path.endswith("doc0.pdf"):
            killed = next(w.pid for w in pool.worker_infos if f"(pid {w.pid})" in ev.message)
            os.kill(killed, signal.SIGKILL)  # the worker dies while it reads or encodes doc0.pdf
    assert killed is not None
    retried = [e for e in events if e.status == "retrying"]
    # doc0.pdf and the file queued behind it on that worker (if any) were sent again, once each
    assert any(e.path.endswith("doc0.pdf") for e in retried) and len(retried) <= 2
    assert all("its worker was lost; sent again (2 of 3)" == e.message for e in retried)
    assert any(
        e.status == "workers" and "was lost" in e.message and "starting a fresh one" in e.message for e in events
    )
    assert_same(coll, local_index)


def test_a_worker_whose_encoder_differs_from_the_index_is_refused(cluster, corpus, tmp_path, encoder):
    target = tmp_path / "other.kayak"
    Collection.open(target, create=True, encoder=encoder, tier="exact")
    db = sqlite3.connect(target / "catalog.sqlite")  # the index says other weights wrote it
    db.execute("UPDATE manifest SET value = 'deadbeefdeadbeef' WHERE key = 'encoder_checksum'")
    db.commit()
    db.close()
    coll = Collection.open(target)
    events = []
    with pytest.raises(WorkersUnavailable) as err:
        for ev in coll.iter_ingest([corpus], encoding=RayEncoding(workers=2)):
            events.append(ev)
    assert "refused" in str(err.value) and "deadbeefdeadbeef" in str(err.value) and encoder.checksum in str(err.value)
    assert [e.status for e in events if e.status == "workers"].count("workers") == 3  # starting + two refusals
    assert not any(e.status in ("indexed", "failed") for e in events)
    assert Collection.open(target).store.catalog.counts()["passages"] == 0
    assert list(Collection.open(target).documents()) == []  # nothing recorded: a right worker does them all later


def test_closing_a_ray_ingest_commits_what_came_back_and_stops_the_workers(cluster, corpus, tmp_path, encoder):
    coll = Collection.open(tmp_path / "cancel.kayak", create=True, encoder=encoder)
    pool = RayEncoding(workers=2)
    events = coll.iter_ingest([corpus], encoding=pool)
    first = next(e for e in events if e.status == "indexed")
    events.close()  # as Ctrl+C or the GUI's cancel does
    kept = {Path(d.path).name for d in Collection.open(coll.store.root).documents() if d.status == "indexed"}
    assert Path(first.path).name in kept and len(kept) < 6
    deadline = time.monotonic() + 30
    alive = [w.pid for w in pool.worker_infos]
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.2)
    assert alive == []


def test_ray_missing_is_one_line_with_the_way_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["ingest", str(tmp_path), "--index", str(tmp_path / "x.kayak"), "--ray"]) != 0
    err = capsys.readouterr().err
    assert "needs the package ray" in err and "requirements-cluster.lock" in err
    assert not (tmp_path / "x.kayak").exists()
    assert main(["ingest", str(tmp_path), "--index", str(tmp_path / "x.kayak"), "--workers", "2"]) == 2


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a killed child not yet reaped by Ray is a zombie: gone
        return fh.read().split(") ")[-1][:1] != "Z"

"""Ingest throughput per phase: what the CLI's summary and the GUI's progress say."""

from __future__ import annotations

import time

import pytest
from conftest import make_pdf

from workbench.collection.ingest_times import IngestTimes, format_eta


def test_phases_rates_and_eta():
    times = IngestTimes(started=time.monotonic() - 10.0)
    times.passages = 200
    times.seconds.update(parse=0.5, encode=8.0, write=0.1)
    assert times.rate() == pytest.approx(20.0, rel=0.01)
    assert times.eta(done=4, total=5) == pytest.approx(2.5, rel=0.01)
    assert times.eta(done=0, total=5) is None and times.eta(done=5, total=5) is None
    text = times.summary()
    assert "200 passages in 10.0 s (20.0/s)" in text and "parse 400/s, encode 25/s, write 2,000/s" in text
    assert "centroid" not in text
    times.seconds["centroids"] = 1.25
    assert text + "; centroid training 1.2 s" == times.summary()
    assert (
        format_eta(None) == "" and format_eta(42.4) == "about 42 s left" and format_eta(80) == "about 1 min 20 s left"
    )


def test_a_real_ingest_times_every_phase(tmp_path, new_collection):
    coll = new_collection()
    pdf = make_pdf(tmp_path / "a.pdf", ["Volcanoes erupt when magma rises.", "Glaciers carve valleys."])
    events = [e for e in coll.iter_ingest([str(pdf)]) if e.status == "indexed"]
    assert events[0].rate > 0
    t = coll.ingest_times
    assert t.passages == 2 and all(t.seconds[p] > 0 for p in ("parse", "encode", "write"))
    assert t.seconds["encode"] + t.seconds["parse"] + t.seconds["write"] <= t.elapsed + 1e-6


def test_a_single_big_file_has_a_rate_and_time_left_from_its_first_chunk(tmp_path, new_collection):
    coll = new_collection()
    pdf = make_pdf(tmp_path / "big.pdf", [f"Part {i}: the river delta and its silt, year {i}." for i in range(140)])
    progress = [e for e in coll.iter_ingest([str(pdf)]) if e.status == "encoding"]
    first = progress[0]  # after 64 of 140 pages, before the file (the only one) is done
    assert first.message == "encoded 64 passages (page 64 of 140)" and first.done == 0
    assert first.rate > 0 and first.eta_s is not None and first.eta_s > 0
    t = coll.ingest_times
    assert 0 < first.eta_s < t.elapsed * 2  # 76 pages left after 64: about as long again, not unknown


def test_in_flight_passages_count_in_the_rate():
    times = IngestTimes(started=time.monotonic() - 10.0)
    assert times.rate() == 0.0 and times.rate(in_flight=64) == pytest.approx(6.4, rel=0.01)
    assert times.eta(done=0.25, total=1) == pytest.approx(30.0, rel=0.01)  # a quarter of one file in 10 s

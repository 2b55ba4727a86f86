"""The encoder's CPU runtimes: ONNX Runtime gives torch's vectors and tokens, its export is built once and
kept with a checksum, a corrupt file is rebuilt, and a failing or wrong export falls back to torch."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from workbench.encode import Encoder, EncoderError, onnx_cache, onnx_runtime
from workbench.encode.onnx_export import ExportError

DOCS = [
    "Aspirin, 81 mg/day, cut the risk of myocardial infarction (n=1,204; p<0.01).",
    "x",
    # over the 256-token limit: both runtimes must truncate it at the same place
    " ".join(f"Token{i} interleukin-{i % 17} signalling" for i in range(160)),
    "Late interaction keeps one vector per token; MaxSim sums each query token's best match.",
    "Café naïve façade — ünïcödé text, Ελληνικά and 日本語 too.",
]
QUERY = "does aspirin prevent heart attacks?"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder of this module's own (never the user's), set for every encoder built here."""
    root = tmp_path_factory.mktemp("encoder-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAYAK_ENCODER_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def torch_encoder(cache):
    return Encoder(runtime="torch")


@pytest.fixture(scope="module")
def onnx_encoder(cache):
    return Encoder(runtime="onnx")


def _entry(encoder: Encoder):
    return onnx_cache.entry_dir(encoder.checksum)


def test_onnx_gives_torch_vectors_and_tokens(onnx_encoder, torch_encoder, monkeypatch):
    assert onnx_encoder.runtime == "onnx" and torch_encoder.runtime == "torch"
    assert (onnx_encoder.identity, onnx_encoder.checksum) == (torch_encoder.identity, torch_encoder.checksum)
    cores = onnx_runtime.cpu_threads()
    assert len(onnx_encoder._onnx.sessions) == 1 and onnx_encoder._onnx.cores == cores
    assert onnx_encoder.runtime_detail.endswith(f"{cores} cores" if cores > 1 else "1 core")
    monkeypatch.setattr(onnx_encoder, "batch_size", 2)  # several length-sorted batches, order restored
    got, want = onnx_encoder.encode_documents(DOCS), torch_encoder.encode_documents(DOCS)
    assert len(got) == len(DOCS)
    for (v, tokens), (w, expected) in zip(got, want):
        assert tokens == expected
        assert v.dtype == np.float32 and v.shape == w.shape
        assert float(np.abs(v - w).max()) < 1e-4
    assert "," not in got[0][1] and "[CLS]" not in got[0][1]  # skiplist and specials dropped as in torch
    q, r = onnx_encoder.encode_query(QUERY), torch_encoder.encode_query(QUERY)
    assert q.tokens == r.tokens and q.data.shape == r.data.shape
    assert float(np.abs(q.data - r.data).max()) < 1e-4


def test_sessions_side_by_side_give_the_same_output(onnx_encoder):
    """The layout benchmarks/onnx_sessions.py compares: two single-threaded sessions taking batches in turn."""
    folder, manifest = onnx_cache.locate(onnx_encoder.checksum)
    path = folder / onnx_cache.MODEL_FILE
    split = onnx_runtime.OnnxRunner(onnx_encoder.model, path, manifest["inputs"], sessions=2, threads=1)
    assert len(split.sessions) == 2 and split.cores == 2
    for (v, ids, mask), (w, jds, nask) in zip(split.encode(DOCS, False, 2), onnx_encoder._onnx.encode(DOCS, False, 2)):
        assert np.array_equal(ids, jds) and np.array_equal(mask, nask) and float(np.abs(v - w).max()) < 1e-5


def test_export_is_cached_with_a_checksum_and_reused(onnx_encoder, monkeypatch):
    folder = _entry(onnx_encoder)
    manifest = json.loads((folder / onnx_cache.MANIFEST).read_text())
    assert manifest["source"] == onnx_encoder.checksum
    assert manifest["sha256"] == onnx_cache.file_sha256(folder / onnx_cache.MODEL_FILE)
    assert manifest["fused"].get("Attention", 0) > 0  # the default (BERT) model's graph is fused
    assert len(manifest["probes"]["torch_vectors"]) == len(onnx_cache.PROBES)
    assert not list(folder.glob(".*"))  # no temporary files left behind
    before = (folder / onnx_cache.MODEL_FILE).stat().st_mtime_ns
    calls = []
    monkeypatch.setattr(onnx_cache, "export_onnx", lambda *a: calls.append(a))
    again = Encoder()
    assert again.runtime == "onnx" and calls == []
    assert (folder / onnx_cache.MODEL_FILE).stat().st_mtime_ns == before


def test_corrupt_export_is_detected_and_rebuilt(onnx_encoder, tmp_path, monkeypatch, caplog):
    root = tmp_path / "cache"
    shutil.copytree(onnx_cache.cache_root(), root)
    monkeypatch.setenv("KAYAK_ENCODER_CACHE", str(root))
    path = _entry(onnx_encoder) / onnx_cache.MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = bytes(16)  # zero 16 bytes in the middle of a weight
    path.write_bytes(bytes(data))
    exports = []
    real = onnx_cache.export_onnx
    monkeypatch.setattr(onnx_cache, "export_onnx", lambda *a: exports.append(1) or real(*a))
    with caplog.at_level(logging.WARNING, logger="workbench.encode"):
        rebuilt = Encoder()
    assert rebuilt.runtime == "onnx" and exports == [1]
    assert [r.getMessage() for r in caplog.records] == [
        "note: the encoder's cached ONNX export is unusable (its checksum does not match (a corrupt or changed "
        "file)): rebuilding it"
    ]
    manifest = json.loads((path.parent / onnx_cache.MANIFEST).read_text())
    assert onnx_cache.file_sha256(path) == manifest["sha256"]
    assert len(rebuilt.encode_documents(DOCS[:1])[0][1]) > 0


def test_an_installers_export_is_used_and_a_damaged_one_passed_over(onnx_encoder, tmp_path, monkeypatch):
    """A packaged app finds the default's export in its bundle (``sys._MEIPASS/encoders``) and never exports;
    a damaged shipped file is passed over for the user's cache."""
    import sys

    bundle, cache = tmp_path / "bundle", tmp_path / "empty-cache"
    shutil.copytree(onnx_cache.cache_root(), bundle / "encoders")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("KAYAK_ENCODER_CACHE", str(cache))
    monkeypatch.setattr(onnx_cache, "export_onnx", lambda *a: pytest.fail("the shipped export was not used"))
    shipped = bundle / "encoders" / onnx_encoder.checksum
    folder, _ = onnx_cache.locate(onnx_encoder.checksum)
    assert folder.parent == shipped
    packaged = Encoder()
    assert packaged.runtime == "onnx" and not cache.exists()
    model = next(shipped.glob(f"*/{onnx_cache.MODEL_FILE}"))
    model.write_bytes(model.read_bytes()[:-64])  # a truncated file in the bundle
    with pytest.raises(onnx_cache.CacheError, match="no cached export"):
        onnx_cache.locate(onnx_encoder.checksum)  # the empty user cache is what is left


def test_failing_export_falls_back_to_torch_in_one_line(torch_encoder, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("KAYAK_ENCODER_CACHE", str(tmp_path / "empty"))

    def broken(model, dest):  # dies half way through writing its file, as a killed export would
        dest.write_bytes(b"half an ONNX file")
        raise ExportError("torch could not export the model to ONNX: unsupported operator")

    monkeypatch.setattr(onnx_cache, "export_onnx", broken)
    with caplog.at_level(logging.WARNING, logger="workbench.encode"):
        fallback = Encoder()
    assert fallback.runtime == "torch" and "unsupported operator" in fallback.runtime_detail
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].endswith("encoding with torch instead (slower)")
    assert "unsupported operator" in lines[0] and "\n" not in lines[0]
    assert [p.name for p in onnx_cache.entry_dir(fallback.checksum).iterdir()] == []  # no half file, no manifest
    (v, tokens), (w, expected) = fallback.encode_documents(DOCS[:1])[0], torch_encoder.encode_documents(DOCS[:1])[0]
    assert tokens == expected and np.array_equal(v, w)
    with pytest.raises(EncoderError, match="ONNX Runtime"):
        Encoder(runtime="onnx")


def test_export_that_differs_from_torch_is_refused(onnx_encoder, monkeypatch, caplog):
    real = onnx_runtime.OnnxRunner.encode

    def off(self, texts, is_query, batch_size=onnx_runtime.BATCH):
        return [(v + np.float32(1e-3), ids, mask) for v, ids, mask in real(self, texts, is_query, batch_size)]

    monkeypatch.setattr(onnx_runtime.OnnxRunner, "encode", off)
    with caplog.at_level(logging.WARNING, logger="workbench.encode"):
        refused = Encoder()
    assert refused.runtime == "torch"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "differ from torch's by 1.0e-03" in lines[0] and "refusing it" in lines[0]


def test_torch_runtime_never_touches_onnx(tmp_path, monkeypatch):
    monkeypatch.setenv("KAYAK_ENCODER_CACHE", str(tmp_path / "untouched"))

    def forbidden(*args, **kwargs):
        raise AssertionError("runtime='torch' started ONNX")

    monkeypatch.setattr("workbench.encode.encoder.start_onnx", forbidden)
    monkeypatch.setattr(onnx_runtime.OnnxRunner, "__init__", forbidden)
    plain = Encoder(runtime="torch")
    assert plain.runtime == "torch" and plain.encode_query(QUERY).tokens
    monkeypatch.setenv("KAYAK_ENCODER_RUNTIME", "torch")
    assert Encoder().runtime == "torch"
    assert not (tmp_path / "untouched").exists()
    with pytest.raises(EncoderError, match="choose auto, torch or onnx"):
        Encoder(runtime="openvino")


def test_the_status_line_says_where_the_encoder_runs(window, encoder):
    assert encoder.runtime in ("onnx", "torch") and window.coll.encoder_runtime == encoder.runtime_detail
    assert f"({encoder.runtime_detail})" in window.status.toolTip()


def test_default_keeps_the_checksum_its_indexes_were_written_with(torch_encoder):
    """Indexes written while PyLate 1.6 loaded the default record this checksum (weights and settings); the
    default built on sentence-transformers 6 must match it, or every existing index would refuse to open."""
    assert torch_encoder.checksum == "352474e2ced65d01"
    assert torch_encoder.max_passage_tokens == 241 and torch_encoder.dim == 128


def test_a_pylate_checkpoint_keeps_its_settings_on_both_runtimes(tmp_path, cache):
    from pylate_checkpoint import write_pylate_checkpoint

    folder = write_pylate_checkpoint(tmp_path / "pylate", dim=96, query_length=32)
    onnx, plain = Encoder(str(folder)), Encoder(str(folder), runtime="torch")
    assert onnx.runtime == "onnx" and onnx.checksum == plain.checksum and onnx.dim == 96
    settings = onnx.describe_settings()
    assert settings["do_query_expansion"] and settings["query_length"] == 32 and settings["document_length"] == 180
    query = onnx.encode_query(QUERY)  # expansion: served by torch, [MASK] slots scored
    assert len(query.tokens) == 32 and query.tokens[-1] == "[MASK]" and query.tokens[0] == "[CLS]"
    (v, tokens), (w, expected) = onnx.encode_documents(DOCS[:1])[0], plain.encode_documents(DOCS[:1])[0]
    assert tokens == expected and "," not in tokens and "(" not in tokens  # PyLate's punctuation skiplist
    assert float(np.abs(v - w).max()) < 1e-4

"""The quality half of benchmarks/encode.py (workbench.measure.encode_quality) on synthetic runs: the paired
nDCG@10 difference to the reference runtime and its 0.005 flag, the table, and cutting a corpus to its
first documents with the judgments that still apply. No model runs here."""

from __future__ import annotations

import gzip
import json

import pytest

from workbench.measure.encode_quality import compare_quality, quality_table, restrict_qrels, write_corpus
from workbench.measure.evaluation import QUALITY


def run(ndcg_per_query: dict[str, float], passages: int = 50) -> dict:
    """An evaluate()-shaped result: the mean nDCG@10 (rounded as evaluate rounds it) and per-query metrics."""
    per_query = {q: dict.fromkeys(QUALITY, 0.5) | {"ndcg@10": v} for q, v in ndcg_per_query.items()}
    mean = sum(ndcg_per_query.values()) / len(ndcg_per_query)
    return {"ndcg@10": round(mean, 4), "per_query": per_query, "passages": passages}


QUERIES = [str(q) for q in range(20)]
TORCH = {q: 0.3 + 0.03 * i for i, q in enumerate(QUERIES)}


def test_the_difference_is_paired_per_query_and_flagged_beyond_the_tolerance():
    near = dict(TORCH, **{"0": TORCH["0"] + 0.08})  # one query of 20 gains 0.08: mean +0.004
    far = {q: v - 0.01 for q, v in TORCH.items()}  # every query loses 0.01
    rows = compare_quality({"torch fp32": run(TORCH), "onnx fp32": run(near), "onnx int8": run(far)})
    assert [r["name"] for r in rows] == ["torch fp32", "onnx fp32", "onnx int8"]
    ref, onnx, int8 = rows
    assert ref["delta"] == 0.0 and not ref["flag"] and ref["wins"] == ref["losses"] == 0
    assert onnx["delta"] == pytest.approx(0.004) and not onnx["flag"]
    assert (onnx["wins"], onnx["losses"], onnx["queries"]) == (1, 0, 20)
    assert int8["delta"] == pytest.approx(-0.01) and int8["flag"]
    assert int8["low"] <= int8["delta"] <= int8["high"] and int8["losses"] == 20
    assert int8["ndcg"] == pytest.approx(ref["ndcg"] - 0.01, abs=1e-4)


def test_a_runtime_whose_index_was_cut_differently_is_flagged_whatever_its_score():
    rows = compare_quality({"torch fp32": run(TORCH), "onnx fp32": run(TORCH, passages=51)})
    assert rows[1]["delta"] == 0.0 and rows[1]["flag"]
    assert "passages differ" in quality_table("cranfield", rows)


def test_the_table_names_the_reference_and_marks_only_the_flagged_rows():
    far = {q: v - 0.01 for q, v in TORCH.items()}
    table = quality_table("scifact", compare_quality({"torch fp32": run(TORCH), "onnx int8": run(far)}))
    head, columns, torch_line, int8_line = table.splitlines()
    assert "scifact" in head and "20 queries" in head and "50 passages" in head and "torch fp32" in head
    assert "nDCG@10" in columns
    assert torch_line.split()[:3] == ["torch", "fp32", f"{run(TORCH)['ndcg@10']:.4f}"] and ">" not in torch_line
    assert "-0.0100" in int8_line and int8_line.endswith("> 0.005")


def test_a_corpus_is_cut_to_its_first_documents_and_the_judgments_follow(tmp_path):
    src = tmp_path / "corpus.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for i in range(5):
            fh.write(json.dumps({"_id": i if i % 2 else f"d{i}", "title": "", "text": f"text {i}"}) + "\n\n")
    dest = tmp_path / "out" / "corpus.jsonl"
    assert write_corpus(src, dest, limit=3) == {"d0", "1", "d2"}
    assert [json.loads(line)["text"] for line in dest.read_text().splitlines()] == ["text 0", "text 1", "text 2"]
    assert len(write_corpus(src, dest)) == 5  # 0: the whole corpus
    qrels = {"q1": {"d0": 1.0, "3": 2.0}, "q2": {"4": 1.0}, "q3": {"1": 0.0, "d2": 1.0}, "q4": {"1": 0.0}}
    assert restrict_qrels(qrels, {"d0", "1", "d2"}) == {"q1": {"d0": 1.0}, "q3": {"1": 0.0, "d2": 1.0}}


def test_a_corpus_line_without_an_id_is_refused_with_its_line_number(tmp_path):
    src = tmp_path / "corpus.jsonl"
    src.write_text('{"_id": "a", "text": "x"}\n{"text": "no id"}\n')
    with pytest.raises(ValueError, match=r"corpus.jsonl:2: .*_id"):
        write_corpus(src, tmp_path / "out.jsonl")

"""The headless CLI: exit codes, JSON shapes, info/remove/eval, plain one-line errors."""

import json
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from conftest import make_pdf

from workbench.cli import main

PAGES = [
    "Glaciers carve U-shaped valleys as the ice grinds the rock beneath it.",
    "Sourdough bread rises because wild yeast and lactic bacteria ferment the dough.",
]


def run(*args, check_rc=None, cwd=None):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    make_pdf(root / "nature.pdf", PAGES)
    (root / "broken.pdf").write_bytes(b"not a pdf at all")
    proc = run("ingest", root / "nature.pdf", root / "broken.pdf", "--index", root / "idx", "--quiet")
    return root, proc


def test_ingest_exit_code_and_failure_line(cli_index):
    root, proc = cli_index
    assert proc.returncode == 1  # one file failed, the other is indexed
    assert f"failed: {root / 'broken.pdf'}: not a PDF (no %PDF- header" in proc.stdout + proc.stderr
    assert "1 indexed" in proc.stdout and "1 failed" in proc.stdout
    assert re.search(
        r"throughput: 2 passages in [\d.]+ s \([\d.]+/s\): parse [\d,]+/s, encode [\d,]+/s, "
        r"write [\d,]+/s",
        proc.stdout,
    ), proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    again = run("ingest", root / "nature.pdf", "--index", root / "idx", "--quiet", check_rc=0)
    assert "1 unchanged" in again.stdout


def test_search_json_has_the_documented_keys(cli_index):
    root, _ = cli_index
    for plan, verify in (("exhaustive", "0"), ("proxy", "2")):  # the proxy run adds stage 3
        out = json.loads(
            run(
                "search",
                "yeast fermenting dough",
                "--index",
                root / "idx",
                "--plan",
                plan,
                "--final-k",
                "2",
                "--verify-k",
                verify,
                "--json",
                check_rc=0,
            ).stdout
        )
        top = out["hits"][0]
        assert {"path", "page", "passage_id", "score", "text"} <= set(top)
        assert top["page"] == 2 and top["path"] == str(root / "nature.pdf")
        for stage in out["stages"]:
            assert {
                "name",
                "candidates_in",
                "candidates_out",
                "query_vectors",
                "document_vectors",
                "pairwise_similarities",
                "ms",
                "backend",
            } <= set(stage)
        assert len(out["stages"]) == (1 if plan == "exhaustive" else 3)
    stage3 = out["stages"][-1]
    assert (stage3["name"], stage3["pairs"], stage3["backend"]) == ("stage3:cross_encoder", 2, "onnxruntime-cpu")
    assert stage3["tokens"] > 10 and "ms-marco-MiniLM-L-12-v2" in stage3["budget_rule"]
    assert out["hits"][0]["page"] == 2 and out["hits"][0]["score"] == pytest.approx(
        out["hits"][0]["verified"]["score"], abs=1e-5
    )
    assert out["requested_plan"]["verify_k"] == 2


def test_info_and_usage_errors(cli_index):
    root, _ = cli_index
    info = json.loads(run("info", "--index", root / "idx", "--json", check_rc=0).stdout)
    assert info["documents"] == 1 and info["failed"] == 1 and info["dim"] == 128
    assert info["storage_tier"] == "compact-4" and info["bytes_per_vector"] == 68  # the default tier
    assert info["dtype"] == "coded rows: centroid code + 4-bit residuals"
    assert "numpy-reference" in info["backends"]
    per_token = info["bytes_per_token"]  # the ingest trained centroids; info prices them
    assert info["centroids"]["count"] >= 1 and per_token["coded_row"] == 68 and "exact_vector" not in per_token
    assert per_token["total"] == pytest.approx(sum(v for k, v in per_token.items() if k != "total"), abs=0.02)
    text = run("info", "--index", root / "idx", check_rc=0).stdout
    assert "bytes per token" in text and "centroids" in text
    bad = run("search", "x", "--index", root / "idx", "--final-k", "20", "--candidate-k", "5", check_rc=2)
    assert "candidate_k" in bad.stderr and "Traceback" not in bad.stderr
    run("search", "x", "--index", root / "idx", "--backend", "cuda", check_rc=2)
    missing = run("search", "x", "--index", root / "nowhere", check_rc=1)
    assert "is not a Kayak index" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    run("frobnicate", check_rc=2)


def test_eval_on_a_tiny_beir_set(tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    docs = {
        "g": "glaciers carve valleys in the rock",
        "b": "bread dough rises with yeast",
        "v": "volcanoes erupt lava and ash",
        "s": "the sun is a star of hydrogen",
    }
    corpus.write_text("".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in docs.items()))
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"_id": "1", "text": "yeast in bread"})
        + "\n"
        + json.dumps({"_id": "2", "text": "ice carving valleys"})
        + "\n"
    )
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n1\tb\t1\n2\tg\t2\n")
    run("ingest", corpus, "--index", tmp_path / "idx", "--quiet", check_rc=0)
    out = json.loads(
        run(
            "eval",
            "--index",
            tmp_path / "idx",
            "--queries",
            tmp_path / "q.jsonl",
            "--qrels",
            tmp_path / "qrels.tsv",
            "--plan",
            "proxy",
            "--candidate-k",
            "4",
            "--final-k",
            "4",
            "--json",
            check_rc=0,
        ).stdout
    )
    assert out["queries"] == 2
    assert out["ndcg@10"] == 1.0 and out["mrr@10"] == 1.0 and out["recall@10"] == 1.0
    assert out["stage1_recall"] == 1.0  # 4 candidates of 4 passages: stage 1 cannot miss
    assert out["ci95"]["ndcg@10"] == [1.0, 1.0] and set(out["per_query"]) == {"1", "2"}
    both = json.loads(
        run(
            "eval",
            "--index",
            tmp_path / "idx",
            "--queries",
            tmp_path / "q.jsonl",
            "--qrels",
            tmp_path / "qrels.tsv",
            "--plan",
            "hybrid",
            "--candidate-k",
            "4",
            "--final-k",
            "4",
            "--lexical-k",
            "4",
            "--compare",
            "exhaustive,final_k=4,verify_k=2",
            "--json",
            check_rc=0,
        ).stdout
    )
    assert both["a"]["plan"]["fusion"] == "rrf" and both["b"]["plan"]["kind"] == "exhaustive"
    assert both["b"]["plan"]["verify_k"] == 2 and both["b"]["mean_stage_ms"]["stage3:cross_encoder"] > 0
    assert "stage3:cross_encoder" not in both["a"]["mean_stage_ms"]
    assert both["difference"]["ndcg@10"] == {
        "queries": 2,
        "mean": 0.0,
        "low": 0.0,
        "high": 0.0,
        "level": 0.95,
        "wins": 0,
        "losses": 0,
        "ties": 2,
    }
    # The text report and the --compare parser, in this process (each CLI run loads the encoder).
    from workbench.cli.evaluate import compared_args, print_comparison
    from workbench.cli.parser import build_parser
    from workbench.cli.terminal import UsageError

    print_comparison(both["a"], both["b"], both["difference"])
    text = capsys.readouterr().out
    assert text.splitlines()[1].startswith("B: exhaustive") and "A−B" in text and "0/0/2" in text
    args = build_parser().parse_args(
        ["eval", "--index", "i", "--queries", "q", "--qrels", "r", "--plan", "hybrid", "--fusion-weight", "0.7"]
    )
    other = compared_args(args, "hybrid, fusion=none, lexical_k=7")
    assert (other.fusion, other.lexical_k, other.fusion_weight, args.fusion) == ("none", 7, 0.7, "rrf")
    assert compared_args(args, "exhaustive").fusion_weight is None
    with pytest.raises(UsageError, match="is not name=value with a name among"):
        compared_args(args, "hybrid,weight=2")
    with pytest.raises(UsageError, match="needs a number"):
        compared_args(args, "centroid,n_probe=many")
    filtered = json.loads(
        run(
            "eval",
            "--index",
            tmp_path / "idx",
            "--queries",
            tmp_path / "q.jsonl",
            "--qrels",
            tmp_path / "qrels.tsv",
            "--plan",
            "exhaustive",
            "--type",
            "pdf",
            "--json",
            check_rc=0,
        ).stdout
    )
    assert filtered["queries"] == 2 and filtered["ndcg@10"] == 0.0  # no passage is a PDF: nothing found
    (tmp_path / "bad.tsv").write_text("q\td\ts\n")
    bad = run(
        "eval",
        "--index",
        tmp_path / "idx",
        "--queries",
        tmp_path / "q.jsonl",
        "--qrels",
        tmp_path / "bad.tsv",
        check_rc=1,
    )
    assert "header" in bad.stderr


def test_remove_and_version(cli_index):
    root, _ = cli_index
    assert run("--version", check_rc=0).stdout.startswith("workbench ")
    out = run("remove", "--index", root / "idx", root / "nature.pdf", check_rc=0)
    assert "removed" in out.stdout
    run("remove", "--index", root / "idx", root / "nature.pdf", check_rc=1)


@pytest.fixture(scope="module")
def filter_index(tmp_path_factory):
    """notes/bread.txt, modified 2020-01-10, and nature.pdf (both pages), modified now."""
    root = tmp_path_factory.mktemp("cli-filter")
    (root / "notes").mkdir()
    (root / "notes" / "bread.txt").write_text(PAGES[1])
    old = datetime(2020, 1, 10, 12).timestamp()
    os.utime(root / "notes" / "bread.txt", (old, old))
    make_pdf(root / "nature.pdf", PAGES)
    run("ingest", root / "notes", root / "nature.pdf", "--index", root / "idx", "--quiet", check_rc=0)
    return root


def search_json(root, capsys, monkeypatch, *options) -> dict:
    """``search --json`` in this process (the encoder's libraries load once, not once per case)."""
    monkeypatch.chdir(root)
    argv = ["search", "yeast fermenting dough", "--index", root / "idx", "--json", *options]
    assert main([str(a) for a in argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_search_filters_by_folder_type_date_and_document(filter_index, capsys, monkeypatch):
    root = filter_index
    bread, pdf = str(root / "notes" / "bread.txt"), str(root / "nature.pdf")
    plain = search_json(root, capsys, monkeypatch)
    assert plain["where"] is None and plain["eligible_passages"] == 3
    assert {h["path"] for h in plain["hits"]} == {bread, pdf}
    for options, paths, eligible in [
        (["--folder", "notes"], {bread}, 1),  # relative to the cwd
        (["--type", "PDF", "--plan", "exhaustive"], {pdf}, 2),
        (["--modified-before", "2020-01-11"], {bread}, 1),
        (["--modified-after", "2020-01-10T13:00"], {pdf}, 2),
        (["--document", pdf, "--plan", "hybrid"], {pdf}, 2),
        (["--document", bread, "--document", pdf], {bread, pdf}, 3),
    ]:
        out = search_json(root, capsys, monkeypatch, *options)
        assert {h["path"] for h in out["hits"]} == paths, options
        assert out["eligible_passages"] == eligible
    out = search_json(root, capsys, monkeypatch, "--folder", "notes", "--type", "txt")
    assert out["where"]["folders"] == [str(root / "notes")] and out["where"]["file_types"] == ["txt"]
    assert main(["info", "--index", str(root / "idx"), "--json"]) == 0
    ids = {d["path"]: d["id"] for d in json.loads(capsys.readouterr().out)["documents_list"]}
    out = search_json(root, capsys, monkeypatch, "--document", ids[bread])
    assert {h["path"] for h in out["hits"]} == {bread}


def test_search_filter_text_output_and_errors(filter_index):
    root = filter_index
    text = run("search", "bread", "--index", root / "idx", "--type", "txt", check_rc=0).stdout
    assert "filter: type txt — 1 of 3 passages eligible" in text and "bread.txt" in text
    nothing = run("search", "bread", "--index", root / "idx", "--type", "md", check_rc=0)
    assert "0 of 3 passages eligible" in nothing.stdout and "no indexed passage matches the filter" in nothing.stdout
    for options, message in [
        (["--modified-after", "2024-13-01"], "is not a date"),
        (["--modified-before", "yesterday"], "is not a date"),
        (["--modified-after", "2024-02-01", "--modified-before", "2024-01-01"], "date range is empty"),
        (["--document", "999"], "no indexed document"),
        (["--document", root / "notes" / "missing.txt"], "no indexed document"),
    ]:
        bad = run("search", "bread", "--index", root / "idx", *options, check_rc=2)
        assert message in bad.stderr and "Traceback" not in bad.stderr, options
        assert len(bad.stderr.strip().splitlines()) == 1


def test_bench_scale_reports_recall_and_latency_per_plan(tmp_path):
    proc = run(
        "bench-scale",
        "--passages",
        3000,
        "--queries",
        6,
        "--n-probe",
        4,
        "--candidate-k",
        32,
        "--data",
        tmp_path / "data",
        "--json",
        check_rc=0,
    )
    r = json.loads(proc.stdout)
    assert r["passages"] == 3000 and r["tokens"] > 3000 * 8 and r["queries"] == 6
    assert r["build"]["centroids"] >= 16 and r["bytes_per_token"]["exact_vectors_float16"] == 256
    centroid = next(v for k, v in r["plans"].items() if k.startswith("centroid") and "mojo" in k)
    assert {"recall@10", "p50_ms", "p95_ms", "exhaustive_p50_ms", "stage1_recall", "vectors_touched"} <= set(centroid)
    assert 0.5 <= centroid["recall@10"] <= 1 and centroid["p50_ms"] > 0
    assert r["plans"]["exhaustive/numpy-reference"]["recall@10"] == 1.0  # same math as the Mojo truth
    assert set(r["filtered"]) == {"1%", "10%"}
    assert r["filtered"]["10%"]["eligible_passages"] == 300
    for bits in (4, 2):  # the compact tiers: coded rows scored by their kernel, recall against the float truth
        row = next(v for k, v in r["plans"].items() if k.startswith(f"compact-{bits}: centroid"))
        assert row["vectors_touched"].keys() >= {"stage2:exact_maxsim_compressed"}
        assert 0.5 <= row["recall@10"] <= 1 and row["p50_ms"] > 0
        assert r["compact_tiers"][f"compact-{bits}"]["bytes_per_token"] > 4 + 16 * bits
        scaled = r["plans"][f"compact-{bits}: centroid (n_probe 4, candidate_k 2√N = 110)/mojo-exact-cpu"]
        compressed = "stage2:exact_maxsim_compressed"  # ⌈2·√3000⌉ = 110 candidates, not 32: more scored
        assert scaled["vectors_touched"][compressed] > row["vectors_touched"][compressed]
    again = run("bench-scale", "--passages", 3000, "--queries", 6, "--data", tmp_path / "data", check_rc=0)
    assert "centroids read from" in again.stdout and "recall@10" in again.stdout  # cached data reused


def test_query_bytes_that_are_not_utf8_are_a_usage_error(cli_index):
    root, _ = cli_index
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "search", b"caf\xe9 \xff", "--index", root / "idx"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "not UTF-8 text" in out.stderr and "Traceback" not in out.stderr


def test_eval_skips_unsearchable_queries_by_id_and_refuses_an_unjudged_set(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"_id": k, "text": v}) + "\n"
            for k, v in {"b": "bread dough rises with yeast", "v": "volcanoes erupt lava"}.items()
        )
    )
    run("ingest", corpus, "--index", tmp_path / "idx", "--quiet", check_rc=0)
    queries = [
        {"_id": "ok", "text": "yeast bread"},
        {"_id": "blank", "text": "   "},
        {"_id": "null", "text": None},
        {"_id": "thai", "text": "สวัสดีครับ"},
    ]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (tmp_path / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q['_id']}\tb\t1\n" for q in queries)
    )
    args = ("eval", "--index", tmp_path / "idx", "--queries", tmp_path / "q.jsonl", "--plan", "exhaustive")
    out = json.loads(run(*args, "--qrels", tmp_path / "qrels.tsv", "--json", check_rc=0).stdout)
    assert out["queries"] == 1 and out["ndcg@10"] == 1.0
    skipped = {s["id"]: s["reason"] for s in out["skipped"]}
    assert set(skipped) == {"blank", "null", "thai"}  # Thai is all [UNK] to the default encoder
    assert "empty" in skipped["blank"] and "not a string" in skipped["null"]
    text = run(*args, "--qrels", tmp_path / "qrels.tsv", check_rc=0)
    assert "skipped query null" in text.stderr
    (tmp_path / "other.tsv").write_text("query-id\tcorpus-id\tscore\nq99\tb\t1\n")
    none = run(*args, "--qrels", tmp_path / "other.tsv", check_rc=1)
    assert "no query could be evaluated" in none.stderr and "4 without judgments" in none.stderr


def test_failure_lines_stay_one_line_and_paths_are_normalised(tmp_path):
    docs = tmp_path / "d"
    docs.mkdir()
    (docs / "bad\nname.pdf").write_bytes(b"not a pdf")
    (docs / "a.txt").write_text("Volcanoes erupt lava.")
    out = run("ingest", docs, tmp_path / "d" / ".." / "d" / "a.txt", "--index", tmp_path / "idx", check_rc=1)
    failures = [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("failed:")]
    assert len(failures) == 1 and f"{docs}/bad\\nname.pdf: not a PDF" in failures[0]
    info = json.loads(run("info", "--index", tmp_path / "idx", "--json", check_rc=0).stdout)
    assert [d["path"] for d in info["documents_list"] if d["status"] == "indexed"] == [str(docs / "a.txt")]


def test_the_demo_command_ingests_and_searches_with_every_ingest_default(tmp_path, monkeypatch, capsys):
    """``workbench demo`` drives ``ingest`` itself: every ingest option must reach it with its default (a
    hand-made argument list once lacked the Ray options and the demo failed). Two small PDFs stand in
    for the rendered standard-library guide."""
    from conftest import make_pdf

    import workbench.demo as demo

    monkeypatch.setattr(
        demo,
        "build_demo_pdfs",
        lambda folder: [
            make_pdf(tmp_path / "one.pdf", ["Run a shell command and capture its output with subprocess.run."]),
            make_pdf(tmp_path / "two.pdf", ["Parse command-line options with argparse."]),
        ],
    )
    assert main(["demo", "--index", str(tmp_path / "demo.kayak")]) == 0
    out = capsys.readouterr().out
    assert "2 indexed (2 passages)" in out and "one.pdf" in out

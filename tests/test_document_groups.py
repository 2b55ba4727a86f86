"""Results per document on a real index: one PDF indexed from two folders is one entry listing both paths,
in the facade, in ``workbench search`` (text) and in its ``--json``."""

import json

import pytest

from workbench.cli import main
from workbench.core import exhaustive_search_plan


@pytest.fixture
def copies(pdf_copies, tmp_path):
    coll, first, second, other = pdf_copies
    return coll, tmp_path, first, second, other


def test_two_copies_of_one_pdf_are_one_group_listing_both_paths(copies):
    coll, _, first, second, other = copies
    result = coll.search("lava and ash from a volcano", exhaustive_search_plan(final_k=10))
    groups = coll.document_groups(result)
    assert len(result.hits) == 7  # every passage of the three documents
    assert len(groups) == 2 and sorted(groups[0].paths) == [first, second]
    assert groups[0].best is result.hits[0] and groups[0].more == 5 and len(groups[0].document_ids) == 2
    assert groups[1].paths == (other,) and groups[1].more == 0
    assert [h.rank for h in groups[0].hits] == sorted(h.rank for h in groups[0].hits)


def search_out(root, capsys, *options) -> str:
    assert main(["search", "lava and ash from a volcano", "--index", str(root / "idx.kayak"), *options]) == 0
    return capsys.readouterr().out


def test_cli_search_groups_by_document_unless_asked_for_passages(copies, capsys):
    _, root, first, second, other = copies
    text = search_out(root, capsys, "--plan", "exhaustive")
    entries = [line for line in text.splitlines() if line[:3].strip().isdigit()]
    assert len(entries) == 2 and "guide.pdf p." in entries[0] and other in entries[1]
    assert "+5 more in this document: #" in text
    assert f"same content: {second}" in text or f"same content: {first}" in text
    passages = search_out(root, capsys, "--plan", "exhaustive", "--passages")
    assert len([line for line in passages.splitlines() if line[:3].strip().isdigit()]) == 7
    assert "more in this document" not in passages and "same content" not in passages
    explicit = search_out(root, capsys, "--plan", "exhaustive", "--per-document")
    assert explicit.split("\n\n")[0] == text.split("\n\n")[0]  # the same entries (the timings differ)


def test_cli_search_json_gains_a_documents_list(copies, capsys):
    _, root, first, second, other = copies
    out = json.loads(search_out(root, capsys, "--plan", "exhaustive", "--json"))
    assert len(out["hits"]) == 7 and {"query", "plan", "hits", "stages", "syntax"} <= set(out)
    docs = out["documents"]
    assert [sorted(d["paths"]) for d in docs] == [[first, second], [other]]
    assert docs[0]["best_rank"] == 1 and docs[0]["score"] == out["hits"][0]["score"]
    assert docs[0]["page"] == out["hits"][0]["page"]
    assert len(docs[0]["hits"]) == 6 and docs[0]["hits"][0] == {"rank": 1, "passage_id": out["hits"][0]["passage_id"]}
    ranks = sorted(h["rank"] for d in docs for h in d["hits"])
    assert ranks == list(range(1, 8))
    # --passages changes the text only: the JSON keeps both views
    passages = json.loads(search_out(root, capsys, "--plan", "exhaustive", "--json", "--passages"))
    assert {k: v for k, v in passages.items() if k != "stages"} == {k: v for k, v in out.items() if k != "stages"}

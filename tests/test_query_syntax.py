"""Query syntax: the parser (phrases, exclusions, OR, open quotes), its filter as catalog SQL, and the
search it drives through the facade, the CLI and the GUI's search controller."""

from __future__ import annotations

import json
import os
import time

import pytest

from workbench.cli import main
from workbench.core import (
    OnlyExclusions,
    PassageFilter,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
    parse_query,
)
from workbench.store import Catalog, NewDocument, NewPassage


# -- the parser ---------------------------------------------------------------------------------------
def test_plain_text_goes_to_the_encoder_exactly_as_typed():
    for text in ("compare two files", "non-linear  systems", "temperature -40 degrees", "a - b", "cats or dogs"):
        q = parse_query(text)
        assert (q.encoder_text, q.lexical_text, q.phrases, q.excluded, q.notice) == (text, text, (), (), "")
        assert q.where() is None


def test_phrases_are_required_and_their_words_reach_the_encoder():
    q = parse_query('"exact search" budget "Late  Interaction"')
    assert q.phrases == ("exact search", "Late Interaction")  # white space made one space, case kept
    assert q.encoder_text == "exact search budget Late Interaction" and '"' not in q.encoder_text
    assert q.excluded == ()
    assert q.where() == PassageFilter(contains=("exact search", "Late Interaction"))


def test_exclusions_never_reach_the_encoder():
    q = parse_query('compare files -difflib -"unified diff" -filecmp,')
    assert q.encoder_text == q.lexical_text == "compare files"
    assert q.excluded == ("difflib", "unified diff", "filecmp")  # punctuation around a word dropped
    assert "-" not in q.encoder_text and "difflib" not in q.encoder_text
    folder = PassageFilter(folders=("/papers",))
    assert q.where(folder) == PassageFilter(folders=("/papers",), excludes=("difflib", "unified diff", "filecmp"))


def test_or_between_terms_is_the_lexical_sides_operator_and_a_word_elsewhere():
    q = parse_query('budget OR cost "exact search" OR proxy')
    assert q.encoder_text == "budget cost exact search proxy"
    assert q.lexical_text == "budget OR cost exact search OR proxy"
    assert q.phrases == ("exact search",)
    dangling = parse_query("OR gate")  # no term before it: the word, kept for the encoder
    assert dangling.encoder_text == "OR gate" and dangling.lexical_text.split() == ["or", "gate"]
    assert parse_query("cats or dogs").lexical_text == "cats or dogs"  # lower case is a plain word
    assert parse_query("a OR OR b").lexical_text == "a or or b"


def test_an_open_quote_is_searched_as_plain_words_with_a_notice():
    q = parse_query('compare "two files -difflib')
    assert q.phrases == () and '"' not in q.encoder_text
    assert q.encoder_text == "compare two files" and q.excluded == ("difflib",)
    assert q.notice and "\n" not in q.notice and "quote" in q.notice
    assert parse_query('"one" "two').notice  # any odd number of quote marks


def test_a_query_of_only_exclusions_is_an_error_in_plain_words():
    for text in ("-difflib", '-"unified diff" -filecmp', "-x OR -y"):
        with pytest.raises(OnlyExclusions, match="nothing to search for"):
            parse_query(text)
    assert issubclass(OnlyExclusions, ValueError)
    assert parse_query('""').encoder_text == ""  # empty: the encoder refuses it as an empty query


def test_unicode_phrases_and_exclusions():
    q = parse_query('機械 "学習方法" -中文 -Ökonomie "naïve Bayes"')
    assert q.phrases == ("学習方法", "naïve Bayes") and q.excluded == ("中文", "Ökonomie")
    assert q.encoder_text == "機械 学習方法 naïve Bayes"


def test_the_filter_describes_and_serialises_its_text_conditions():
    where = PassageFilter(folders=("/papers",), contains=("a  phrase", "a phrase", ""), excludes=("word",))
    assert where.contains == ("a phrase",) and not where.is_empty
    assert where.describe() == 'containing "a phrase" · without "word" · under /papers'
    assert where.to_dict()["contains"] == ("a phrase",) and where.to_dict()["excludes"] == ("word",)
    assert not PassageFilter(excludes=("x",)).is_empty and PassageFilter(contains=("  ",)).is_empty


# -- the catalog's SQL ---------------------------------------------------------------------------------
TEXTS = {
    "/notes/a.txt": "Compare two TEXT files with difflib's SequenceMatcher.",
    "/notes/b.txt": "The filecmp module compares files and directories.",
    "/papers/c.txt": "A unified diff shows the changed lines of two text files.",
    "/papers/d.txt": "機械学習はデータから学ぶ方法です",
    "/papers/e.txt": "Go is a language; AI is a field.",
}


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.create({"format_version": "2"})
    for path, text in TEXTS.items():
        passage = NewPassage(None, 0, text, text.split(), [], 0)
        cat.commit_batch(
            f"seg-{time.monotonic_ns()}.npy",
            2,
            [NewDocument(path, os.fsencode(path), "h" + path, 1, 0.0, 0, [passage])],
        )
    return cat


def _paths(catalog: Catalog, **fields) -> list[str]:
    ids = catalog.passage_ids_where(PassageFilter(**fields))
    return sorted(p.path for p in catalog.describe(ids.tolist()))


def test_contains_is_a_case_insensitive_substring_of_the_text(catalog):
    assert _paths(catalog, contains=("two text files",)) == ["/notes/a.txt", "/papers/c.txt"]
    assert _paths(catalog, contains=("TWO TEXT",)) == ["/notes/a.txt", "/papers/c.txt"]
    assert _paths(catalog, contains=("two text files", "difflib")) == ["/notes/a.txt"]  # all must hold
    assert _paths(catalog, contains=("difflib's",)) == ["/notes/a.txt"]  # quotes inside are literal
    assert _paths(catalog, contains=("files with",)) == ["/notes/a.txt"]
    assert _paths(catalog, contains=("no such words",)) == []


def test_excludes_removes_passages_holding_the_text(catalog):
    assert _paths(catalog, excludes=("difflib",)) == sorted(set(TEXTS) - {"/notes/a.txt"})
    assert _paths(catalog, excludes=("Text Files",)) == ["/notes/b.txt", "/papers/d.txt", "/papers/e.txt"]
    assert _paths(catalog, contains=("files",), excludes=("unified diff",)) == ["/notes/a.txt", "/notes/b.txt"]


def test_short_terms_and_unspaced_scripts_like_the_substring_search(catalog):
    assert _paths(catalog, contains=("ai",)) == ["/papers/e.txt"]  # two letters: instr, any case
    assert _paths(catalog, contains=("Go",), excludes=("ai",)) == []
    assert _paths(catalog, contains=("学習",)) == ["/papers/d.txt"]  # two characters: instr
    assert _paths(catalog, contains=("学ぶ 方法",)) == ["/papers/d.txt"]  # the gap is squashed: trigram
    assert _paths(catalog, excludes=("データ",)) == sorted(set(TEXTS) - {"/papers/d.txt"})


def test_text_conditions_combine_with_a_folder(catalog):
    assert _paths(catalog, folders=("/papers",), contains=("two text",)) == ["/papers/c.txt"]
    assert _paths(catalog, folders=("/notes",), excludes=("difflib",)) == ["/notes/b.txt"]
    ranked, _ = catalog.lexical_search("files", 10, PassageFilter(folders=("/notes",), excludes=("difflib",)))
    assert sorted(p.path for p in catalog.describe(ranked.tolist())) == ["/notes/b.txt"]


def test_or_is_not_searched_as_a_word_by_the_lexical_side(catalog):
    ids, _ = catalog.lexical_search("filecmp OR unified", 10)
    assert sorted(p.path for p in catalog.describe(ids.tolist())) == ["/notes/b.txt", "/papers/c.txt"]


# -- searching, through the facade ---------------------------------------------------------------------
DOCS = {
    "notes/difflib.txt": "Compare two text files line by line with difflib and its SequenceMatcher.",
    "notes/filecmp.txt": "The filecmp module compares two files and whole directories by their contents.",
    "papers/unified.txt": "A unified diff compares two text files and lists the changed lines with context.",
    "papers/bread.txt": "Sourdough bread rises because wild yeast and lactic bacteria ferment the dough.",
}


@pytest.fixture(scope="module")
def docs_collection(tmp_path_factory):
    from workbench.collection import Collection
    from workbench.encode import Encoder

    root = tmp_path_factory.mktemp("syntax")
    for name, text in DOCS.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text + "\n")
    coll = Collection.open(root / "idx.kayak", create=True, encoder=Encoder())
    assert coll.ingest([root / "notes", root / "papers"]).ok
    return root, coll


def _names(result) -> set[str]:
    return {os.path.relpath(h.path, h.path.rsplit("/", 2)[0]) for h in result.hits}


@pytest.mark.parametrize(
    "plan",
    [exhaustive_search_plan(final_k=10), document_proxy_search_plan(final_k=10, candidate_k=10)],
    ids=lambda p: p.kind,
)
def test_a_phrase_admits_only_passages_holding_it_before_stage_1(docs_collection, plan):
    _, coll = docs_collection
    total = coll.late_index().n_passages
    result = coll.search('"two text files" compare', plan)
    assert _names(result) == {"notes/difflib.txt", "papers/unified.txt"}
    assert all("two text files" in h.text.lower() for h in result.hits)
    assert result.where == PassageFilter(contains=("two text files",)) and result.eligible == 2 < total
    assert result.stages[0].candidates_in == 2  # stage 1 saw only the admitted passages: a filter
    assert result.syntax is not None and result.syntax.phrases == ("two text files",)
    assert result.query.text == "two text files compare" and '"' not in "".join(result.query.tokens)


def test_an_exclusion_removes_passages_before_stage_1(docs_collection):
    _, coll = docs_collection
    total = coll.late_index().n_passages
    plain = coll.search("compare files", exhaustive_search_plan(final_k=10))
    assert "notes/difflib.txt" in _names(plain) and plain.stages[0].candidates_in == total
    result = coll.search("compare files -difflib", exhaustive_search_plan(final_k=10))
    assert "notes/difflib.txt" not in _names(result) and len(result.hits) == total - 1
    assert result.eligible == total - 1 and result.stages[0].candidates_in == total - 1
    assert result.query.text == "compare files"
    tokens = "".join(result.query.tokens).lower()
    assert "diff" not in tokens and "-" not in tokens  # neither the operator nor the word was encoded


def test_syntax_combines_with_a_folder_filter_and_the_hybrid_plans_or(docs_collection):
    root, coll = docs_collection
    papers = PassageFilter(folders=(str(root / "papers"),))
    result = coll.search('compares -"unified diff"', exhaustive_search_plan(final_k=10), where=papers)
    assert _names(result) == {"papers/bread.txt"} and result.eligible == 1
    assert result.where == PassageFilter(folders=(str(root / "papers"),), excludes=("unified diff",))
    hybrid = hybrid_search_plan(final_k=2, candidate_k=2, lexical_k=4)
    result = coll.search("filecmp OR sourdough -yeast", hybrid)
    assert result.query.text == "filecmp sourdough" and result.query.lexical_text == "filecmp OR sourdough"
    lexical = next(s for s in result.stages if "lexical" in s.name)
    assert lexical.candidates_in == result.eligible == len(DOCS) - 1
    assert "papers/bread.txt" not in _names(result) and "notes/filecmp.txt" in _names(result)
    with pytest.raises(OnlyExclusions):
        coll.search("-difflib", hybrid)


# -- the CLI ------------------------------------------------------------------------------------------
def test_cli_search_json_reports_the_syntax_and_honours_it(docs_collection, capsys):
    root, _ = docs_collection
    argv = ["search", '"two text files" compare -difflib', "--index", str(root / "idx.kayak"), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert [os.path.basename(h["path"]) for h in out["hits"]] == ["unified.txt"]
    assert out["query"] == '"two text files" compare -difflib'
    assert out["syntax"] == {
        "text": '"two text files" compare -difflib',
        "encoder_text": "two text files compare",
        "phrases": ["two text files"],
        "excluded": ["difflib"],
        "lexical_text": "two text files compare",
        "notice": "",
    }
    assert out["where"]["contains"] == ["two text files"] and out["where"]["excludes"] == ["difflib"]
    assert out["eligible_passages"] == 1 and captured.err == ""
    assert not any(t in ('"', "-") for t in out["query_tokens"])


def test_cli_open_quote_notice_and_only_exclusions(docs_collection, capsys):
    root, _ = docs_collection
    index = str(root / "idx.kayak")
    assert main(["search", 'sourdough "bread', "--index", index, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["syntax"]["notice"]
    notices = [line for line in captured.err.splitlines() if line.startswith("notice:")]
    assert len(notices) == 1 and "quote" in notices[0]
    assert main(["search", "--index", index, "--", "-difflib"]) == 2  # a lone "-word" needs "--" for argparse
    assert "nothing to search for" in capsys.readouterr().err
    assert main(["search", "-difflib compare", "--index", index, "--json"]) == 0  # a space: the query itself
    assert "difflib.txt" not in capsys.readouterr().out
    assert main(["search", "compare -difflib", "--index", index]) == 0
    text = capsys.readouterr().out
    assert 'filter: without "difflib"' in text and "difflib.txt" not in text

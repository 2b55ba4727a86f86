"""``workbench search`` and the relevance floor: the mean cosine beside each score, a plain "no good match" line
for nonsense, ``relevance`` in ``--json``, and the floor learnt on the first search and kept for the next."""

from __future__ import annotations

import json

import pytest
from relevance_corpus import science_pdfs

from workbench.cli import main
from workbench.collection import Collection
from workbench.store.relevance_floor_file import FLOOR_FILE, read_floor_record


@pytest.fixture(scope="module")
def index(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("cli-science")
    assert Collection.open(root / "idx", create=True, encoder=encoder).ingest(science_pdfs(root)).ok
    return root / "idx"


def search(capsys, index, *args) -> tuple[str, str]:
    assert main(["search", *args, "--index", str(index), "--final-k", "5"]) == 0
    out = capsys.readouterr()
    return out.out, out.err


def test_the_first_search_learns_the_floor_and_json_has_the_judgement(capsys, index):
    assert not (index / FLOOR_FILE).exists()
    out, err = search(capsys, index, "recipe for lasagna with spinach", "--json")
    assert "learning this index's relevance floor" in err
    floor = read_floor_record(index)
    assert floor is not None and floor["passages"] == 24  # kept for the next search, though opened read-only
    data = json.loads(out)
    assert set(data["relevance"]) == {"floor", "best", "good_match", "method", "why"}
    assert data["relevance"]["good_match"] is False and data["relevance"]["floor"] == round(floor["floor"], 6)
    assert data["relevance"]["best"] == max(h["mean_cosine"] for h in data["hits"]) < data["relevance"]["floor"]
    assert all(-1 <= h["mean_cosine"] <= 1 for h in data["hits"])

    out, err = search(capsys, index, "lava and ash from a volcano", "--json")
    assert "learning" not in err  # the kept floor is reused
    relevance = json.loads(out)["relevance"]
    assert relevance["good_match"] is True and relevance["best"] >= relevance["floor"] and relevance["method"]


def test_text_output_shows_the_mean_cosine_and_says_when_nothing_matches(capsys, index):
    search(capsys, index, "lava and ash from a volcano", "--json")  # learns the floor if no test did yet
    out, _ = search(capsys, index, "???", "--passages")
    assert out.startswith("no good match in this index — the closest passages follow (the query holds no letter")
    out, _ = search(capsys, index, "lava and ash from a volcano", "--passages")
    assert "no good match" not in out
    first = out.splitlines()[0].split()
    assert first[0] == "1" and first[2] == "cos" and 0.5 < float(first[3]) <= 1.0
    rows = [line for line in out.splitlines() if line[:3].strip().isdigit() or "relevance floor" in line]
    split = next((i for i, line in enumerate(rows) if "relevance floor" in line), len(rows))
    cos = [float(line.split()[3]) for line in rows if "relevance floor" not in line]
    floor = read_floor_record(index)["floor"]  # cosines are printed to 3 places
    assert all(c >= floor - 5e-4 for c in cos[:split]) and all(c < floor + 5e-4 for c in cos[split:])


def test_help_mentions_the_mean_cosine_and_the_floor(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "mean over query tokens of their best cosine" in text and "no good match" in text

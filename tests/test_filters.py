"""Search filters: the catalog's SQL for ``PassageFilter`` and filtered searches through the Collection."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from workbench.core import (
    PassageFilter,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
)
from workbench.store import Catalog, NewDocument, NewPassage

DAY = 86400.0
T0 = 1_700_000_000.0  # the oldest file's modification time; each file below is one day newer

# (path, text of its one passage). Folder names hold SQL LIKE wildcards and quotes on purpose.
FILES = [
    ("/a/b/x.pdf", "alpha glaciers"),
    ("/a/bc/y.pdf", "beta glaciers"),
    ("/a/b/sub/z.MD", "gamma glaciers"),
    ("/a/b%/v.Pdf", "delta glaciers"),
    ("/a/b_/u.txt", "epsilon glaciers"),
    ("/q'x\"; DROP TABLE passages; --/w.txt", "zeta glaciers"),
    ("/a/bpdf", "eta glaciers"),  # no extension: the name merely ends in "pdf"
]


def _ingest(catalog: Catalog, path: str, text: str, mtime: float) -> None:
    passage = NewPassage(None, 0, text, text.split(), [], 0)
    catalog.commit_batch(
        f"seg-{time.monotonic_ns()}.npy", 2, [NewDocument(path, os.fsencode(path), "h" + text, 1, mtime, 0, [passage])]
    )


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    """A catalog of FILES (mtimes T0, T0+1d, …) plus a failed file, a removed file and a re-indexed one."""
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.create({"format_version": "1"})
    for i, (path, text) in enumerate(FILES):
        _ingest(cat, path, text, T0 + i * DAY)
    _ingest(cat, "/a/b/gone.pdf", "removed glaciers", T0)
    cat.remove_document(os.fsencode("/a/b/gone.pdf"))
    _ingest(cat, "/a/b/x.pdf", "alpha glaciers again", T0)  # replaces x.pdf's first passage
    cat.record_failure("/a/b/bad.pdf", os.fsencode("/a/b/bad.pdf"), None, None, T0, "not a readable PDF")
    return cat


def _paths(catalog: Catalog, ids: np.ndarray) -> list[str]:
    return sorted(p.path for p in catalog.describe(ids.tolist()))


def _where(catalog: Catalog, **fields) -> list[str]:
    ids = catalog.passage_ids_where(PassageFilter(**fields))
    assert ids.dtype == np.int64 and np.all(np.diff(ids) > 0)
    return _paths(catalog, ids)


def test_folder_is_a_path_prefix_not_a_string_prefix(catalog):
    assert _where(catalog, folders=("/a/b",)) == ["/a/b/sub/z.MD", "/a/b/x.pdf"]
    assert _where(catalog, folders=("/a/b/",)) == ["/a/b/sub/z.MD", "/a/b/x.pdf"]  # trailing slash
    assert _where(catalog, folders=("/a/bc", "/a/b/sub")) == ["/a/b/sub/z.MD", "/a/bc/y.pdf"]
    assert len(_where(catalog, folders=("/",))) == len(FILES)
    assert _where(catalog, folders=("/a/b/x.pdf",)) == []  # a file is not a folder


def test_hostile_folder_names_are_literal(catalog):
    assert _where(catalog, folders=("/a/b%",)) == ["/a/b%/v.Pdf"]  # % is no LIKE wildcard
    assert _where(catalog, folders=("/a/b_",)) == ["/a/b_/u.txt"]  # nor is _
    assert _where(catalog, folders=("/a/%",)) == []
    hostile = "/q'x\"; DROP TABLE passages; --"
    assert _where(catalog, folders=(hostile,)) == [hostile + "/w.txt"]
    assert catalog.counts()["passages"] == len(FILES)


def test_type_is_the_extension_case_insensitively(catalog):
    assert _where(catalog, file_types=("pdf",)) == ["/a/b%/v.Pdf", "/a/b/x.pdf", "/a/bc/y.pdf"]
    assert _where(catalog, file_types=(".PDF",)) == ["/a/b%/v.Pdf", "/a/b/x.pdf", "/a/bc/y.pdf"]
    assert _where(catalog, file_types=("md", "TXT")) == [
        "/a/b/sub/z.MD",
        "/a/b_/u.txt",
        "/q'x\"; DROP TABLE passages; --/w.txt",
    ]
    assert _where(catalog, file_types=("%",)) == []


def test_modified_range_from_inclusive_to_exclusive(catalog):
    # x.pdf was re-indexed with mtime T0; y.pdf has T0+1d, z.MD T0+2d, v.Pdf T0+3d.
    assert _where(catalog, modified_from=T0 + DAY, modified_to=T0 + 3 * DAY) == ["/a/b/sub/z.MD", "/a/bc/y.pdf"]
    assert _where(catalog, modified_to=T0 + DAY) == ["/a/b/x.pdf"]
    assert len(_where(catalog, modified_from=T0 + 6 * DAY)) == 1
    assert _where(catalog, modified_from=T0 + 7 * DAY) == []


def test_documents_and_and_of_fields(catalog):
    docs = {d.path: d.id for d in catalog.documents()}
    assert _where(catalog, document_ids=(docs["/a/bc/y.pdf"], docs["/a/b_/u.txt"])) == ["/a/b_/u.txt", "/a/bc/y.pdf"]
    assert _where(catalog, document_ids=(docs["/a/b/bad.pdf"], 10_000)) == []  # failed or unknown: nothing
    assert _where(catalog, folders=("/a",), file_types=("pdf",), modified_from=T0 + DAY) == [
        "/a/b%/v.Pdf",
        "/a/bc/y.pdf",
    ]


def test_removed_and_replaced_passages_are_excluded(catalog):
    ids = catalog.passage_ids_where(PassageFilter(folders=("/a/b",)))
    assert [p.text for p in catalog.describe(ids.tolist())] == ["gamma glaciers", "alpha glaciers again"]
    assert catalog.counts()["tombstones"] == 2


def test_lexical_search_competes_only_within_the_filter(catalog):
    everything, _ = catalog.lexical_search("glaciers", 100)
    assert len(everything) == len(FILES)
    ids, scores = catalog.lexical_search("glaciers", 2, PassageFilter(file_types=("txt",)))
    assert _paths(catalog, ids) == ["/a/b_/u.txt", "/q'x\"; DROP TABLE passages; --/w.txt"]
    assert ids.dtype == np.int64 and np.all(scores > 0)
    ids, _ = catalog.lexical_search("alpha glaciers", 1, PassageFilter(folders=("/a/bc",)))
    assert _paths(catalog, ids) == ["/a/bc/y.pdf"]  # the better "alpha" match lies outside the folder
    assert catalog.lexical_search("glaciers", 5, PassageFilter(folders=("/nowhere",)))[0].size == 0
    assert catalog.lexical_search("glaciers", 100, PassageFilter())[0].size == len(FILES)  # empty filter


# -- through the Collection, with the real encoder ---------------------------------------------------
TOPICS = [
    "Glaciers carve U-shaped valleys as the ice grinds the rock beneath it.",
    "Sourdough bread rises because wild yeast and lactic bacteria ferment the dough.",
    "Volcanoes erupt when magma rises through the crust and vents as lava and ash.",
    "The offside rule in football forbids an attacker from being behind the last defender.",
]


@pytest.fixture
def filtered_collection(tmp_path, new_collection):
    """Every topic as a .txt under notes/ (old) and as a .md under papers/ (new): same text, two places."""
    for folder, ext, mtime in (("notes", "txt", T0), ("papers", "md", T0 + 30 * DAY)):
        (tmp_path / folder).mkdir()
        for i, text in enumerate(TOPICS):
            f = tmp_path / folder / f"topic{i}.{ext}"
            f.write_text(f"{text}\n\n{text.upper()}\n")
            os.utime(f, (mtime, mtime))
    coll = new_collection()
    assert coll.ingest([tmp_path / "notes", tmp_path / "papers"]).ok
    return coll


PLANS = [
    exhaustive_search_plan(final_k=20),
    document_proxy_search_plan(final_k=5, candidate_k=5),
    hybrid_search_plan(final_k=3, candidate_k=3, lexical_k=3),
    centroid_search_plan(final_k=5, candidate_k=5, n_probe=4),
]


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.kind)
def test_every_plan_returns_only_admitted_passages(tmp_path, filtered_collection, plan):
    coll = filtered_collection
    papers = str(tmp_path / "papers")
    glacier_doc = next(d.id for d in coll.documents() if d.path.endswith("notes/topic0.txt"))
    total = coll.late_index().n_passages
    for where, admits in [
        (PassageFilter(folders=(papers,)), lambda h: h.path.startswith(papers + "/")),
        (PassageFilter(file_types=("TXT",)), lambda h: h.path.endswith(".txt")),
        (PassageFilter(modified_from=T0 + DAY), lambda h: h.path.endswith(".md")),
        (PassageFilter(document_ids=(glacier_doc,)), lambda h: h.info.document_id == glacier_doc),
    ]:
        result = coll.search("glaciers carving valleys in the ice", plan, where=where)
        assert result.hits and all(admits(h) for h in result.hits), (where, [h.path for h in result.hits])
        assert result.where == where and 0 < result.eligible < total
        assert result.eligible == coll.store.catalog.passage_ids_where(where).size
        assert all(s.candidates_in <= result.eligible for s in result.stages)
        assert result.to_dict()["eligible_passages"] == result.eligible
        assert result.to_dict()["where"] == where.to_dict()
    # the filter is pushed into stage 1: the best admitted passage wins, although better ones lie outside
    result = coll.search("glaciers carving valleys in the ice", plan, where=PassageFilter(file_types=("md",)))
    assert result.hits[0].path.endswith("papers/topic0.md")


def test_no_filter_and_a_filter_that_admits_nothing(filtered_collection):
    coll = filtered_collection
    plain = coll.search("bread yeast", document_proxy_search_plan(final_k=3, candidate_k=8))
    assert plain.where is None and plain.eligible == coll.late_index().n_passages
    assert plain.to_dict()["where"] is None
    empty = coll.search("bread yeast", exhaustive_search_plan(final_k=3), where=PassageFilter(file_types=("pdf",)))
    assert empty.eligible == 0 and empty.hits == []

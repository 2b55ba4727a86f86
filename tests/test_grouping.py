"""Results per document: the core grouping (order, same content collapsed, "N more") and short names."""

from workbench.core import Hit, PassageInfo
from workbench.core.grouping import DocumentGroup, distinct_names, group_hits


def hit(rank: int, doc: int, path: str, page: int = 1) -> Hit:
    info = PassageInfo(100 + rank, doc, path, page, rank, f"text {rank}", ())
    return Hit(rank, 100 + rank, 10.0 - rank, rank - 1, info)


def test_groups_are_ordered_by_their_best_hit_and_keep_rank_order_inside():
    hits = [hit(1, 1, "/a/x.pdf"), hit(2, 2, "/a/y.pdf"), hit(3, 1, "/a/x.pdf", 3), hit(4, 3, "/a/z.pdf")]
    hits.append(hit(5, 1, "/a/x.pdf", 2))
    groups = group_hits(list(reversed(hits)), {1: "h1", 2: "h2", 3: "h3"})
    assert [g.key for g in groups] == ["h1", "h2", "h3"]
    assert [h.rank for h in groups[0].hits] == [1, 3, 5] and groups[0].best.rank == 1
    assert [g.more for g in groups] == [2, 0, 0]
    assert groups[0].paths == ("/a/x.pdf",) and groups[0].document_ids == (1,)
    assert sorted(h.rank for g in groups for h in g.hits) == [1, 2, 3, 4, 5]  # every hit exactly once


def test_documents_with_the_same_content_collapse_and_list_every_path():
    hits = [hit(1, 1, "/a/guide.pdf"), hit(2, 2, "/b/guide.pdf"), hit(3, 3, "/c/other.pdf")]
    copies = {"same": ["/a/guide.pdf", "/b/guide.pdf", "/d/guide.pdf"]}  # /d's copy has no hit of its own
    groups = group_hits(hits, {1: "same", 2: "same", 3: "other"}, copies)
    assert len(groups) == 2 and groups[0].more == 1
    assert groups[0].paths == ("/a/guide.pdf", "/b/guide.pdf", "/d/guide.pdf")
    assert groups[0].document_ids == (1, 2)
    assert groups[0].to_dict() == {
        "paths": ["/a/guide.pdf", "/b/guide.pdf", "/d/guide.pdf"],
        "record": None,
        "best_rank": 1,
        "score": 9.0,
        "page": 1,
        "location": "",
        "hits": [{"rank": 1, "passage_id": 101}, {"rank": 2, "passage_id": 102}],
    }


def test_unknown_documents_and_hits_without_metadata_stay_alone():
    bare = Hit(2, 7, 1.0, 0)
    groups = group_hits([hit(1, 1, "/a/x.pdf"), bare, hit(3, 1, "/a/x.pdf")], {})
    assert [g.key for g in groups] == ["document:1", "passage:7"]
    assert groups[1] == DocumentGroup("passage:7", (bare,), (), ())
    assert group_hits([], {}) == []


def test_distinct_names_show_the_fewest_folders_that_tell_files_apart():
    paths = [
        "/home/u/work/projects/x/y/guide.pdf",
        "/home/u/work/archive/x/y/guide.pdf",
        "/home/u/a/notes.pdf",
        "/home/u/b/notes.pdf",
        "/home/u/only.pdf",
    ]
    names = distinct_names(paths)
    assert names == {
        "/home/u/work/projects/x/y/guide.pdf": "projects/…/guide.pdf",
        "/home/u/work/archive/x/y/guide.pdf": "archive/…/guide.pdf",
        "/home/u/a/notes.pdf": "a/notes.pdf",
        "/home/u/b/notes.pdf": "b/notes.pdf",
        "/home/u/only.pdf": "only.pdf",
    }
    assert distinct_names(["/p/q/r.pdf", "/s/q/r.pdf"]) == {"/p/q/r.pdf": "p/q/r.pdf", "/s/q/r.pdf": "s/q/r.pdf"}

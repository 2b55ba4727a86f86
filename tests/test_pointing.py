"""Arabic and Hebrew in the word (BM25) index: a word typed without its vowel marks finds it written with
them and the other way round, alef forms and tatweel fold, other scripts' vowel signs stay; a version-3
catalog is indexed again by a writer and searched as typed by a read-only reader."""

import sqlite3

import pytest
from test_centroid_store import write

from workbench.core.pointing import unpointed
from workbench.store import FORMAT_VERSION

# Our own sentences, pointed as a teaching text would be ("The student writes the lesson at school";
# "Ahmad went to the market"), and Genesis 1:1 with niqqud and cantillation (Westminster Leningrad Codex,
# public domain).
ARABIC = "يَكْتُبُ الطَّالِبُ الدَّرْسَ فِي الْمَدْرَسَةِ. ذَهَبَ أَحْمَدُ إِلَى السُّوقِ."
HEBREW = "בְּרֵאשִׁ֖ית בָּרָ֣א אֱלֹהִ֑ים אֵ֥ת הַשָּׁמַ֖יִם וְאֵ֥ת הָאָֽרֶץ׃"
PLAIN = {
    "arabic.txt": ARABIC,
    "hebrew.txt": HEBREW,
    "unpointed.txt": "كتب المعلم الرسالة",
    "english.txt": "A student writes a letter about the market in the morning.",
}


def found(coll, text):
    ids, _ = coll.store.catalog.lexical_search(text, 5)
    return [i.path.rsplit("/", 1)[-1] for i in coll.store.catalog.describe(ids.tolist())]


def test_unpointed_folds_only_optional_marks():
    assert unpointed("الطَّالِبُ") == "الطالب"
    assert unpointed("أَحْمَدُ إِلَى آدم") == "احمد الي ادم"  # hamza and madda alefs, alef maksura → yeh
    assert unpointed("مدرسـة") == "مدرسه"  # tatweel dropped, teh marbuta → heh
    assert unpointed("בְּרֵאשִׁ֖ית") == "בראשית"  # niqqud and cantillation
    for kept in ("ภาษาไทย", "हिन्दी", "café", "naïve", "Ελληνικά"):  # vowel signs that are letters, Latin accents
        assert unpointed(kept) == kept


@pytest.mark.parametrize(
    "query, expected",
    [
        ("الطالب", "arabic.txt"),  # typed unpointed, indexed pointed
        ("المدرسة", "arabic.txt"),
        ("احمد", "arabic.txt"),  # a bare alef finds أَحْمَدُ
        ("בראשית", "hebrew.txt"),
        ("השמים", "hebrew.txt"),
        ("كَتَبَ", "unpointed.txt"),  # typed pointed, indexed unpointed
        ("الطَّالِبُ", "arabic.txt"),
    ],
)
def test_a_word_finds_its_pointed_and_unpointed_forms(tmp_path, new_collection, query, expected):
    coll = new_collection()
    assert coll.ingest(write(tmp_path, PLAIN)).ok
    assert found(coll, query) == [expected]


def test_a_version_3_catalog_is_searched_as_typed_and_indexed_again_by_a_writer(tmp_path, new_collection, encoder):
    from workbench.collection import Collection

    coll = new_collection()
    assert coll.ingest(write(tmp_path, PLAIN)).ok
    root = coll.store.root
    with sqlite3.connect(root / "catalog.sqlite") as db:  # as version 3 wrote it: the text as written
        rows = db.execute("SELECT id, text FROM passages WHERE deleted = 0").fetchall()
        db.executemany("DELETE FROM passages_fts WHERE rowid = ?", [(i,) for i, _ in rows])
        db.executemany("INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", rows)
        db.execute("UPDATE manifest SET value = '3' WHERE key = 'format_version'")
    old = Collection.open(root, encoder=encoder, read_only=True)
    assert found(old, "الطَّالِبُ")[:1] == ["arabic.txt"]  # as typed, as it was indexed
    assert found(old, "الطالب") == []  # the pointed passage is not in this index's words yet
    assert old.store.manifest["format_version"] == "3"  # nothing written
    new = Collection.open(root, encoder=encoder)  # opened for writing: migrated
    assert new.store.manifest["format_version"] == str(FORMAT_VERSION) == "4"
    assert found(new, "الطالب") == ["arabic.txt"]
    assert found(new, "בראשית") == ["hebrew.txt"]

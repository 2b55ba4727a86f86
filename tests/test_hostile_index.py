"""An index folder is hostile input: it never makes this program delete, write or read outside itself,
and damage inside it gives a plain reason while everything still readable stays searchable.

Each test copies one small index, tampers with it as an attacker (or a failing disk) would, and runs
the writer and reader paths over it next to a "victim" folder whose every byte is checked afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan
from workbench.store import CatalogDamaged, UnsafeIndexError

TEXTS = {
    "volcano.txt": "Volcanoes erupt molten lava and ash over the island.",
    "bread.txt": "Bread dough rises when yeast ferments the sugar.",
    "glacier.txt": "Glaciers carve deep valleys into the mountain rock.",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory, encoder):
    """A committed index of three documents with its centroids trained: exact, whose centroid files are
    derived data (a compact index's table is data: test_compact_tier covers its damage)."""
    root = tmp_path_factory.mktemp("base")
    docs = root / "docs"
    docs.mkdir()
    for name, text in TEXTS.items():
        (docs / name).write_text(text)
    coll = Collection.open(root / "idx", create=True, encoder=encoder, tier="exact")
    assert coll.ingest([docs]).ok
    assert coll.store.centroids.version is not None
    return root


@pytest.fixture
def index(base, tmp_path):
    """A fresh copy of the base index, and the documents it was made from."""
    shutil.copytree(base / "docs", tmp_path / "docs")
    shutil.copytree(base / "idx", tmp_path / "idx", symlinks=True)
    return tmp_path / "idx"


@pytest.fixture
def victim(tmp_path):
    """A user's folder beside the index, filled with names the store itself uses; ``victim.check()``
    asserts that not one byte, name or timestamp under it changed."""
    folder = tmp_path / "victim"
    (folder / "sub").mkdir(parents=True)
    for name in (
        "a.npy",
        "codes-seg-0123.npy",
        f"seg-{'0' * 32}.npy",
        "meta.json",
        "notes.txt",
        "sub/b.npy",
        f"codes-seg-{'1' * 32}.npy",
        "centroids.npy",
    ):
        (folder / name).write_bytes(os.urandom(64))
    before = _tree(folder)

    class Victim:
        path = folder

        @staticmethod
        def check():
            assert _tree(folder) == before, "files outside the index were touched"

    return Victim


def _tree(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        if p.is_file()
        else "dir"
        for p in sorted(folder.rglob("*"))
    }


def _set_manifest(index: Path, key: str, value: str) -> None:
    with sqlite3.connect(index / "catalog.sqlite") as db:
        db.execute("INSERT OR REPLACE INTO manifest (key, value) VALUES (?, ?)", (key, value))


def _exercise(index: Path, docs: Path, encoder) -> Collection:
    """What users do with an index: search it, remove a file that is not there, add one, search again."""
    coll = Collection.open(index, encoder=encoder)
    assert coll.search("lava", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("volcano.txt")
    coll.remove([docs / "absent.txt"])
    (docs / "new.txt").write_text("Comets carry ice through the solar system.")
    assert coll.ingest([docs / "new.txt"]).ok
    assert coll.search("comet ice", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("new.txt")
    return coll


@pytest.mark.parametrize("value", ["../../victim", "VICTIM_ABSOLUTE", "v-0123456789ab/../../../victim"])
def test_centroid_version_from_the_manifest_never_becomes_a_path(index, victim, encoder, value):
    _set_manifest(index, "centroid_version", value.replace("VICTIM_ABSOLUTE", str(victim.path)))
    coll = Collection.open(index, encoder=encoder)
    coll.late_index()
    assert any("not a name this program writes" in w for w in coll.warnings)
    coll = _exercise(index, index.parent / "docs", encoder)
    victim.check()
    assert coll.store.centroids.version is not None and not coll.warnings  # the next writer trained a new set


def test_linked_segments_folder_is_refused_and_nothing_outside_is_deleted(index, victim, encoder):
    for f in (index / "segments").iterdir():
        shutil.copy(f, victim.path / f.name)
    victim_before = _tree(victim.path)
    shutil.rmtree(index / "segments")
    (index / "segments").symlink_to(victim.path)
    with pytest.raises(UnsafeIndexError, match="symbolic link"):
        Collection.open(index, encoder=encoder).ingest([index.parent / "docs"])
    with pytest.raises(UnsafeIndexError, match="symbolic link"):
        Collection.open(index, encoder=encoder).search("lava", exhaustive_search_plan())
    assert _tree(victim.path) == victim_before


def test_linked_centroid_version_is_replaced_not_followed(index, victim, encoder):
    version = Collection.open(index, encoder=encoder).store.centroids.version
    for f in (index / "centroids" / version).iterdir():
        shutil.copy(f, victim.path / f.name)
    victim_before = _tree(victim.path)
    shutil.rmtree(index / "centroids" / version)
    (index / "centroids" / version).symlink_to(victim.path)
    _exercise(index, index.parent / "docs", encoder)
    assert _tree(victim.path) == victim_before
    assert not any(p.is_symlink() for p in (index / "centroids").iterdir())


def test_planted_links_under_temporary_names_are_never_written_through(index, victim, encoder):
    version = Collection.open(index, encoder=encoder).store.centroids.version
    for folder in (index / "segments", index / "centroids" / version):
        for name in (".tmp-meta.json", ".tmp-x.npy", "meta.json.tmp"):
            (folder / name).symlink_to(victim.path / "notes.txt")
    (index / "write.lock").unlink(missing_ok=True)
    _exercise(index, index.parent / "docs", encoder)
    victim.check()


def test_catalog_segment_names_are_checked_before_use(index, victim, encoder):
    with sqlite3.connect(index / "catalog.sqlite") as db:
        db.execute("UPDATE segments SET file = ?", (f"../../victim/seg-{'0' * 32}.npy",))
    for action in (
        lambda c: c.search("lava", exhaustive_search_plan()),
        lambda c: c.ingest([index.parent / "docs" / "bread.txt"]),
    ):
        with pytest.raises(UnsafeIndexError, match="not a file name this program writes"):
            action(Collection.open(index, encoder=encoder))
    victim.check()


def test_an_index_is_only_created_in_a_new_or_empty_folder(tmp_path, victim, encoder):
    folder = victim.path
    (folder / "segments").mkdir()
    (folder / "segments" / "mine.npy").write_bytes(b"user data")
    (folder / "centroids" / "stuff").mkdir(parents=True)
    before = _tree(folder)
    with pytest.raises(UnsafeIndexError, match="not a Kayak index but already holds files"):
        Collection.open(folder, create=True, encoder=encoder)
    assert _tree(folder) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert Collection.open(empty, create=True, encoder=encoder).store.catalog.counts()["documents"] == 0


def test_special_files_in_the_index_are_refused_without_blocking(index, encoder):
    os.mkfifo(index / "write.lock.fifo")
    (index / "write.lock").unlink(missing_ok=True)
    os.rename(index / "write.lock.fifo", index / "write.lock")
    with pytest.raises(UnsafeIndexError, match="FIFO"):
        Collection.open(index, encoder=encoder).ingest([index.parent / "docs"])
    segment = next((index / "segments").iterdir())
    segment.unlink()
    os.mkfifo(segment)
    coll = Collection.open(index, encoder=encoder, read_only=True)
    assert coll.late_index().n_passages == 0 and "not a regular file" in coll.warnings[0]


def test_a_lost_segment_is_reported_and_its_documents_are_indexed_again(index, encoder):
    docs = index.parent / "docs"
    segment = next((index / "segments").iterdir())
    segment.write_bytes(b"")  # a zero-byte segment file (disk full, bad copy)
    coll = Collection.open(index, encoder=encoder)
    assert coll.late_index().n_passages == 0
    assert "is empty (0 bytes)" in coll.warnings[0] and "ingest them again" in coll.warnings[0]
    events = list(coll.iter_ingest([docs]))
    lost = [e for e in events if e.status == "lost"]
    assert len(lost) == 3 and "vectors were lost" in lost[0].message
    assert sorted(Path(e.path).name for e in events if e.status == "indexed") == sorted(TEXTS)
    assert coll.search("lava", exhaustive_search_plan(final_k=1)).hits[0].path.endswith("volcano.txt")
    assert not coll.warnings


@pytest.mark.parametrize("fill", [10**6, -5])
def test_codes_out_of_range_are_recomputed_not_trusted(index, encoder, fill):
    clean = Collection.open(index, encoder=encoder)
    query = clean.encode_query("lava and ash")
    from workbench.core import centroid_search_plan, search_with_plan

    plan = centroid_search_plan(final_k=3, candidate_k=3, n_probe=2, query_vector_budget=0)
    expected = [(h.passage_id, round(h.score, 5)) for h in search_with_plan(query, clean.late_index(), plan).hits]
    folder = index / "centroids" / clean.store.centroids.version
    for codes in folder.glob("codes-*"):
        np.save(codes, np.full(np.load(codes).shape, fill, np.int32), allow_pickle=False)
    reopened = Collection.open(index, encoder=encoder)
    got = [(h.passage_id, round(h.score, 5)) for h in search_with_plan(query, reopened.late_index(), plan).hits]
    assert got == expected


@pytest.mark.parametrize(
    "meta", ['{"n_centroids": null, "trained_vectors": null, "mean_cosine": null}', "not json", None]
)
def test_bad_centroid_meta_means_retrain_not_a_traceback(index, encoder, meta):
    coll = Collection.open(index, encoder=encoder)
    path = index / "centroids" / coll.store.centroids.version / "meta.json"
    path.unlink() if meta is None else path.write_text(meta)
    assert "damaged" in str(coll.store.centroids.needs_training(coll.late_index().n_vectors))
    info = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "info", "--index", str(index)], capture_output=True, text=True
    )
    assert info.returncode == 0 and "meta.json" in info.stderr and "Traceback" not in info.stdout + info.stderr
    _exercise(index, index.parent / "docs", encoder)
    assert coll.store.centroids.meta()["n_centroids"] > 0


def test_damaged_catalog_pages_give_a_plain_error(index, encoder):
    catalog = index / "catalog.sqlite"
    data = bytearray(catalog.read_bytes())
    rng = np.random.default_rng(0)
    data[100:] = rng.integers(0, 256, len(data) - 100, dtype=np.uint8).tobytes()
    catalog.write_bytes(bytes(data))
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (index / name).unlink(missing_ok=True)
    with pytest.raises(CatalogDamaged, match="is damaged or is not a Kayak catalog"):
        Collection.open(index, encoder=encoder).search("lava", exhaustive_search_plan())
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "info", "--index", str(index)], capture_output=True, text=True
    )
    assert out.returncode == 1 and "damaged" in out.stderr and "Traceback" not in out.stderr + out.stdout


def test_a_read_only_index_can_be_searched(index):
    """The index on read-only storage (a read-only bind mount in a private mount namespace), without the
    WAL side files SQLite would need to create there."""
    with sqlite3.connect(index / "catalog.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for side in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (index / side).unlink(missing_ok=True)
    cli = [sys.executable, "-m", "workbench.cli"]
    script = (
        f"mount --bind {index} {index} && mount -o remount,bind,ro {index} && "
        f"{' '.join(cli)} search --index {index} lava --plan exhaustive --final-k 1 && "
        f"{' '.join(cli)} info --index {index} && "
        f"{' '.join(cli)} ingest {index.parent / 'docs'} --index {index} --quiet"
    )
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert "volcano.txt" in out.stdout and "passages" in out.stdout
    assert out.returncode == 1 and "is read-only here" in out.stderr and "can be searched but not changed" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr

"""Creating an index is all or nothing: a kill at any moment of a first ingest, or two first ingests at
once, leave a folder the same command finishes — never a catalog that bricks the folder."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import make_pdf

from workbench.collection import Collection
from workbench.store import IndexNotCreated, IndexStore

PAGES = ["Volcanoes erupt when magma rises through the crust.", "Glaciers carve valleys as ice flows downhill."]


def cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_a_catalog_left_without_schema_or_manifest_is_created_again(tmp_path, encoder):
    pdf = make_pdf(tmp_path / "a.pdf", PAGES)
    for name, leave in (
        ("empty.kayak", lambda db: None),
        ("no-manifest.kayak", lambda db: db.execute("CREATE TABLE manifest (key TEXT, value TEXT)")),
    ):
        root = tmp_path / name
        root.mkdir()
        db = sqlite3.connect(root / "catalog.sqlite")
        leave(db)
        db.commit()
        db.close()
        with pytest.raises(IndexNotCreated, match="holds no index yet: its creation was interrupted"):
            IndexStore.open(root)
        coll = Collection.open(root, create=True, encoder=encoder)
        assert "indexed" in [e.status for e in coll.iter_ingest([str(pdf)])]
        assert Collection.open(root, read_only=True).late_index().n_passages == 2


def test_search_in_an_interrupted_index_says_what_to_do(tmp_path):
    root = tmp_path / "idx.kayak"
    root.mkdir()
    (root / "catalog.sqlite").write_bytes(b"")
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "search", "lava", "--index", str(root)], capture_output=True, text=True
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "holds no index yet" in out.stderr and "workbench ingest" in out.stderr


def test_kills_at_random_moments_of_a_first_ingest_never_brick_the_folder(tmp_path):
    pdfs = [str(make_pdf(tmp_path / f"d{i}.pdf", PAGES)) for i in range(3)]
    root = tmp_path / "idx.kayak"
    # Moments spread over start-up, encoder load, creation and the first commits (the encoder loads
    # in about 2–4 s here); each kill is followed by the next attempt on the same folder.
    for delay in (0.05, 0.4, 1.2, 2.0, 2.6, 3.2):
        proc = cli("ingest", *pdfs, "--index", str(root), "--quiet")
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "ingest", *pdfs, "--index", str(root)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert Collection.open(root, read_only=True).late_index().n_passages == 3 * len(PAGES)


def test_two_first_ingests_into_one_new_folder(tmp_path):
    root = tmp_path / "idx.kayak"
    first = cli("ingest", str(make_pdf(tmp_path / "a.pdf", PAGES)), "--index", str(root))
    second = cli("ingest", str(make_pdf(tmp_path / "b.pdf", PAGES)), "--index", str(root))
    outs = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    for _, err, code in outs:
        assert "already holds an index" not in err and "Traceback" not in err
        # the loser meets the winner's writer lock, exactly as any later ingest would
        assert code == 0 or "another process is writing to" in err
    assert any(code == 0 for _, _, code in outs)
    docs = Collection.open(root, read_only=True).documents()
    assert len(docs) == sum(code == 0 for _, _, code in outs)


@pytest.mark.parametrize("plan", ["auto", "exhaustive", "proxy", "hybrid", "centroid"])
def test_an_index_emptied_by_remove_answers_no_passages_yet(tmp_path, encoder, plan):
    root = tmp_path / "idx.kayak"
    pdf = make_pdf(tmp_path / "a.pdf", PAGES)
    coll = Collection.open(root, create=True, encoder=encoder)
    list(coll.iter_ingest([str(pdf)]))
    coll.remove([str(pdf)])
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "search", "lava", "--index", str(root), "--plan", plan],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "no passages indexed yet" in out.stderr


def test_a_full_disk_is_a_plain_message_and_loses_nothing(tmp_path):
    """The index on a 1 MB tmpfs (a private mount namespace): the second ingest fills it."""
    small = make_pdf(tmp_path / "small.pdf", PAGES)
    words = " ".join(f"sediment layer {i} records floods, droughts and volcanic ash over centuries." for i in range(14))
    big = [make_pdf(tmp_path / f"big{i}.pdf", [words] * 20) for i in range(3)]
    mnt, cli = tmp_path / "disk", f"{sys.executable} -m workbench.cli"
    mnt.mkdir()
    index = mnt / "idx.kayak"
    script = "\n".join(
        [
            f"mount -t tmpfs -o size=1m tmpfs {mnt} || exit 99",
            f"{cli} ingest {small} --index {index} --quiet || exit 98",
            f"{cli} ingest {' '.join(map(str, big))} --index {index} --quiet; echo full-rc=$?",
            f"ls -A {index}/segments; echo listed",
            f"{cli} search volcanoes --index {index} --final-k 1 || exit 97",
            f"mount -o remount,size=64m {mnt}",
            f"{cli} ingest {' '.join(map(str, big))} --index {index} --quiet; echo again-rc=$?",
        ]
    )
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "full-rc=1" in out.stdout and "Traceback" not in out.stderr, out.stderr
    assert "is full while writing" in out.stderr and "run the same command again" in out.stderr
    # how many of the big PDFs fit before the disk filled depends on the tier's bytes per token
    assert re.search(r"the \d+ documents? already indexed (is|are) kept", out.stderr), out.stderr
    # how much to free is known when a segment fills the disk; the catalog may fill it first (commits are also
    # timed, so on a loaded machine they fall elsewhere): then the message asks for "some space"
    assert "free about" in out.stderr or "free some space" in out.stderr
    listing = out.stdout.split("full-rc=1")[1].split("listed")[0].split()
    assert all(name.startswith("seg-") and name.endswith(".npy") for name in listing), listing  # no partial file
    assert "small.pdf" in out.stdout  # what was committed is searchable
    assert "again-rc=0" in out.stdout, out.stderr

"""An index never chooses the code that runs: its recorded model loads only if it is the default or the
user named it on this machine, and a model folder's own Python code runs only with --trust-remote-code."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.collection import Collection
from workbench.core import exhaustive_search_plan
from workbench.encode import UntrustedModel
from workbench.encode.model_trust import check_model_code

CANARY = "import pathlib\npathlib.Path({marker!r}).write_text('ran')\n\nclass Canary:\n    pass\n"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, encoder):
    """A genuine PyLate checkpoint folder (the default model saved as is)."""
    folder = tmp_path_factory.mktemp("models") / "checkpoint"
    encoder.model.save(str(folder))
    return folder


def _with_canary(checkpoint: Path, tmp_path: Path, how: str) -> tuple[Path, Path]:
    """A copy of the checkpoint that would run a canary module in one of the ways a folder can."""
    folder, marker = tmp_path / f"model-{how}", tmp_path / f"ran-{how}"
    shutil.copytree(checkpoint, folder)
    (folder / "canary_mod.py").write_text(CANARY.format(marker=str(marker)))
    modules = json.loads((folder / "modules.json").read_text())
    if how == "modules":
        modules.append({"idx": 2, "name": "2", "path": "", "type": "canary_mod.Canary"})
    elif how == "activation":
        config = json.loads((folder / "1_Dense" / "config.json").read_text())
        config["activation_function"] = "canary_mod.Canary"
        (folder / "1_Dense" / "config.json").write_text(json.dumps(config))
    elif how == "path":
        modules[1]["path"] = "../../elsewhere"
    (folder / "modules.json").write_text(json.dumps(modules))
    return folder, marker


@pytest.mark.parametrize(
    "how, why",
    [
        ("modules", "names its own code in modules.json"),
        ("activation", "would be called as code"),
        ("path", "points a module outside the model folder"),
    ],
)
def test_model_folders_that_choose_code_are_refused(checkpoint, tmp_path, how, why):
    folder, marker = _with_canary(checkpoint, tmp_path, how)
    with pytest.raises(UntrustedModel, match=why):
        check_model_code(folder)
    from workbench.encode import Encoder

    with pytest.raises(UntrustedModel, match="trust-remote-code" if how != "path" else "outside"):
        Encoder(str(folder))
    assert not marker.exists()
    check_model_code(checkpoint)  # the genuine folder passes


def test_auto_map_remote_code_is_refused(checkpoint, tmp_path):
    folder = tmp_path / "automap"
    shutil.copytree(checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UntrustedModel, match="auto_map"):
        check_model_code(folder)


def test_an_index_cannot_make_search_load_its_model(tmp_path, checkpoint, encoder):
    """An index made elsewhere names a model folder with code in it: searching it runs nothing."""
    coll = Collection.open(tmp_path / "idx", create=True, encoder=encoder)
    (tmp_path / "a.txt").write_text("Volcanoes erupt lava.")
    coll.ingest([tmp_path / "a.txt"])
    folder, marker = _with_canary(checkpoint, tmp_path, "modules")
    with sqlite3.connect(tmp_path / "idx" / "catalog.sqlite") as db:
        db.execute("UPDATE manifest SET value = ? WHERE key = 'model'", (str(folder),))
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "search", "--index", str(tmp_path / "idx"), "lava"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "has not been named on this machine" in out.stderr
    assert f"--model {folder}" in out.stderr and "Traceback" not in out.stderr
    named = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "search",
            "--index",
            str(tmp_path / "idx"),
            "lava",
            "--model",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    assert named.returncode == 1 and "--trust-remote-code" in named.stderr
    (tmp_path / "b.txt").write_text("Bread rises.")
    ingest = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "ingest", str(tmp_path / "b.txt"), "--index", str(tmp_path / "idx")],
        capture_output=True,
        text=True,
    )
    assert ingest.returncode == 1 and "--trust-remote-code" in ingest.stderr  # named above, still refused
    assert "failed:" not in ingest.stdout + ingest.stderr  # refused once, before any file
    assert not marker.exists()
    with pytest.raises(UntrustedModel):
        Collection.open(tmp_path / "idx").search("lava", exhaustive_search_plan())


def test_a_model_named_once_is_remembered(tmp_path, checkpoint):
    coll = Collection.open(tmp_path / "idx", model=str(checkpoint), create=True)
    (tmp_path / "a.txt").write_text("Volcanoes erupt lava.")
    assert coll.ingest([tmp_path / "a.txt"]).ok
    again = Collection.open(tmp_path / "idx")  # no --model: the user named this one before
    assert again.search("lava", exhaustive_search_plan()).hits[0].path.endswith("a.txt")


def test_trust_remote_code_lets_the_user_run_a_models_own_module(checkpoint, tmp_path):
    folder, marker = _with_canary(checkpoint, tmp_path, "modules")
    code = f"from workbench.encode import Encoder\ntry:\n    Encoder({str(folder)!r}, trust_remote_code=True)\nexcept Exception:\n    pass"
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"))  # transformers copies the module there
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    assert marker.read_text() == "ran"  # the user's explicit choice: the folder's own module was imported


def _cli(*args: object, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def test_a_model_hub_id_loads_from_the_cache_offline_and_an_absent_one_is_one_line(checkpoint, tmp_path):
    """A checkpoint named by hub id: here it is already in the Hugging Face cache (laid out as a download
    leaves it), the hub is off, and nothing is downloaded; an id that is not cached says so in one line."""
    cache = tmp_path / "hf-cache"
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / "models--kayak-test--tiny-colbert"
    shutil.copytree(checkpoint, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    env = dict(os.environ, HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")
    (tmp_path / "note.txt").write_text("Magma rises through the crust and erupts as lava from volcanoes.")
    done = _cli(
        "ingest",
        tmp_path / "note.txt",
        "--index",
        tmp_path / "idx",
        "--model",
        "kayak-test/tiny-colbert",
        "--quiet",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(_cli("info", "--index", tmp_path / "idx", "--json", env=env).stdout)
    assert info["model"] == "kayak-test/tiny-colbert"  # the index records the id, not the cache path
    hits = json.loads(_cli("search", "--index", tmp_path / "idx", "lava", "--json", env=env).stdout)["hits"]
    assert hits[0]["path"].endswith("note.txt")
    absent = _cli(
        "ingest", tmp_path / "note.txt", "--index", tmp_path / "idx2", "--model", "kayak-test/absent-colbert", env=env
    )
    assert absent.returncode != 0 and "Traceback" not in absent.stderr
    assert absent.stderr.strip().splitlines() == [
        "workbench: could not load model 'kayak-test/absent-colbert': offline mode is on (HF_HUB_OFFLINE) and the "
        "model is not in the Hugging Face cache"
    ]

"""A model folder in the layout Stanford-NLP ColBERT (``colbert-ir/colbertv2.0`` on the model hub) saves, made
offline from the default model's MiniLM: ``HF_ColBERT.save_pretrained`` writes the BERT's ``config.json``
with ``architectures: ["HF_ColBERT"]`` and one weights file holding the BERT under its ``bert.`` prefix plus
the projection ``linear.weight`` ``[dim, hidden]``; the tokenizer's own files sit beside them; and
``ColBERTConfig.save_for_checkpoint`` writes the settings as JSON to ``artifact.metadata`` (the marker tokens
``[unused0]`` / ``[unused1]``, ``query_maxlen``, ``doc_maxlen``, ``mask_punctuation``, ...).

The projection is seeded Gaussian noise: the vectors mean nothing, but they are what Stanford ColBERT would
compute from these weights, which is what the tests compare.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from workbench.encode.default_model import default_model_path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
HIDDEN = 384  # MiniLM-L6's width


def write_stanford_checkpoint(
    folder: Path,
    dim: int = 64,
    query_maxlen: int = 24,
    doc_maxlen: int = 120,
    attend_to_mask_tokens: bool = False,
    mask_punctuation: bool = True,
    seed: int = 11,
) -> Path:
    """Write the checkpoint into ``folder`` (created) and return it: MiniLM's BERT and tokenizer, a
    float32 ``[dim, 384]`` projection drawn from ``seed``, and an ``artifact.metadata`` with these settings."""
    from safetensors.numpy import load_file, save_file

    source = Path(default_model_path())
    folder.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(source / name, folder / name)
    config = json.loads((source / "config.json").read_text())
    config.update({"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["HF_ColBERT"]})
    _write(folder / "config.json", config)
    # HF_ColBERT keeps the BERT as its ``bert`` attribute (the BERT classes' base_model_prefix), so
    # save_pretrained names its weights ``bert.…``; ``linear`` is its own bias-free nn.Linear.
    weights = {f"bert.{name}": array for name, array in load_file(str(source / "model.safetensors")).items()}
    rng = np.random.default_rng(seed)
    weights["linear.weight"] = (rng.standard_normal((dim, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write(
        folder / "artifact.metadata", _metadata(dim, query_maxlen, doc_maxlen, attend_to_mask_tokens, mask_punctuation)
    )
    return folder


def _metadata(dim: int, query_maxlen: int, doc_maxlen: int, attend: bool, mask_punctuation: bool) -> dict:
    """``ColBERTConfig.export()`` as ``save_for_checkpoint`` writes it: every setting (training and indexing
    ones too) and a ``meta`` record of the run, ``version`` ``colbert-v0.4``."""
    return {
        "query_token_id": "[unused0]",
        "doc_token_id": "[unused1]",
        "query_token": "[Q]",
        "doc_token": "[D]",
        "ncells": None,
        "centroid_score_threshold": None,
        "ndocs": None,
        "load_index_with_mmap": False,
        "index_path": None,
        "index_bsize": 64,
        "nbits": 2,
        "kmeans_niters": 4,
        "resume": False,
        "pool_factor": 1,
        "clustering_mode": "hierarchical",
        "protected_tokens": 0,
        "similarity": "cosine",
        "bsize": 32,
        "accumsteps": 1,
        "lr": 1e-05,
        "maxsteps": 400000,
        "save_every": None,
        "warmup": 20000,
        "warmup_bert": None,
        "relu": False,
        "nway": 64,
        "use_ib_negatives": True,
        "reranker": False,
        "distillation_alpha": 1.0,
        "ignore_scores": False,
        "model_name": None,
        "query_maxlen": query_maxlen,
        "attend_to_mask_tokens": attend,
        "interaction": "colbert",
        "dim": dim,
        "doc_maxlen": doc_maxlen,
        "mask_punctuation": mask_punctuation,
        "checkpoint": "nreimers/MiniLM-L6-H384-uncased",
        "triples": None,
        "collection": None,
        "queries": None,
        "index_name": None,
        "overwrite": False,
        "root": "/tmp/experiments",
        "experiment": "kayak-test",
        "index_root": None,
        "name": "2026-01/01/00.00.00",
        "rank": 0,
        "nranks": 1,
        "amp": True,
        "gpus": 0,
        "avoid_fork_if_possible": False,
        "meta": {
            "hostname": "kayak-test",
            "current_datetime": "Jan 01, 2026 ; 12:00AM UTC (+0000)",
            "cmd": "tests/stanford_checkpoint.py",
            "version": "colbert-v0.4",
        },
    }


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=4) + "\n")

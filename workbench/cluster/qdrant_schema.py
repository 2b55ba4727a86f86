"""How an index looks in Qdrant: one point per passage, its token vectors as a MaxSim multivector, its
proxy as a dense vector, and the payload the workbench shows and filters on.

* ``tokens``: the passage's token vectors (``[n_tokens, dim]``), stored float16 — the index's own
  precision — and compared by Qdrant's ``MAX_SIM`` multivector comparator over ``DOT``: exactly the
  workbench's MaxSim, ``Σ_i max_j ⟨q_i, d_j⟩`` (Qdrant docs, "Multivectors").
* ``proxy``: the mean of all the passage's vectors (the document proxy at document vector budget 0),
  float32, ``DOT``: the first stage of a staged plan (a Qdrant ``prefetch``).
* The point id is the passage id (stable, never reused), so a sync compares id sets.
* Payload: ``passage_id``, ``document_id``, ``path``, ``page``, ``page_label``, ``location`` and ``record``
  (where the passage is in its format's terms, the record inside the file), ``text``,
  ``file_type`` (lower-case extension), ``folders`` (every folder above the file, so "under folder F"
  is a keyword match), ``modified`` (POSIX seconds). The filter fields carry payload indexes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core import PassageFilter
from . import require

TOKENS, PROXY = "tokens", "proxy"
KEYWORD_FIELDS = ("file_type", "folders")
INTEGER_FIELDS = ("document_id",)
FLOAT_FIELDS = ("modified",)


def connect(target: str):
    """A ``QdrantClient`` for ``target``: an ``http(s)://`` URL (a server or cluster), ``:memory:``, or a
    folder path (Qdrant's local mode, in process — what the tests use; the same code path as a server).
    Raises :class:`~workbench.cluster.ClusterExtraMissing` without qdrant-client."""
    qdrant_client = require("qdrant_client", "the Qdrant export and executor")
    if target.startswith(("http://", "https://")):
        return qdrant_client.QdrantClient(url=target, timeout=60)
    if target == ":memory:":
        return qdrant_client.QdrantClient(location=":memory:")
    return qdrant_client.QdrantClient(path=str(Path(target).expanduser()))


def describe_target(client) -> str:
    """How the profile names where Qdrant ran: ``qdrant-local`` (in process) or ``qdrant-server``."""
    inner = type(getattr(client, "_client", client)).__name__
    return "qdrant-local" if "Local" in inner else "qdrant-server"


def ensure_collection(client, name: str, dim: int) -> bool:
    """Create collection ``name`` for ``dim``-d vectors with its payload indexes, unless it exists; an
    existing one must have the same vectors (else ``ValueError`` naming both). Returns True if created."""
    models = require("qdrant_client.models", "the Qdrant export")
    if client.collection_exists(name):
        params = client.get_collection(name).config.params.vectors
        tokens, proxy = (params or {}).get(TOKENS), (params or {}).get(PROXY)
        if tokens is None or proxy is None or tokens.size != dim or tokens.multivector_config is None:
            raise ValueError(
                f"Qdrant collection {name!r} exists but was not written by the workbench for {dim}-d "
                "vectors (it needs multivector 'tokens' and dense 'proxy'); choose another --collection"
            )
        return False
    client.create_collection(
        name,
        vectors_config={
            # No HNSW graph on the tokens (m=0): they are only ever scanned or reranked, as Qdrant's guide on
            # multivector reranking advises; a graph over every token would cost memory and build time.
            TOKENS: models.VectorParams(
                size=dim,
                distance=models.Distance.DOT,
                datatype=models.Datatype.FLOAT16,
                multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM),
                hnsw_config=models.HnswConfigDiff(m=0),
            ),
            PROXY: models.VectorParams(size=dim, distance=models.Distance.DOT),
        },
    )
    if describe_target(client) == "qdrant-local":
        return True  # local mode scans every point; payload indexes are a server's
    for field, schema in (
        [(f, models.PayloadSchemaType.KEYWORD) for f in KEYWORD_FIELDS]
        + [(f, models.PayloadSchemaType.INTEGER) for f in INTEGER_FIELDS]
        + [(f, models.PayloadSchemaType.FLOAT) for f in FLOAT_FIELDS]
    ):
        client.create_payload_index(name, field, field_schema=schema)
    return True


def payload(info, mtime: float | None) -> dict:
    """The point payload of one passage (a :class:`~workbench.core.PassageInfo`) whose file has ``mtime``."""
    path = Path(info.path)
    folders = [str(p) for p in path.parents if str(p) not in ("", ".")]
    return {
        "passage_id": int(info.passage_id),
        "document_id": int(info.document_id),
        "path": info.path,
        "page": info.page,
        "page_label": info.page_label,
        "location": info.location,
        "record": info.source_key,
        "text": info.text,
        "file_type": path.suffix.lower().lstrip("."),
        "folders": folders,
        "modified": float(mtime) if mtime is not None else None,
    }


def to_filter(where: PassageFilter | None):
    """A Qdrant ``Filter`` with the same meaning as ``where`` (``None`` for no filter): every non-empty
    field must hold, values within one are alternatives — as in the catalog's SQL. Raises ``ValueError``
    for required phrases and exclusions (query syntax): only the catalog's text index can apply them, and
    a Qdrant search that ignored them would return passages the query excludes."""
    if where is None or where.is_empty:
        return None
    if where.contains or where.excludes:
        raise ValueError("phrases and exclusions are filtered by the catalog's text index; Qdrant cannot apply them")
    models = require("qdrant_client.models", "a filtered Qdrant search")
    must = []
    if where.folders:
        must.append(
            models.FieldCondition(
                key="folders", match=models.MatchAny(any=[os.path.normpath(f) for f in where.folders])
            )
        )
    if where.file_types:
        must.append(models.FieldCondition(key="file_type", match=models.MatchAny(any=list(where.file_types))))
    if where.modified_from is not None or where.modified_to is not None:
        must.append(
            models.FieldCondition(key="modified", range=models.Range(gte=where.modified_from, lt=where.modified_to))
        )
    if where.document_ids:
        must.append(models.FieldCondition(key="document_id", match=models.MatchAny(any=list(where.document_ids))))
    return models.Filter(must=must)

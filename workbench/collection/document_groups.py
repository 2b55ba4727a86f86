"""A search result per document: its hits grouped by the catalog's content hashes, every copy's path listed.

Grouping works on the passages the plan ranked and scores nothing more: a plan's ``final_k`` counts
passages, and a per-document view shows as many documents as those passages span (fewer rows than
``final_k`` when one document holds several of them, each row saying how many more it has). Widening
stage 2 behind the user's back to fill ``final_k`` documents would make the stage profiles describe a
search the user did not ask for; a user who wants more documents raises ``final_k`` and sees the cost.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import Hit
from ..core.grouping import DocumentGroup, group_hits
from ..store import IndexStore

__all__ = ["DocumentGroup", "group_by_document"]


def group_by_document(store: IndexStore, hits: Sequence[Hit]) -> list[DocumentGroup]:
    """``hits`` per document, best document first (:func:`workbench.core.grouping.group_hits`).

    Documents with the same content hash in the catalog make one group, whose ``paths`` list every
    indexed file holding that content — copies without a hit of their own included. A document the
    catalog no longer knows (removed since the search) stays a group of its own.
    """
    ids = [h.info.document_id for h in hits if h.info is not None]
    hashes = store.catalog.content_hashes(ids)
    keys = {doc_id: f"sha256:{digest}" for doc_id, digest in hashes.items()}
    paths: dict[str, list[str]] = {}
    for digest in dict.fromkeys(hashes.values()):
        paths[f"sha256:{digest}"] = sorted(d.path for d in store.catalog.documents_with_hash(digest))
    return group_hits(hits, keys, paths)

"""The pages of an index's documents, rendered from their files for a reader: the window's Document tab
(any page of a document, at any zoom) and a hit's page preview (the page its passage sits on).

The index keeps where each document was read from, not its pages: every call opens the file again, as
hostile (:mod:`workbench.ingest.pdf`), so a file moved, replaced or damaged since it was indexed is said in
plain words (:class:`~workbench.ingest.IngestError`) instead of drawn wrongly or crashing a client.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core import PassageInfo
from ..ingest import IngestError

DEFAULT_ZOOM = 1.5  # pixels per PDF point (1.0 is 72 dpi): a readable page in a third of a laptop screen


class DocumentPages:
    """Page counts and page images of the documents of one index. ``source_path(document_id)`` is the file a
    document was read from, or ``None`` once the index no longer holds it (the facade's ``source_path``).

    Every method raises :class:`~workbench.ingest.IngestError` with a one-line reason a person can act on:
    the document was removed from the index, its file is gone, it is not (or no longer) a readable PDF, it
    is encrypted, or the page asked for is not in it.
    """

    def __init__(self, source_path: Callable[[int], Path | None]) -> None:
        self._source_path = source_path

    def path(self, document_id: int) -> Path:
        """The file document ``document_id`` was read from, checked to be still there."""
        path = self._source_path(document_id)
        if path is None:
            raise IngestError("this document is no longer in the index (it was removed)")
        if not path.exists():
            raise IngestError(f"{path.name} is no longer in {path.parent} (moved or deleted since it was indexed)")
        return path

    def count(self, document_id: int) -> int:
        """How many pages the document's file has now (≥ 1)."""
        from ..ingest.paged import page_count  # PyMuPDF loads only once a page is asked for

        return page_count(self.path(document_id))

    def render(self, document_id: int, page: int, zoom: float = DEFAULT_ZOOM) -> tuple[np.ndarray, tuple[float, ...]]:
        """Page ``page`` (1-based) of the document at ``zoom`` pixels per PDF point: an RGB image ``[h, w, 3]``
        uint8, and the affine map ``(a, b, c, d, e, f)`` from the page's unrotated PDF points (where passage
        boxes live) to its pixels, the page's rotation included: ``x' = a·x + c·y + e``, ``y' = b·x + d·y + f``.
        """
        from ..ingest.paged import render_page

        return render_page(self.path(document_id), page, zoom)

    def render_passage(self, info: PassageInfo, zoom: float = DEFAULT_ZOOM) -> tuple[np.ndarray, tuple[float, ...]]:
        """The page passage ``info`` sits on, as :meth:`render` gives it (its ``boxes`` map with the same affine)."""
        if info.page is None:
            raise IngestError("this passage has no page to show (its document is not paginated)")
        return self.render(info.document_id, info.page, zoom)

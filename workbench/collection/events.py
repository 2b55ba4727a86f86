"""What an ingest tells its caller, file by file: :class:`IngestEvent`, and the summary of a whole run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IngestEvent:
    """Progress of one file. ``status``: indexed, unchanged, renamed (an indexed file under a new name:
    passages kept), removed (its file is gone), failed, or encoding (partial progress);
    for the index as a whole (``path`` is the index): ``committed`` once every new document is
    searchable (``passages``: how many passages this ingest added), then ``merging`` before each segment
    merge and ``centroids`` when the token centroids are being (re)trained, ``message`` why;
    ``lost`` for an indexed document whose vectors were found damaged (it is now failed and is indexed
    again when its file is ingested)."""

    path: str
    status: str
    done: int
    total: int
    message: str = ""
    passages: int = 0
    notes: tuple[str, ...] = ()  # an indexed document's caveats: pages not read, text the encoder lost …
    ocr_seconds: float = 0.0
    rate: float = 0.0  # passages per second over the ingest so far
    eta_s: float | None = None  # seconds left (from the time per file so far), once known
    vectors: int = 0  # ``merging``: the live token vectors the merge rewrites


@dataclass
class IngestReport:
    """The files of one :meth:`~workbench.collection.Collection.ingest` by outcome."""

    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

"""Where an ingest's time goes: parsing, encoding and writing, each as passages per second.

:class:`IngestTimes` accumulates wall-clock seconds per phase while an ingest runs (the collection
times each step), so the CLI's summary and the GUI's progress can say which phase bounds the
throughput — on two cores it is the encoder, by two orders of magnitude.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PHASES = ("parse", "encode", "write", "merge", "centroids")


@dataclass
class IngestTimes:
    """Seconds spent per phase (``parse``: PDF reading and passage cutting, OCR included; ``encode``: the
    model; ``write``: segments, catalog and codes; ``merge``: segment merges after the commit;
    ``centroids``: (re)training) and the passages
    that went through, since ``started`` (``time.monotonic()``)."""

    passages: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    started: float = field(default_factory=time.monotonic)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rate(self, in_flight: int = 0) -> float:
        """Passages per second over the whole ingest so far, ``in_flight`` passages of a file not yet done
        included (0 before the first)."""
        n = self.passages + in_flight
        return n / self.elapsed if n and self.elapsed > 0 else 0.0

    def eta(self, done: float, total: int) -> float | None:
        """Seconds left, from the time per file so far (``done`` may count a part of the current file, from
        its pages: a single big file has a time left from its first chunk on); ``None`` before any."""
        return self.elapsed / done * (total - done) if 0 < done < total else None

    def summary(self) -> str:
        """ "449 passages in 31.2 s (14.4/s): parse 310/s, encode 16/s, write 2,900/s" — each phase's rate
        is passages over the seconds spent in it; centroid training is reported in seconds."""

        def per_s(phase: str) -> str:
            s = self.seconds[phase]
            return f"{self.passages / s:,.0f}/s" if s > 0 else "—"

        text = (
            f"{self.passages:,} passages in {self.elapsed:.1f} s ({self.rate():.1f}/s): parse {per_s('parse')}, "
            f"encode {per_s('encode')}, write {per_s('write')}"
        )
        merge, train = self.seconds["merge"], self.seconds["centroids"]
        text += f"; segment merges {merge:.1f} s" if merge >= 0.05 else "; segment merges under 0.1 s" if merge else ""
        return text + (
            f"; centroid training {train:.1f} s"
            if train >= 0.05
            else "; centroid training under 0.1 s"
            if train
            else ""
        )


def format_eta(seconds: float | None) -> str:
    """ "about 1 min 20 s left", or "" when unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"about {s // 60} min {s % 60:02d} s left" if s >= 60 else f"about {s} s left"

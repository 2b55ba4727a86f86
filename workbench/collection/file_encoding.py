"""One file → its passages and token vectors: the work of an ingest that needs no index.

:func:`iter_encode_file` parses a file and encodes its passages a chunk at a time. The collection runs
it in its own process (:class:`~.batched_encoding.InProcessEncoding`, which encodes small files together);
a Ray worker runs the same function on a copy of the
file's bytes (:mod:`workbench.cluster.ray_ingest`). Either way the driver — the one writer of the index
— receives a :class:`FileOutcome` and commits it; nothing here touches the store.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..ingest import IngestError, ParsedFile, parse_file
from ..ingest.passages import PassageDraft
from ..store import NewPassage
from .ingest_times import IngestTimes

if TYPE_CHECKING:
    from ..encode import Encoder

ENCODE_CHUNK = 64  # passages encoded between cancellation points
# A big file's token vectors held before they go to the writer as a FilePart: ≈13 MB of float16 (the
# merge policy's smallest segment), so an ingest's memory does not grow with the size of one file.
PART_VECTORS = 50_000


@dataclass(frozen=True)
class FileToEncode:
    """A file the driver found new or changed: where it is, how the catalog names it, and the facts of
    the content to index (``digest``: SHA-256 hex)."""

    path: Path
    shown: str
    key: bytes
    size: int
    mtime: float
    digest: str


@dataclass
class EncodedFile:
    """A file's passages in reading order with their vectors: ``vectors`` float16 ``[n_tokens, dim]``, the
    passages' ``vec_offset`` counted from its first row. ``page_facts``: ``(page, label, source, problem)``
    per PDF page; ``notes``: one-line caveats for people; ``chars``/``unrepresented``: non-space
    characters of its passages and how many the encoder could not represent. ``earlier``: passages of the
    file handed on before as :class:`FilePart` values (these follow them)."""

    pages: int
    passages: list[NewPassage]
    vectors: np.ndarray
    page_facts: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chars: int = 0
    unrepresented: int = 0
    ocr_seconds: float = 0.0
    earlier: int = 0


@dataclass
class FilePart:
    """The next passages of a big file still being encoded, with their vectors (float16 ``[n, dim]``,
    ``vec_offset`` counted from its first row): the writer commits them as the document's passages so
    far, and the file's :class:`FileOutcome` completes the document."""

    work: FileToEncode
    passages: list[NewPassage]
    vectors: np.ndarray


@dataclass(frozen=True)
class EncoderSpec:
    """The encoder an index is written with: ``model`` as a worker loads it (``default``, a folder, a hub
    id), and the ``identity`` and ``checksum`` (of its weights) recorded in the index's manifest, which
    every encoder that writes to it must show. ``ocr``: read pages without usable text by OCR."""

    model: str
    trust_remote_code: bool
    identity: str
    checksum: str
    ocr: bool = True

    def mismatch(self, identity: str, checksum: str) -> str | None:
        """Why an encoder showing ``identity``/``checksum`` may not write to the index, or ``None``."""
        if (identity, checksum) == (self.identity, self.checksum):
            return None
        return (
            f"the index was written by encoder {self.identity} (checksum {self.checksum}), but the encoder "
            f"loaded is {identity} (checksum {checksum})"
        )


@dataclass(frozen=True)
class EncodingProgress:
    """Work in progress: ``shown`` names the file (``""``: the encoders as a whole), ``status`` is
    ``encoding`` (``message`` says how far: "encoded 64 passages (page 3 of 12)"), ``retrying`` (its
    worker was lost and it was sent again) or ``workers`` (the pool started, or lost or refused a worker).
    ``passages``: the current file's passages encoded so far; ``fraction``: the share of it done (pages
    of a PDF, bytes of a text or ``.jsonl`` file; ``None`` where unknown) — what the rate and the time
    left count before the file is done."""

    shown: str
    message: str
    status: str = "encoding"
    passages: int = 0
    fraction: float | None = None


@dataclass
class FileOutcome:
    """What became of one :class:`FileToEncode`: ``encoded``, or ``error`` (one plain line). ``work`` may
    differ from what was sent in its size and digest when the file changed before its bytes were read."""

    work: FileToEncode
    encoded: EncodedFile | None = None
    error: str | None = None


def iter_encode_file(
    path: Path, encoder: Encoder, ocr: bool, times: IngestTimes
) -> Generator[EncodingProgress, None, EncodedFile]:
    """Parse ``path`` and encode its passages ``ENCODE_CHUNK`` at a time, yielding its progress ("encoded 64
    passages (page 3 of 12)", :class:`EncodingProgress`) after each chunk; returns the :class:`EncodedFile`. Seconds go
    into ``times`` (``parse``: reading and cutting, OCR included; ``encode``: the model). Raises
    :class:`~workbench.ingest.IngestError` with a plain reason for a file that cannot be indexed."""
    with times.phase("parse"):
        parsed = parse_file(path, encoder.max_passage_tokens, encoder.count_tokens, ocr)
    return (yield from iter_encode_drafts(parsed, parsed.passages, encoder, times))


def iter_encode_drafts(
    parsed: ParsedFile,
    drafts: Iterator[PassageDraft],
    encoder: Encoder,
    times: IngestTimes,
    passages: EncodedPassages | None = None,
) -> Generator[EncodingProgress, None, EncodedFile]:
    """:func:`iter_encode_file` from its parsed file on: ``drafts`` (the passages, which may already be
    partly read) encoded a chunk at a time into ``passages`` (which the caller may :meth:`~EncodedPassages.take`
    from between chunks), an :class:`EncodingProgress` (``shown`` left to the caller) after each chunk."""
    passages = passages if passages is not None else EncodedPassages()
    # Passages arrive lazily and are encoded a chunk at a time: a huge file never becomes one list.
    while True:
        with times.phase("parse"):  # pages are read and cut into passages as they are asked for
            chunk = list(islice(drafts, ENCODE_CHUNK))
        if not chunk:
            break
        with times.phase("encode"):
            texts = [p.text for p in chunk]
            passages.add(chunk, encoder.unrepresented_chars(texts), encoder.encode_documents(texts))
        page, share = chunk[-1].page, parsed.share_done(chunk[-1].page)
        where = f" (page {page} of {parsed.pages})" if page else f" ({share:.0%} of the file)" if share else ""
        yield EncodingProgress("", f"encoded {passages.count} passages{where}", passages=passages.count, fraction=share)
    return passages.finish(parsed)


class EncodedPassages:
    """A file's passages as they are encoded (chunk by chunk, or in a batch shared with other files).
    ``passages``/``vectors``: those held, not yet taken; ``count``: all so far; ``offset``: vectors held;
    ``dim``: the vectors' width (0 before the first)."""

    def __init__(self) -> None:
        self.passages: list[NewPassage] = []
        self.vectors: list[np.ndarray] = []
        self.chars = self.unrepresented = self.offset = self.count = self.earlier = self.dim = 0

    def add(
        self,
        drafts: Sequence[PassageDraft],
        lost: Sequence[tuple[int, int]],
        encoded: Sequence[tuple[np.ndarray, list[str]]],
    ) -> None:
        """``drafts`` with their ``(characters, characters lost)`` and ``(vectors, tokens)``, in order."""
        for c, n_lost in lost:
            self.chars += c
            self.unrepresented += n_lost
        for draft, (vecs, tokens) in zip(drafts, encoded):
            if not tokens:
                continue  # nothing scorable (punctuation only)
            self.passages.append(
                NewPassage(
                    draft.page,
                    self.count,
                    draft.text,
                    tokens,
                    [list(b) for b in draft.boxes],
                    self.offset,
                    draft.source_key,
                    draft.location,
                )
            )
            self.vectors.append(vecs.astype(np.float16))  # as stored: half the memory of float32
            self.offset += vecs.shape[0]
            self.count, self.dim = self.count + 1, vecs.shape[1]

    def take(self) -> tuple[list[NewPassage], np.ndarray]:
        """The passages held and their vectors (float16 ``[n, dim]``), handed on; the next start anew
        (their ordinals go on counting)."""
        passages, vectors = self.passages, np.concatenate(self.vectors)
        self.earlier += len(passages)
        self.passages, self.vectors, self.offset = [], [], 0
        return passages, vectors

    def finish(self, parsed: ParsedFile) -> EncodedFile:
        """The :class:`EncodedFile` of the passages not taken; :class:`~workbench.ingest.IngestError` when
        no passage at all was scorable."""
        if not self.count:
            raise IngestError("no passage holds scorable text")
        return EncodedFile(
            parsed.pages,
            self.passages,
            np.concatenate(self.vectors) if self.vectors else np.zeros((0, self.dim), np.float16),
            [(f.number, f.label, f.source, f.problem) for f in parsed.page_facts],
            document_notes(parsed, self.chars, self.unrepresented),
            self.chars,
            self.unrepresented,
            sum(f.ocr_seconds for f in parsed.page_facts),
            self.earlier,
        )


LOST_NOTE_SHARE = 0.01  # from this share of characters lost to the encoder (printed "1%") a document gets a note


def document_notes(parsed, chars: int, unrepresented: int) -> list[str]:
    """One-line caveats of an indexed document: pages that gave no text (and why), pages read by OCR,
    facts found while opening it, and the share of its characters the encoder could not represent."""
    notes = list(parsed.notes)
    problems = [f for f in parsed.page_facts if f.problem]
    if problems:
        shown = "; ".join(f"page {f.number}: {f.problem}" for f in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        notes.append(f"{len(problems)} page{'s' if len(problems) > 1 else ''} not indexed — {shown}{more}")
    ocr = [f for f in parsed.page_facts if f.source == "ocr"]
    if ocr:
        notes.append(
            f"{len(ocr)} page{'s' if len(ocr) > 1 else ''} read by OCR ({sum(f.ocr_seconds for f in ocr):.1f} s)"
        )
    if unrepresented / max(chars, 1) >= LOST_NOTE_SHARE:  # a stray symbol or two is no caveat ("0 %")
        notes.append(
            f"{unrepresented / max(chars, 1):.0%} of its characters cannot be represented by the encoder "
            "(searchable by text only: use the hybrid plan, or a multilingual model)"
        )
    return notes


def unexpected_error(exc: BaseException) -> str:
    """The one line recorded for a file whose indexing hit a parser or model bug (the other files carry on)."""
    first_line = (str(exc).splitlines() or [""])[0][:160]
    return f"unexpected error while indexing ({type(exc).__name__}: {first_line})"


class FileEncoding(Protocol):
    """Where an ingest's files are parsed and encoded (this process, or a pool of workers)."""

    def run(self, items: Iterable[object], spec: EncoderSpec, times: IngestTimes) -> Iterator[object]:
        """Each :class:`FileToEncode` in ``items`` → :class:`EncodingProgress` while it is worked on, then its
        :class:`FileOutcome` (in the order they finish); anything else in ``items`` (an event about a file
        that needs no encoding) passes straight through. Seconds per phase are added to ``times``.
        Closing the generator stops the work in flight."""
        ...

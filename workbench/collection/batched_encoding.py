"""The collection's own encoding of an ingest's files, in this process: small files are encoded together.

A folder of small documents (a few passages each) sent to the encoder one file at a time makes calls of a
handful of passages, each padded to its own longest one; gathered into one call of up to
:data:`~.file_encoding.ENCODE_CHUNK` passages, the encoder sorts them by length across files and pads
little. On the demo's 57 PDFs (449 passages) with ONNX Runtime: 24.0 passages/s in shared windows of 64
against 19.1 file by file (one process, two rounds). A file with more passages than the window is
encoded alone, a chunk at a time (:func:`~.file_encoding.iter_encode_drafts`), and handed to the writer
in parts of :data:`~.file_encoding.PART_VECTORS` vectors as it goes (:class:`~.file_encoding.FilePart`),
so a 12,000-passage ``corpus.jsonl`` is never held whole.

Outcomes still come in the order of the items; a batch is encoded (and its outcomes handed on) before any
later item passes, so a cancelled ingest commits every file whose outcome it saw, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain, islice
from typing import TYPE_CHECKING

from ..ingest import IngestError, ParsedFile, parse_file
from ..ingest.passages import PassageDraft
from .file_encoding import (
    ENCODE_CHUNK,
    PART_VECTORS,
    EncodedPassages,
    EncoderSpec,
    EncodingProgress,
    FileOutcome,
    FilePart,
    FileToEncode,
    iter_encode_drafts,
    unexpected_error,
)
from .ingest_times import IngestTimes

if TYPE_CHECKING:
    from ..encode import Encoder


@dataclass
class _SmallFile:
    item: FileToEncode
    parsed: ParsedFile
    drafts: list[PassageDraft]  # every passage of the file (at most ENCODE_CHUNK)


class InProcessEncoding:
    """Encodes files with the collection's own encoder (already checked against the index's manifest), in
    this process: small files in shared calls, big ones alone; outcomes come in the order of ``items``."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def run(self, items: Iterable[object], spec: EncoderSpec, times: IngestTimes) -> Iterator[object]:
        batch: list[_SmallFile] = []
        for item in items:
            if not isinstance(item, FileToEncode):
                yield from self._flush(batch, times)
                yield item
                continue
            try:
                with times.phase("parse"):
                    parsed = parse_file(item.path, self.encoder.max_passage_tokens, self.encoder.count_tokens, spec.ocr)
                    first = list(islice(parsed.passages, ENCODE_CHUNK + 1))
            except Exception as exc:  # noqa: BLE001 — a parser bug must not stop the other files
                yield from self._flush(batch, times)
                yield FileOutcome(item, error=str(exc) if isinstance(exc, IngestError) else unexpected_error(exc))
                continue
            if len(first) > ENCODE_CHUNK:  # a big file: alone, a chunk at a time
                yield from self._flush(batch, times)
                yield from self._one_file(item, parsed, chain(first, parsed.passages), times)
                continue
            if sum(len(f.drafts) for f in batch) + len(first) > ENCODE_CHUNK:
                yield from self._flush(batch, times)
            batch.append(_SmallFile(item, parsed, first))
        yield from self._flush(batch, times)
        del self.encoder  # one run each; once it is over, the encoder is its owner's to free (release_encoder)

    def _one_file(
        self, item: FileToEncode, parsed: ParsedFile, drafts: Iterator[PassageDraft], times: IngestTimes
    ) -> Iterator[object]:
        passages = EncodedPassages()
        steps = iter_encode_drafts(parsed, drafts, self.encoder, times, passages)
        try:
            while True:
                yield replace(next(steps), shown=item.shown)
                if passages.offset >= PART_VECTORS:
                    yield FilePart(item, *passages.take())
        except StopIteration as done:
            yield FileOutcome(item, encoded=done.value)
        except IngestError as exc:
            yield FileOutcome(item, error=str(exc))
        except Exception as exc:  # noqa: BLE001 — a parser or model bug must not stop the other files
            yield FileOutcome(item, error=unexpected_error(exc))

    def _flush(self, batch: list[_SmallFile], times: IngestTimes) -> Iterator[object]:
        """Encode ``batch``'s passages in one call and hand on each file's outcome; empties ``batch``."""
        if not batch:
            return
        files, batch[:] = list(batch), []
        texts = [d.text for f in files for d in f.drafts]
        yield EncodingProgress(files[-1].item.shown, f"encoding {len(texts)} passages of {len(files)} files together")
        try:
            with times.phase("encode"):
                lost = self.encoder.unrepresented_chars(texts)
                encoded = self.encoder.encode_documents(texts)
        except Exception as exc:  # noqa: BLE001 — a model bug fails these files, not the ingest
            for f in files:
                yield FileOutcome(f.item, error=unexpected_error(exc))
            return
        start = 0
        for f in files:
            end = start + len(f.drafts)
            passages = EncodedPassages()
            passages.add(f.drafts, lost[start:end], encoded[start:end])
            start = end
            try:
                yield FileOutcome(f.item, encoded=passages.finish(f.parsed))
            except IngestError as exc:
                yield FileOutcome(f.item, error=str(exc))

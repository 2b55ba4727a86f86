"""BEIR-style ``corpus.jsonl`` (one JSON object per line with ``_id``, ``title``, ``text``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError
from .files import ReadPosition, open_regular
from .passages import Word
from .text import paragraph_words

MAX_RECORD_BYTES = 16 << 20  # one JSON line; a longer one is counted bad instead of read whole


def beir_records(path: Path, where: ReadPosition | None = None) -> Iterator[tuple[str, list[Word]]]:
    """Yield ``(_id, words)`` per valid record; raises if no line is a valid record.

    Title and text are joined as BEIR evaluation tools join them. Invalid lines are skipped and
    counted in the :class:`IngestError` only when nothing valid remains. ``where`` is kept at the
    bytes read (the lines handed on so far).
    """
    valid = bad = 0
    where = where or ReadPosition()
    with open_regular(path) as handle:
        where.size = os.fstat(handle.fileno()).st_size
        while raw := handle.readline(MAX_RECORD_BYTES):
            where.done += len(raw)
            if not raw.endswith(b"\n") and len(raw) == MAX_RECORD_BYTES:  # a record too long to hold: skip it
                bad += 1
                while (rest := handle.readline(MAX_RECORD_BYTES)) and not rest.endswith(b"\n"):
                    where.done += len(rest)
                where.done += len(rest)
                continue
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8", errors="replace"))
            except ValueError:
                rec = None
            if (
                not isinstance(rec, dict)
                or not isinstance(rec.get("_id"), (str, int))
                or not isinstance(rec.get("text"), str)
            ):
                bad += 1  # null or non-text fields are not searched as the string "None"
                continue
            key, text = str(rec["_id"]), rec["text"]
            title = rec.get("title") if isinstance(rec.get("title"), str) else ""
            words = paragraph_words(f"{title}\n\n{text}" if title else text)
            if words:
                valid += 1
                yield key, words
    if valid == 0:
        raise IngestError(f'no valid BEIR records (lines need JSON with "_id" and "text"; {bad} bad)')

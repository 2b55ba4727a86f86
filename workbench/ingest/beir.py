"""BEIR-style ``corpus.jsonl`` (one JSON object per line with ``_id``, ``title``, ``text``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .errors import IngestError
from .text import paragraph_words
from .passages import Word


def beir_records(path: Path) -> Iterator[tuple[str, list[Word]]]:
    """Yield ``(_id, words)`` per valid record; raises if no line is a valid record.

    Title and text are joined as BEIR evaluation tools join them. Invalid lines are skipped and
    counted in the :class:`IngestError` only when nothing valid remains.
    """
    valid = bad = 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(f"could not be read ({exc.strerror})") from None
    with handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8", errors="replace"))
                key, text = str(rec["_id"]), str(rec.get("text", ""))
                title = str(rec.get("title") or "")
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            words = paragraph_words(f"{title}\n\n{text}" if title else text)
            if words:
                valid += 1
                yield key, words
    if valid == 0:
        raise IngestError(f"no valid BEIR records (lines need JSON with \"_id\" and \"text\"; {bad} bad)")

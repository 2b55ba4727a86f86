"""Text and vectors for benchmarks that go through the real ingest path (``benchmarks/ui.py``,
``workbench bench-ingest``): pages of real English cut from Python standard-library docstrings, written
as PDFs or BEIR ``.jsonl`` records, and :class:`TableEncoder` — the real encoder with its forward pass
replaced by a table of the vectors the real model produced for that same text, so 10⁶ passages take
minutes to encode instead of the model's day on two cores.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .scale_data import docstring_passages

PAGE_TOKENS = (90, 140)  # word-pieces per page: under the ingest's soft cut (60 % of 241), one passage
TABLE_FORMAT = 1  # bump when the table's contents change, so a cached one is rebuilt


def page_texts(count_tokens: Callable[[Sequence[str]], list[int]], n_pages: int, seed: int) -> list[str]:
    """``n_pages`` page texts of ``PAGE_TOKENS`` word-pieces, words taken in order from docstring
    paragraphs shuffled by ``seed`` (a paragraph may run over into the next page)."""
    return PageStream(count_tokens, seed).take(n_pages)


class PageStream:
    """Page texts as :func:`page_texts` makes them, drawn a batch at a time from one endless stream (the
    corpus is read and its words counted once, not per batch)."""

    def __init__(self, count_tokens: Callable[[Sequence[str]], list[int]], seed: int) -> None:
        paragraphs = [p.split() for p in docstring_passages()]
        unique = sorted({w for p in paragraphs for w in p})
        self.counts = dict(zip(unique, count_tokens(unique)))  # the counter the ingest cuts passages with
        self.rng = np.random.default_rng(seed)
        self.stream = _word_stream(paragraphs, self.rng)

    def take(self, n_pages: int) -> list[str]:
        pages: list[str] = []
        while len(pages) < n_pages:
            target = int(self.rng.integers(*PAGE_TOKENS))
            page, used = [], 0
            for word in self.stream:
                page.append(word)
                used += self.counts[word]
                if used >= target - 3:
                    break
            pages.append(" ".join(page))
        return pages


def _word_stream(paragraphs: list[list[str]], rng: np.random.Generator) -> Iterator[str]:
    """The paragraphs' words, paragraph order reshuffled on every pass, forever."""
    while True:
        for i in rng.permutation(len(paragraphs)):
            yield from paragraphs[i]


def write_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A PDF with one text block per page (as the tests' ``make_pdf``)."""
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(56, 56, 540, 780), text, fontsize=11)
    path.write_bytes(doc.tobytes())
    doc.close()
    return path


def write_pdfs(folder: Path, texts: Sequence[str], prefix: str, pages_per_pdf: int = 10) -> list[Path]:
    """PDFs of ``pages_per_pdf`` pages holding ``texts`` in order, under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_pdf(folder / f"{prefix}{i // pages_per_pdf:05d}.pdf", texts[i : i + pages_per_pdf])
        for i in range(0, len(texts), pages_per_pdf)
    ]


def write_jsonl(path: Path, texts: Sequence[str], first_id: int) -> Path:
    """A BEIR ``corpus.jsonl`` with one record per text (ids ``first_id…``): each becomes one passage."""
    with open(path, "w", encoding="utf-8") as fh:
        for i, text in enumerate(texts, first_id):
            fh.write(json.dumps({"_id": f"p{i}", "title": "", "text": text}) + "\n")
    return path


class TableEncoder:
    """The real encoder in every respect (tokenizer, identity, checksum, queries) except
    ``encode_documents``: each word-piece gets one of the contextual vectors the real model produced
    for it in the docstring corpus (chosen by the passage's text and the position). Word-pieces the
    model never emitted there (punctuation it drops, pieces split differently) are left out, as the
    model leaves punctuation out. ``cache``: an ``.npz`` to keep the table in (encoding the corpus
    with the model takes about a minute); it is rebuilt when the encoder's checksum differs."""

    def __init__(self, real, cache: Path | None = None) -> None:
        self.real = real
        key = f"{TABLE_FORMAT}:{real.checksum}"
        if cache is not None and cache.is_file():
            with np.load(cache, allow_pickle=False) as z:
                if str(z["key"]) == key:
                    self.vectors, self.offsets, self.counts = z["vectors"], z["offsets"], z["counts"]
                    return
        tok = real.model.tokenizer
        by_id: dict[int, list[np.ndarray]] = {}
        for vecs, tokens in real.encode_documents(docstring_passages()):
            for vec, token_id in zip(vecs, tok.convert_tokens_to_ids(tokens)):
                by_id.setdefault(token_id, []).append(vec.astype(np.float16))
        vocab = max(len(tok), max(by_id) + 1)
        self.counts = np.zeros(vocab, np.int64)
        self.offsets = np.zeros(vocab, np.int64)
        rows, at = [], 0
        for token_id in sorted(by_id):  # one array: the vectors of each id in a run
            self.offsets[token_id], self.counts[token_id] = at, len(by_id[token_id])
            rows.extend(by_id[token_id])
            at += len(by_id[token_id])
        self.vectors = np.stack(rows)
        if cache is not None:
            np.savez(cache, key=np.array(key), vectors=self.vectors, offsets=self.offsets, counts=self.counts)

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def encode_documents(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
        tok = self.real.model.tokenizer
        ids = tok(list(texts), add_special_tokens=False, truncation=True, max_length=self.real.document_length)[
            "input_ids"
        ]
        out = []
        for text, row in zip(texts, ids):
            row = np.asarray(row, np.int64)
            kept = row[(row < self.counts.shape[0]) & (self.counts[np.minimum(row, self.counts.shape[0] - 1)] > 0)]
            seed = zlib.crc32(text.encode("utf-8"))
            pick = self.offsets[kept] + (seed + np.arange(kept.shape[0])) % self.counts[kept]
            out.append((self.vectors[pick].astype(np.float32), tok.convert_ids_to_tokens(kept.tolist())))
        return out

"""The collections ``workbench bench-scale`` measures, made once and cached as float16 ``.npy`` files read
by memory map, as an index is: ``synthetic`` (clustered vectors shaped like contextual token embeddings)
or ``text`` (encoded standard-library docstrings replicated to size); see :mod:`.scale_bench` for how
each is built and what is measured on it. Documents sit in 100 folders, so filters of 1 % and 10 % of
the passages can be timed."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import (
    LateIndex,
    LateQuery,
    PassageFilter,
    PassageInfo,
)
from ..demo.stdlib_text import TEXT_MODULES  # the docstring text shared with the demo collection

DIM = 128
PASSAGES_PER_DOCUMENT = 10
N_FOLDERS = 100  # document d lives in folder d mod 100: one folder holds 1 % of the passages
FORMAT = 1  # bump when the generated data changes, so cached data is regenerated


@dataclass
class ScaleData:
    index: LateIndex
    queries: list[LateQuery]
    source: str


class FolderCatalog:
    """The synthetic collection's catalog: passage ``p`` is in document ``p // 10``, which lives in
    folder ``/bench/fNN`` with ``NN = document mod 100``. Filters by folder only (nothing else exists)."""

    def __init__(self, n_passages: int) -> None:
        self.folder_of = (np.arange(n_passages, dtype=np.int64) // PASSAGES_PER_DOCUMENT) % N_FOLDERS

    def passage_ids_where(self, where: PassageFilter) -> np.ndarray:
        if where.file_types or where.document_ids or where.modified_from or where.modified_to:
            raise ValueError("the benchmark collection can only be filtered by folder")
        wanted = [int(f.rsplit("/f", 1)[1]) for f in where.folders]
        return np.flatnonzero(np.isin(self.folder_of, wanted)).astype(np.int64)

    def describe(self, passage_ids: Sequence[int]) -> list[PassageInfo]:
        return [
            PassageInfo(
                int(p),
                int(p) // PASSAGES_PER_DOCUMENT,
                f"/bench/f{self.folder_of[p]:02d}/doc{int(p) // PASSAGES_PER_DOCUMENT}.txt",
                None,
                int(p) % PASSAGES_PER_DOCUMENT,
                "",
                (),
            )
            for p in passage_ids
        ]

    def lexical_search(self, text: str, k: int, where: PassageFilter | None = None):
        raise RuntimeError("the benchmark collection has no text, so no lexical stage")


def folder_filter(share: float) -> PassageFilter:
    """Folders holding ``share`` of the passages (1 % per folder)."""
    return PassageFilter(folders=tuple(f"/bench/f{i:02d}" for i in range(max(1, round(share * N_FOLDERS)))))


# -- data ------------------------------------------------------------------------------------------
def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _lengths(rng: np.random.Generator, n: int, mean: int) -> np.ndarray:
    return np.clip(rng.normal(mean, mean * 0.3, n), 8, 3 * mean).astype(np.int64)


def synthetic_data(
    n_passages: int,
    folder: Path,
    n_queries: int,
    tokens: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] = print,
) -> tuple[np.ndarray, np.ndarray, list[LateQuery]]:
    """Write the vectors to ``folder/vectors.npy``; return ``(lengths, query targets, queries)``."""
    rng = np.random.default_rng(seed)
    vocab = 32768
    concepts = _unit(rng.standard_normal((vocab, DIM))).astype(np.float32)
    n_topics = max(64, n_passages // 500)
    topic_size = 256
    # Topic concept sets, Zipf-weighted within a topic; the global draw is Zipf over the vocabulary.
    topics = np.stack([rng.choice(vocab, topic_size, replace=False) for _ in range(n_topics)])
    zipf_topic = 1.0 / np.arange(1, topic_size + 1)
    zipf_topic /= zipf_topic.sum()
    zipf_vocab = 1.0 / np.arange(1, vocab + 1) ** 0.9
    zipf_vocab /= zipf_vocab.sum()
    lengths = _lengths(rng, n_passages, tokens)
    topic_of = rng.integers(0, n_topics, n_passages)
    total = int(lengths.sum())
    out = np.lib.format.open_memmap(folder / "vectors.npy.tmp", mode="w+", dtype=np.float16, shape=(total, DIM))
    targets = np.sort(rng.choice(n_passages, n_queries, replace=False))
    target_concepts: dict[int, np.ndarray] = {}
    noise = 0.75 / math.sqrt(DIM)  # |noise| ≈ 0.75 → cosine to the concept ≈ 0.8
    start, step = 0, 20_000
    for lo in range(0, n_passages, step):
        hi = min(lo + step, n_passages)
        n_tok = int(lengths[lo:hi].sum())
        owner = np.repeat(np.arange(lo, hi), lengths[lo:hi])
        from_topic = rng.random(n_tok) < 0.6
        ids = rng.choice(vocab, n_tok, p=zipf_vocab)
        pick = rng.choice(topic_size, n_tok, p=zipf_topic)
        ids[from_topic] = topics[topic_of[owner[from_topic]], pick[from_topic]]
        x = concepts[ids] + noise * rng.standard_normal((n_tok, DIM), dtype=np.float32)
        out[start : start + n_tok] = _unit(x)
        for t in targets[(targets >= lo) & (targets < hi)]:
            target_concepts[int(t)] = ids[owner == t]
        start += n_tok
        progress(f"generated {hi:,} / {n_passages:,} passages")
    out.flush()
    del out
    (folder / "vectors.npy.tmp").replace(folder / "vectors.npy")
    queries = []
    for t in targets:
        own = rng.choice(target_concepts[int(t)], 12)
        topical = topics[topic_of[t], rng.choice(topic_size, 4, p=zipf_topic)]
        q = concepts[np.concatenate((own, topical))] + noise * rng.standard_normal((16, DIM))
        queries.append(LateQuery.from_vectors(_unit(q).astype(np.float32)))
    return lengths, targets, queries


def docstring_passages(limit: int = 2000, min_words: int = 12, max_words: int = 180) -> list[str]:
    """Paragraphs of standard-library docstrings (modules, classes, functions), deduplicated, in a fixed
    order: real text available wherever Python is."""
    import importlib
    import inspect

    seen, out = set(), []
    for name in TEXT_MODULES:
        module = importlib.import_module(name)
        objects = [module] + [getattr(module, a) for a in sorted(dir(module)) if not a.startswith("_")]
        objects += [
            v
            for c in objects
            if inspect.isclass(c) and c.__module__ == module.__name__
            for a, v in sorted(vars(c).items())
            if not a.startswith("_")
        ]
        for obj in objects:
            doc = inspect.getdoc(obj) if inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj) else None
            for para in (doc or "").split("\n\n"):
                words = para.split()
                if len(words) >= min_words and para not in seen:
                    seen.add(para)
                    out.append(" ".join(words[:max_words]))
                    if len(out) == limit:
                        return out
    return out


def text_data(
    n_passages: int, folder: Path, n_queries: int, seed: int = 0, progress: Callable[[str], None] = print
) -> tuple[np.ndarray, np.ndarray, list[LateQuery]]:
    """Encode standard-library docstrings once, then write ``n_passages`` perturbed recombinations."""
    from ..encode import Encoder

    encoder = Encoder()
    texts = docstring_passages()
    progress(f"encoding {len(texts)} docstring passages")
    encoded = [v.astype(np.float32) for v, _ in encoder.encode_documents(texts)]
    rng = np.random.default_rng(seed)
    n_src = len(encoded)
    a, b = rng.integers(0, n_src, n_passages), rng.integers(0, n_src, n_passages)
    cut_a = [rng.integers(1, encoded[i].shape[0] + 1) for i in a]
    cut_b = [rng.integers(0, encoded[i].shape[0]) for i in b]
    lengths = np.array([ca + encoded[j].shape[0] - cb for ca, j, cb in zip(cut_a, b, cut_b)], np.int64)
    out = np.lib.format.open_memmap(
        folder / "vectors.npy.tmp", mode="w+", dtype=np.float16, shape=(int(lengths.sum()), DIM)
    )
    pos = 0
    for p in range(n_passages):
        x = np.concatenate((encoded[a[p]][: cut_a[p]], encoded[b[p]][cut_b[p] :]))
        x = _unit(x + 0.02 * rng.standard_normal(x.shape, dtype=np.float32))
        out[pos : pos + x.shape[0]] = x
        pos += x.shape[0]
        if (p + 1) % 50_000 == 0:
            progress(f"written {p + 1:,} / {n_passages:,} passages")
    out.flush()
    del out
    (folder / "vectors.npy.tmp").replace(folder / "vectors.npy")
    sentences = [s.strip() for t in texts for s in t.split(". ") if len(s.split()) >= 6]
    picked = rng.choice(len(sentences), min(n_queries, len(sentences)), replace=False)
    queries = [encoder.encode_query(sentences[i]) for i in picked]
    return lengths, np.zeros(0, np.int64), queries


def load_or_make(
    source: str, n_passages: int, folder: Path, n_queries: int, progress: Callable[[str], None] = print
) -> ScaleData:
    """The data in ``folder`` when it was made with the same parameters, else freshly generated."""
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / "meta.json"
    wanted = {"format": FORMAT, "source": source, "passages": n_passages, "queries": n_queries}
    if meta_path.is_file() and (folder / "vectors.npy").is_file() and json.loads(meta_path.read_text()) == wanted:
        lengths = np.load(folder / "lengths.npy", allow_pickle=False)
        q = np.load(folder / "queries.npy", allow_pickle=False)
        counts = np.load(folder / "query_lengths.npy", allow_pickle=False)
        queries = [LateQuery.from_vectors(x) for x in np.split(q, np.cumsum(counts)[:-1])]
    else:
        meta_path.unlink(missing_ok=True)
        make = synthetic_data if source == "synthetic" else text_data
        lengths, _, queries = make(n_passages, folder, n_queries, progress=progress)
        np.save(folder / "lengths.npy", lengths, allow_pickle=False)
        np.save(folder / "queries.npy", np.concatenate([q.matrix() for q in queries]), allow_pickle=False)
        np.save(folder / "query_lengths.npy", np.array([q.n_vectors for q in queries]), allow_pickle=False)
        meta_path.write_text(json.dumps(wanted))
    vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    index = LateIndex(
        vectors,
        starts,
        lengths,
        np.arange(n_passages, dtype=np.int64),
        catalog=FolderCatalog(n_passages),
        name=f"{source}-{n_passages}",
    )
    return ScaleData(index, queries, source)


# -- measuring -------------------------------------------------------------------------------------

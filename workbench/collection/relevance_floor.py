"""The relevance floor of an index — learnt from the index itself, kept in its folder — and the judgement of a
search's result against it (:func:`judge_result`; the math is :mod:`workbench.core.relevance`).

**How it is learnt.** :data:`CALIBRATION_QUERIES` nonsense queries of one to eight *random words of the
index* — each word (three or more letters) taken from a different random passage, so that no passage
holds them together — are searched by the default plan exactly as a typed query, and the floor is the
:data:`FLOOR_QUANTILE` quantile of their best hits' mean cosine: a query whose best hit matches worse
than 90 % of word salad made of this index's own words is not in this index's language, and no hit is a
good match. Each word of such salad finds itself in its own passage, so salad scores about as well as
a real question (mean cosine 0.45–0.9 against 0.55–0.8): a *high* quantile of it would flag most real
queries, a low one flags what the index does not speak — out-of-domain phrases, symbols — and keeps
the questions it answers. The rule was chosen against six others (quantiles of this null and of one of
scrambled words) on Cranfield, the demo and a small part of the demo (``benchmarks/relevance_floor.py``;
the figures and the reasons are in ``docs/benchmarks.md``).

**When.** On the first judgement of an index of at least :data:`MIN_PASSAGES` passages (fewer: "no floor
yet" — a floor from a handful of passages would be made up), and again when the live passages have grown
or shrunk by half (:data:`RELEARN_RATIO`) or the encoder changed. It is kept in the index folder
(:mod:`workbench.store.relevance_floor_file`; a broken file is learnt again), or in memory where the
folder cannot be written. Cost: one search per query, ≈3–4 s on the demo's 449 passages on two cores.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..core import SearchPlan, auto_search_plan, search_with_plan
from ..core.backends import fastest_backend
from ..core.generators import run_to_end
from ..core.relevance import Floor, Relevance, judge, mean_cosine
from ..store.relevance_floor_file import FLOOR_VERSION, FloorRecord, read_floor_record, write_floor_record

if TYPE_CHECKING:
    from ..core import SearchResult
    from .facade import Collection

CALIBRATION_QUERIES = 120
FLOOR_QUANTILE = 0.10
MIN_PASSAGES = 20
RELEARN_RATIO = 1.5  # learn again once the live passages are 1.5× (or 1/1.5 of) those it was learnt on
QUERY_WORDS = (1, 8)  # words per nonsense query, as many queries of each length
POOL_PASSAGES = 400  # random passages whose words the queries are made of
SEED = 0  # the same index learns the same floor
METHOD = f"{FLOOR_QUANTILE * 100:.0f}th percentile of random-word queries"
CALIBRATION_PLAN = auto_search_plan(final_k=1)  # the default plan; only the best hit counts
_WORD = re.compile(r"[^\W\d_]{3,}")  # three or more letters
_in_memory: weakref.WeakKeyDictionary[Collection, tuple[Floor, str]] = weakref.WeakKeyDictionary()


def nonsense_queries(
    texts: Sequence[str], count: int, seed: int, scrambled: bool = False, words: tuple[int, int] = QUERY_WORDS
) -> list[str]:
    """``count`` queries of ``words[0]``–``words[1]`` words (each length in turn: the best cosine of a
    query depends on its length, so a random mix would move the floor), each word (three or more letters)
    taken from a different one of ``texts`` (as long as there are enough), letters shuffled when
    ``scrambled``. ``[]`` when fewer than two texts hold such a word."""
    rng = np.random.default_rng(seed)
    pool = [found for found in (_WORD.findall(t) for t in texts) if found]
    if len(pool) < 2:
        return []
    out = []
    for i in range(count):
        n = words[0] + i % (words[1] - words[0] + 1)
        chosen = rng.choice(len(pool), n, replace=n > len(pool))
        picked = [pool[p][int(rng.integers(len(pool[p])))] for p in chosen.tolist()]
        if scrambled:
            picked = ["".join(rng.permutation(list(w.lower()))) for w in picked]
        out.append(" ".join(picked))
    return out


def passage_sample(coll: Collection, n: int = POOL_PASSAGES, seed: int = SEED) -> list[str]:
    """The texts of ``n`` random live passages of ``coll`` (all of them when it holds fewer)."""
    index = coll.late_index()
    ids = index.passage_ids
    rng = np.random.default_rng(seed)
    chosen = rng.choice(ids, min(n, ids.shape[0]), replace=False) if ids.shape[0] else ids
    return [info.text for info in index.catalog.describe(sorted(int(i) for i in chosen))]


def iter_best_cosines(
    coll: Collection,
    queries: Sequence[str],
    plan: SearchPlan = CALIBRATION_PLAN,
) -> Generator[tuple[int, int], None, list[float]]:
    """Search each query with ``plan`` on the fastest exact backend at hand (the same scores on each);
    yields ``(done, total)`` after each; returns the best hit's mean cosine per query searched (a query
    the encoder cannot represent, or with no hit, is left out)."""
    backend = fastest_backend(coll.dim)
    best: list[float] = []
    for done, text in enumerate(queries, 1):
        try:
            query = coll.encode_query(text)
        except ValueError:
            query = None
        if query is not None:
            result = coll.retrying(lambda index: search_with_plan(query, index, plan, backend))  # noqa: B023 — called here
            cosines = [c for c in (mean_cosine(result, h) for h in result.hits) if c is not None]
            if cosines:
                best.append(max(cosines))
        yield done, len(queries)
    return best


def iter_learn_floor(coll: Collection) -> Generator[tuple[int, int], None, Floor | None]:
    """Learn ``coll``'s floor (see the module's docstring), yielding ``(queries done, total)``; keep it in
    the index folder (in memory where the folder cannot be written) and return it. ``None`` for an index
    of fewer than :data:`MIN_PASSAGES` passages."""
    started = time.perf_counter()
    passages = coll.late_index().n_passages
    if passages < MIN_PASSAGES:
        return None
    queries = nonsense_queries(passage_sample(coll), CALIBRATION_QUERIES, SEED)
    best = yield from iter_best_cosines(coll, queries)
    if len(best) < CALIBRATION_QUERIES // 2:
        return None  # the encoder could not represent the index's words: nothing honest to learn from
    floor = Floor(float(np.quantile(best, FLOOR_QUANTILE)), METHOD, len(best), passages, time.perf_counter() - started)
    record: FloorRecord = {
        "version": FLOOR_VERSION,
        "floor": floor.value,
        "method": floor.method,
        "samples": floor.samples,
        "passages": floor.passages,
        "encoder": coll.encoder_identity,
        "seconds": round(floor.seconds, 3),
    }
    write_floor_record(coll.store.root, record)
    _in_memory[coll] = (floor, coll.encoder_identity)
    return floor


def learn_floor(coll: Collection) -> Floor | None:
    """:func:`iter_learn_floor` run to its end."""
    return run_to_end(iter_learn_floor(coll))


def known_floor(coll: Collection) -> Floor | None:
    """``coll``'s floor if one was learnt and still fits the index (kept in its folder, or in memory), without
    learning one: ``None`` when none was, or the passages have changed by half since, or the encoder has,
    or it was learnt by another rule (an older version of this module)."""
    passages, encoder = coll.counts()["passages"], coll.encoder_identity
    if passages < MIN_PASSAGES:
        return None
    record = read_floor_record(coll.store.root)
    if (
        record is not None
        and (record["encoder"], record["method"]) == (encoder, METHOD)
        and _fits(record["passages"], passages)
    ):
        return Floor(record["floor"], record["method"], record["samples"], record["passages"], record["seconds"])
    remembered = _in_memory.get(coll)
    if remembered is not None and remembered[1] == encoder and _fits(remembered[0].passages, passages):
        return remembered[0]
    return None


def big_enough(coll: Collection) -> bool:
    """Whether ``coll`` holds the :data:`MIN_PASSAGES` passages a floor is learnt from."""
    return coll.counts()["passages"] >= MIN_PASSAGES


def floor_due(coll: Collection) -> bool:
    """Whether ``coll`` needs its floor learnt: none fits the index now, and it is big enough to learn one."""
    return big_enough(coll) and known_floor(coll) is None


def why_no_floor(coll: Collection) -> str:
    """One line for people on why ``coll`` has no floor (when :func:`known_floor` is ``None``)."""
    passages = coll.counts()["passages"]
    if passages < MIN_PASSAGES:
        return (
            f"no floor yet: the index holds {passages} passages, and a relevance floor is learnt from {MIN_PASSAGES} on"
        )
    return "no floor yet: this index's relevance floor has not been learnt"


def judge_result(coll: Collection, result: SearchResult, learn: bool = True) -> Relevance:
    """``result`` judged against ``coll``'s floor (:func:`workbench.core.relevance.judge`), learning the floor
    first when it is due and ``learn`` (a few seconds; a client with a UI does that on a worker)."""
    floor = known_floor(coll)
    if floor is None and learn:
        floor = learn_floor(coll)
    return judge(result, floor, why_no_floor(coll) if floor is None else "")


def _fits(learnt_on: int, passages: int) -> bool:
    return learnt_on / RELEARN_RATIO < passages < learnt_on * RELEARN_RATIO

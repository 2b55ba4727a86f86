"""The relevance floor, measured (``benchmarks/relevance_floor.py``): candidate rules learnt from one index,
judged on real queries with known answers and on nonsense the calibration never saw.

Every rule is a quantile (or the higher of two) of the best hit's mean cosine over
:data:`~workbench.collection.relevance_floor.CALIBRATION_QUERIES` nonsense queries made from the index's own
passages, searched by the default plan: random words of the index (the library's null —
:mod:`workbench.collection.relevance_floor`, same seed, same queries, so the first rule's floor is the one
:func:`~workbench.collection.relevance_floor.learn_floor` learns) or the same words with their letters
scrambled. Each rule then judges, through :func:`workbench.core.relevance.judge` (the symbols-only rule
included):

* real queries: the share of those with an answer in the top 10 whose best hit stays at or above the
  floor ("kept"), and how often the top hit is an answer among the kept and among the flagged;
* nonsense made with another seed: scrambled words, the index's words drawn from different passages
  (3–8 of them), and of kinds no calibration sees: out-of-domain phrases and symbol strings
  (:mod:`.relevance_queries`): the share flagged ("no good match").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import numpy as np

from ..collection import Collection
from ..collection.relevance_floor import (
    CALIBRATION_QUERIES,
    FLOOR_QUANTILE,
    SEED,
    iter_best_cosines,
    nonsense_queries,
    passage_sample,
)
from ..core import Hit, SearchResult, auto_search_plan, hybrid_search_plan
from ..core.generators import run_to_end
from ..core.relevance import Floor, judge
from .relevance_queries import OUT_OF_DOMAIN, SYMBOLS

HELD_OUT_SEED = 1  # the nonsense judged is made with another seed than the calibration's
HELD_OUT_QUERIES = 100
RANDOM_WORDS = (3, 8)  # one or two words of an index are a fair query: its salad starts at three
PLAN = auto_search_plan()  # what a search box runs by default
HYBRID = hybrid_search_plan()  # its budgets score fewer vectors than the plan the floor is learnt under
QUANTILES = (0.05, 0.1, 0.5, 0.9, 0.95, 0.99)  # of each null, reported
SPREAD = (0.0, 0.05, 0.5, 0.95, 1.0)


@dataclass(frozen=True)
class Rule:
    """A candidate floor: the highest of its ``parts``, each ``(scrambled, quantile)`` — that quantile of the
    null of scrambled words (``scrambled``) or of the index's words as they are."""

    name: str
    parts: tuple[tuple[bool, float], ...]

    def floor(self, nulls: dict[bool, list[float]]) -> float:
        return max(float(np.quantile(nulls[scrambled], q)) for scrambled, q in self.parts)


RULES = (
    Rule(f"random words, q{FLOOR_QUANTILE:.2f} (the library's)", ((False, FLOOR_QUANTILE),)),
    Rule("random words, q0.05", ((False, 0.05),)),
    Rule("random words, q0.50", ((False, 0.50),)),
    Rule("random words, q0.95", ((False, 0.95),)),
    Rule("scrambled words, q0.95", ((True, 0.95),)),
    Rule("scrambled words, q0.99", ((True, 0.99),)),
    Rule("max(scrambled q0.95, random q0.05)", ((True, 0.95), (False, 0.05))),
)


@dataclass(frozen=True)
class RealQuery:
    """A real query and the keys of the documents that answer it (what ``key`` of a hit returns)."""

    text: str
    answers: frozenset[str]


def iter_measure(coll: Collection, real: Sequence[RealQuery], key: Callable[[Hit], str]) -> Generator[str, None, dict]:
    """Measure every rule of :data:`RULES` on ``coll``; yields a line per phase; returns
    ``{"passages", "calibration_s", "calibration_cpu_s", "null", "hybrid_real_kept", "best", "rules": {name:
    figures}}`` (``hybrid_real_kept``: the library's rule on the real queries searched by the hybrid plan;
    ``best``: the spread of the best mean cosine of the real queries with an answer and of each kind of nonsense)."""
    texts = passage_sample(coll, seed=SEED)
    coll.encode_query("warm-up")  # the encoder loads before the calibration is timed, as in a running app
    nulls: dict[bool, list[float]] = {}
    costs: dict[bool, tuple[float, float]] = {}
    for scrambled in (False, True):
        yield f"calibrating: {CALIBRATION_QUERIES} {'scrambled' if scrambled else 'random'}-word queries"
        wall, cpu = time.perf_counter(), time.process_time()
        queries = nonsense_queries(texts, CALIBRATION_QUERIES, SEED, scrambled)
        nulls[scrambled] = run_to_end(iter_best_cosines(coll, queries))
        costs[scrambled] = (time.perf_counter() - wall, time.process_time() - cpu)
    passages = coll.late_index().n_passages
    floors = {r.name: Floor(r.floor(nulls), r.name, CALIBRATION_QUERIES, passages) for r in RULES}
    yield f"judging {len(real)} real queries"
    real_rows = [_real_row(coll.search(q.text, PLAN), q, key, floors) for q in real]
    yield f"judging {len(real)} real queries under the hybrid plan (vector budgets 32/64)"
    library = floors[RULES[0].name]
    hybrid = [_real_row(coll.search(q.text, HYBRID), q, key, {RULES[0].name: library}) for q in real]
    held_out = passage_sample(coll, seed=HELD_OUT_SEED)
    kinds = {
        "scrambled": nonsense_queries(held_out, HELD_OUT_QUERIES, HELD_OUT_SEED, True),
        "index words": nonsense_queries(held_out, HELD_OUT_QUERIES, HELD_OUT_SEED, False, RANDOM_WORDS),
        "out-of-domain": list(OUT_OF_DOMAIN),
        "symbols": list(SYMBOLS),
    }
    flagged: dict[str, dict[str, list[bool]]] = {r.name: {k: [] for k in kinds} for r in RULES}
    under_floor: dict[str, list[bool]] = {r.name: [] for r in RULES}  # symbols, by the floor alone
    best: dict[str, list[float]] = {k: [] for k in kinds}
    for kind, queries in kinds.items():
        yield f"judging {len(queries)} {kind}"
        for text in queries:
            result = coll.search(text, PLAN)
            best[kind].append(judge(result, None).best or 0.0)
            for name, floor in floors.items():
                verdict = judge(result, floor)
                flagged[name][kind].append(verdict.good_match is False)
                if kind == "symbols":
                    under_floor[name].append(verdict.best is not None and verdict.best < floor.value)
    return {
        "passages": passages,
        "calibration_s": round(costs[False][0], 2),  # the library's null
        "calibration_cpu_s": round(costs[False][1], 2),
        "null": {
            ("scrambled" if s else "random"): [round(float(v), 4) for v in np.quantile(b, QUANTILES)]
            for s, b in nulls.items()
        },
        "hybrid_real_kept": _share([r["kept"][RULES[0].name] for r in hybrid if r["answered"]]),
        "best": {  # the best mean cosine's spread per kind of query: min, 5th percentile, median, 95th, max
            kind: [round(float(v), 4) for v in np.quantile(values, SPREAD)]
            for kind, values in {"real": [r["best"] for r in real_rows if r["answered"]], **best}.items()
        },
        "rules": {
            name: _figures(floors[name].value, real_rows, name, flagged[name], under_floor[name]) for name in floors
        },
    }


def _real_row(result: SearchResult, query: RealQuery, key: Callable[[Hit], str], floors: dict[str, Floor]) -> dict:
    """One real query: whether an answer is in its hits, whether the first hit is one, and each rule's verdict."""
    return {
        "best": judge(result, None).best or 0.0,
        "answered": any(key(h) in query.answers for h in result.hits),
        "top1": bool(result.hits) and key(result.hits[0]) in query.answers,
        "kept": {name: judge(result, floor).good_match is True for name, floor in floors.items()},
    }


def _figures(floor: float, rows: list[dict], name: str, flagged: dict[str, list[bool]], symbols: list[bool]) -> dict:
    answered = [r for r in rows if r["answered"]]
    kept = [r for r in answered if r["kept"][name]]
    lost = [r for r in answered if not r["kept"][name]]
    return {
        "floor": round(floor, 4),
        "real_answered": len(answered),
        "real_kept": _share([r["kept"][name] for r in answered]),
        "all_real_kept": _share([r["kept"][name] for r in rows]),
        "top1_right_kept": _share([r["top1"] for r in kept]),
        "top1_right_flagged": _share([r["top1"] for r in lost]),
        "flagged": {kind: _share(marks) for kind, marks in flagged.items()},
        "symbols_under_floor": _share(symbols),
    }


def _share(marks: list[bool]) -> float | None:
    return round(sum(marks) / len(marks), 3) if marks else None

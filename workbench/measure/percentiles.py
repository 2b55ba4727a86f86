"""Latency percentiles as the benchmarks print them: one helper, so every report rounds and names them alike."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` (NumPy's linear interpolation); NaN for none."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def latency_percentiles(ms: Sequence[float], digits: int = 1) -> dict[str, float]:
    """``{"p50_ms", "p95_ms", "p99_ms"}`` of ``ms`` (milliseconds), rounded to ``digits`` places."""
    return {f"p{q}_ms": round(percentile(ms, q), digits) for q in (50, 95, 99)}

"""Checks of the values a JSON file of the store may hold: what ``json.loads`` gives for a count or a
number, with the cases it lets through (``True`` is an ``int``; ``NaN`` and ``Infinity`` parse) ruled out."""

from __future__ import annotations

import math


def is_count(value: object) -> bool:
    """A positive integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_finite_number(value: object) -> bool:
    """An int or float (not a bool) that is finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

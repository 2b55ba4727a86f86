"""Long work is a generator that yields progress and returns its result; a caller without a UI runs it out."""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")


def run_to_end(gen: Generator[object, None, R]) -> R:
    """Drive ``gen`` to its end, ignoring what it yields; returns what it returns."""
    while True:
        try:
            next(gen)
        except StopIteration as done:
            result: R = done.value  # StopIteration.value is typed Any; it is what gen returned
            return result

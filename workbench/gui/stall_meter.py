"""How long the UI thread stalls: a heartbeat timer on the UI thread, and the late ticks it records.

A ``QTimer`` with a short interval ticks on the UI thread's event loop. When the thread is busy (a
slot computing, a paint, or waiting for the GIL that a worker holds) the next tick comes late; the
*stall* of a tick is its gap since the previous tick minus the interval. Each stall is attributed to
the step the caller named with :meth:`StallMeter.mark`, and carries how much CPU the UI thread itself
used during the gap: close to the gap means work on the UI thread, much less means it was waiting
(for the GIL, or for a core on a busy machine).

Used by the GUI tests (only a real freeze fails them) and by ``benchmarks/ui.py`` (the distribution).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer


@dataclass(frozen=True)
class Stall:
    """One late tick: ``ms`` beyond the interval, during ``step``, at ``at_s`` seconds after start;
    ``cpu_ms`` the UI thread's own CPU time in the gap."""

    ms: float
    step: str
    at_s: float
    cpu_ms: float


@dataclass
class StepStalls:
    """Every tick's stall (ms, 0 for a punctual tick) recorded during one step."""

    ticks: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """``ticks``, ``p50``, ``p99`` and ``max`` stall in ms (zeros when no tick was recorded)."""
        if not self.ticks:
            return {"ticks": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
        a = np.asarray(self.ticks)
        return {
            "ticks": int(a.size),
            "p50": float(np.percentile(a, 50)),
            "p99": float(np.percentile(a, 99)),
            "max": float(a.max()),
        }


class StallMeter(QObject):
    """Heartbeat on the UI thread. ``start()``, ``mark(step)`` as the work moves on, ``stop()``.

    ``interval_ms`` is short (2–5 ms) so that the meter resolves stalls of that size; the ticks cost the
    UI thread a few microseconds each. ``keep`` is how many of the worst stalls are kept with details.
    """

    def __init__(self, interval_ms: int = 5, keep: int = 20) -> None:
        super().__init__()
        self.interval_ms = interval_ms
        self.keep = keep
        self.step = ""
        self.steps: dict[str, StepStalls] = {}
        self.worst_stalls: list[Stall] = []
        self._t0 = self._last = time.perf_counter()
        self._cpu_last = time.thread_time()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.PreciseTimer)  # a coarse timer may fire 5 % late by design
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    @property
    def last_tick(self) -> float:
        """``time.perf_counter()`` of the latest tick (for a watchdog that samples during a stall)."""
        return self._last

    def start(self, step: str = "") -> None:
        self.step = step
        self._t0 = self._last = time.perf_counter()
        self._cpu_last = time.thread_time()
        self.timer.start()

    def mark(self, step: str) -> None:
        """Attribute the ticks from now on to ``step``. The tick that ends a stall belongs to the step
        running when the stall *ended*; marks are placed where a step starts, so a step's own stall
        ends within it."""
        self.step = step

    def stop(self) -> float:
        """Stop ticking; returns the worst stall in ms (a gap up to the stop is counted too)."""
        self._tick()
        self.timer.stop()
        return self.worst_ms

    @property
    def worst_ms(self) -> float:
        return self.worst_stalls[0].ms if self.worst_stalls else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        """Per step (and ``all``): ticks, p50, p99 and max stall in ms."""
        out = {name: s.summary() for name, s in self.steps.items()}
        out["all"] = StepStalls([t for s in self.steps.values() for t in s.ticks]).summary()
        return out

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        stall = max(0.0, (now - self._last) * 1e3 - self.interval_ms)
        self.steps.setdefault(self.step, StepStalls()).ticks.append(stall)
        if stall > 0 and (len(self.worst_stalls) < self.keep or stall > self.worst_stalls[-1].ms):
            self.worst_stalls.append(Stall(stall, self.step, self._last - self._t0, (cpu - self._cpu_last) * 1e3))
            self.worst_stalls.sort(key=lambda s: -s.ms)
            del self.worst_stalls[self.keep :]
        self._last, self._cpu_last = now, cpu

"""Backend registry: the executors of the exact stage, by name.

``NUMPY_REFERENCE_BACKEND`` always works; ``MOJO_EXACT_CPU_BACKEND`` needs the kernel built by set-up.
Both compute the same scores; only the executor differs.
"""

from __future__ import annotations

from . import mojo_exact, numpy_reference
from .base import BackendUnavailable, ExactBackend

NUMPY_REFERENCE_BACKEND = numpy_reference.NAME
MOJO_EXACT_CPU_BACKEND = mojo_exact.NAME
BACKENDS = (NUMPY_REFERENCE_BACKEND, MOJO_EXACT_CPU_BACKEND)
ALIASES = {"numpy": NUMPY_REFERENCE_BACKEND, "mojo": MOJO_EXACT_CPU_BACKEND}

_instances: dict[str, ExactBackend] = {}


def resolve_name(name: str) -> str:
    """Full backend name from a full name or a short alias (``numpy``, ``mojo``)."""
    full = ALIASES.get(name, name)
    if full not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)} (or numpy, mojo)")
    return full


def get_backend(name: str) -> ExactBackend:
    """The backend called ``name``; raises :class:`BackendUnavailable` saying why and how to fix it."""
    full = resolve_name(name)
    if full not in _instances:
        _instances[full] = (
            numpy_reference.NumpyReferenceBackend()
            if full == NUMPY_REFERENCE_BACKEND
            else mojo_exact.MojoExactCpuBackend()
        )
    return _instances[full]


def available_backends() -> dict[str, tuple[bool, str]]:
    """Every backend with (available, one-line reason)."""
    return {
        NUMPY_REFERENCE_BACKEND: (True, "NumPy reference (always available)"),
        MOJO_EXACT_CPU_BACKEND: mojo_exact.status(),
    }


def fastest_backend(dim: int = 128) -> str:
    """The Mojo exact backend where it is built and the vectors are 128-d (the same scores, several
    times faster), else the NumPy reference."""
    mojo_ok = available_backends()[MOJO_EXACT_CPU_BACKEND][0]
    return MOJO_EXACT_CPU_BACKEND if mojo_ok and dim == 128 else NUMPY_REFERENCE_BACKEND


__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "ExactBackend",
    "MOJO_EXACT_CPU_BACKEND",
    "NUMPY_REFERENCE_BACKEND",
    "available_backends",
    "fastest_backend",
    "get_backend",
    "resolve_name",
]

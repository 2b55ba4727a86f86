"""ctypes front end for the exact MaxSim kernels in mojo_kernels/maxsim.mojo.

The kernels live in ``_native/libkayak_maxsim.so`` (built by
``python mojo_kernels/build.py``), a plain C-ABI library that depends only on libc.
It holds two variants of each kernel: ``*_native`` (built for the set-up
machine's CPU, AVX-512 on Zen 4) and ``*_v3`` (x86-64-v3: AVX2 + FMA + F16C).
The variant is chosen once, at load time, from the CPU flags;
``KAYAK_MAXSIM_VARIANT=v3|native`` forces one and ``KAYAK_MAXSIM_LIB`` points
at another library file.

Only stdlib + numpy here (this module sits in the Qt-free, torch-free core).
ctypes releases the GIL for each native call, so rows are scored on a thread
pool.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .kernel_inputs import DIM, MAX_QUERY_VECTORS, checked_candidates

if TYPE_CHECKING:
    from ctypes import _NamedFuncPointer  # typeshed's name for a function of a CDLL (no public one)

    from ..packed import StoredVectors

__all__ = ["KernelUnavailable", "kernel_status", "maxsim_scores", "nearest_centroids", "DIM", "MAX_QUERY_VECTORS"]

ABI_VERSION = 4
# Smallest chunk worth a thread of its own, in (kept doc tokens x query vectors):
# 32 passages x 128 tokens x 32 query vectors, so a batch of 64 such passages is split.
MIN_CHUNK_WORK = 32 * 128 * 32

_LIB_NAME = "libkayak_maxsim.so"
_DEFAULT_LIB = Path(__file__).resolve().parent / "_native" / _LIB_NAME
_BUILD_HINT = "build it with `python mojo_kernels/build.py` (the project's set-up runs it)"

# Flags each variant needs at run time.
_V3_FLAGS = {"avx", "avx2", "fma", "f16c", "bmi1", "bmi2"}
_V4_FLAGS = _V3_FLAGS | {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}

_ERRORS = {
    -1: "query length outside 1..64",
    -2: "a row index is out of range",
    -3: "a passage span lies outside the vectors array",
    -4: "a centroid code lies outside the centroid table",
    -5: "residuals of other than 2 or 4 bits",
    -6: "coded rows too short for their code and residual",
}


class KernelUnavailable(RuntimeError):
    """The native MaxSim library cannot be used (not built, wrong CPU, ...)."""


class _MaxSimFn(Protocol):
    """``kayak_maxsim_{f32,f16}_<variant>``: addresses and counts in (argmax address or ``None``), 0 or
    a negative error code (:data:`_ERRORS`) out."""

    def __call__(
        self,
        q: int,
        nq: int,
        vec: int,
        n_vec: int,
        starts: int,
        lengths: int,
        n_pass: int,
        rows: int,
        m: int,
        doc_budget: int,
        out_scores: int,
        out_argmax: int | None,
        /,
    ) -> int: ...


class _NearestFn(Protocol):
    """``kayak_nearest_f32_<variant>``: vectors, their count, centroids, their count, the int32 codes out."""

    def __call__(self, x: int, n: int, centroids: int, k: int, out_codes: int, /) -> int: ...


class _Kernel:
    def __init__(
        self,
        lib: ctypes.CDLL,
        path: Path,
        variant: str,
        f32: _MaxSimFn,
        f16: _MaxSimFn,
        nearest: _NearestFn,
        simd_bits: int,
    ):
        self.lib, self.path, self.variant, self.simd_bits = lib, path, variant, simd_bits
        self.fns: dict[np.dtype[np.float16 | np.float32], _MaxSimFn] = {
            np.dtype(np.float32): f32,
            np.dtype(np.float16): f16,
        }
        self.nearest = nearest

    def describe(self) -> str:
        isa = "avx512" if self.simd_bits == 512 else "avx2"
        return f"{self.path.name} ({isa} {self.variant} variant)"


_lock = threading.Lock()
_kernel: _Kernel | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _cpu_flags() -> set[str] | None:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    feats = _numpy_cpu_features()  # fallback: numpy's own run-time detection
    if feats is None:
        return None
    names = {
        "AVX": "avx",
        "AVX2": "avx2",
        "FMA3": "fma",
        "F16C": "f16c",
        "AVX512F": "avx512f",
        "AVX512BW": "avx512bw",
        "AVX512DQ": "avx512dq",
        "AVX512VL": "avx512vl",
        "AVX512CD": "avx512cd",
    }
    flags = {v for k, v in names.items() if feats.get(k)}
    return flags | {"bmi1", "bmi2"} if "avx2" in flags else flags


def _numpy_cpu_features() -> dict[str, bool] | None:
    """NumPy's ``__cpu_features__`` (feature name → present), from ``numpy._core`` (NumPy 2) or
    ``numpy.core`` (NumPy 1); ``None`` when neither has it."""
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            feats: dict[str, bool] = importlib.import_module(module).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return feats
    return None


def _bind(lib: ctypes.CDLL, name: str) -> _MaxSimFn:
    fn: _NamedFuncPointer = getattr(lib, name)
    fn.restype = ctypes.c_int64
    # q, nq, vec, n_vec, starts, lengths, n_pass, rows, m, doc_budget, out_scores, out_argmax (or NULL)
    fn.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
    fn.argtypes += [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
    return fn


def _load() -> _Kernel:
    global _kernel
    if _kernel is not None:
        return _kernel
    with _lock:
        if _kernel is not None:
            return _kernel
        path = Path(os.environ.get("KAYAK_MAXSIM_LIB") or _DEFAULT_LIB)
        if not path.is_file():
            raise KernelUnavailable(f"MaxSim kernel library not found at {path}; {_BUILD_HINT}")
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise KernelUnavailable(f"cannot load {path}: {exc}; {_BUILD_HINT}") from exc

        flags = _cpu_flags()
        forced = os.environ.get("KAYAK_MAXSIM_VARIANT", "").strip().lower()
        if forced not in ("", "native", "v3"):
            raise KernelUnavailable(f"KAYAK_MAXSIM_VARIANT={forced!r} is not one of 'native', 'v3'")
        has_native = hasattr(lib, "kayak_maxsim_info_native")
        if forced:
            variant = forced
        else:
            variant = "native" if has_native and flags is not None and _V4_FLAGS <= flags else "v3"
        if not hasattr(lib, f"kayak_maxsim_info_{variant}"):
            raise KernelUnavailable(f"{path.name} has no {variant} variant; {_BUILD_HINT}")

        info_fn = getattr(lib, f"kayak_maxsim_info_{variant}")
        info_fn.restype, info_fn.argtypes = ctypes.c_int64, []
        info = int(info_fn())
        if info // 1000 != ABI_VERSION:
            raise KernelUnavailable(
                f"{path.name} has ABI version {info // 1000}, expected {ABI_VERSION}; rebuild: {_BUILD_HINT}"
            )
        simd_bits = info % 1000
        need = _V4_FLAGS if simd_bits == 512 else _V3_FLAGS
        if flags is not None and not need <= flags:
            missing = " ".join(sorted(need - flags))
            raise KernelUnavailable(f"this CPU lacks {missing} needed by the {variant} variant of {path.name}")
        nearest: _NamedFuncPointer = getattr(lib, f"kayak_nearest_f32_{variant}")
        nearest.restype = ctypes.c_int64
        nearest.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
        _kernel = _Kernel(
            lib,
            path,
            variant,
            _bind(lib, f"kayak_maxsim_f32_{variant}"),
            _bind(lib, f"kayak_maxsim_f16_{variant}"),
            nearest,
            simd_bits,
        )
        return _kernel


_functions: dict[tuple[str, str], Any] = {}


def kernel_function(name: str, argtypes: list[Any]) -> Any:
    """``<name>_<variant>`` of the loaded library (int64 result, ``argtypes``), bound once per variant."""
    kern = _load()
    key = (name, kern.variant)
    if key not in _functions:
        fn = getattr(kern.lib, f"{name}_{kern.variant}")
        fn.restype = ctypes.c_int64
        fn.argtypes = argtypes
        _functions[key] = fn
    return _functions[key]


def kernel_status() -> tuple[bool, str]:
    """(available, one-line description or reason it is not)."""
    try:
        return True, _load().describe()
    except KernelUnavailable as exc:
        return False, str(exc)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            old = _pool
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kayak-maxsim")
            _pool_size = workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def maxsim_scores(
    query: NDArray[np.floating[Any]],
    vectors: StoredVectors,
    starts: NDArray[np.integer[Any]],
    lengths: NDArray[np.integer[Any]],
    rows: NDArray[np.integer[Any]],
    doc_budget: int = 0,
    want_argmax: bool = False,
    threads: int | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.int32] | None]:
    """Exact MaxSim scores of candidate passages.

    score[r] = sum_i max_j <query[i], vectors[starts[p] + j]>, p = rows[r],
    j < lengths[p] (or < doc_budget when 0 < doc_budget < lengths[p]); fp32
    accumulation.  With want_argmax, also the int32 [m, nq] index (within the
    passage) of each query vector's best token, first one on ties.  A passage
    with no tokens scores 0.0 with argmax -1.

    threads: worker count (default: the CPUs this process may run on); batches
    too small to gain from a second thread run on the calling thread alone.
    Inputs are validated (ValueError) before any native code runs; `vectors`
    (possibly a memmap) is never copied.
    """
    kern = _load()
    if not isinstance(vectors, np.ndarray):
        raise ValueError("vectors must be a numpy array (or memmap)")
    if vectors.dtype not in kern.fns:
        raise ValueError(f"vectors must be float16 or float32, got {vectors.dtype}")
    if vectors.ndim != 2 or vectors.shape[1] != DIM:
        raise ValueError(f"vectors must have shape [T, {DIM}], got {vectors.shape}")
    if not (vectors.flags.c_contiguous and vectors.flags.aligned):
        raise ValueError("vectors must be C-contiguous and aligned (no copy is made)")
    n_vec = vectors.shape[0]
    q, starts, lengths, rows, budget, kept, scores, argmax = checked_candidates(
        query, starts, lengths, rows, doc_budget, want_argmax, n_vec
    )
    nq, n_pass = q.shape[0], starts.size
    threads = int(_cpu_count() if threads is None else threads)
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if rows.size == 0:
        return scores, argmax

    fn = kern.fns[vectors.dtype]

    def score(lo: int, hi: int) -> None:
        rc = fn(
            q.ctypes.data,
            nq,
            vectors.ctypes.data,
            n_vec,
            starts.ctypes.data,
            lengths.ctypes.data,
            n_pass,
            rows.ctypes.data + lo * rows.itemsize,
            hi - lo,
            budget,
            scores.ctypes.data + lo * 4,
            argmax.ctypes.data + lo * nq * 4 if argmax is not None else None,
        )
        if rc != 0:
            raise ValueError(f"MaxSim kernel rejected its input: {_ERRORS.get(rc, rc)}")

    run_split(score, kept, nq, threads)
    return scores, argmax


def run_split(score: Callable[[int, int], None], kept: NDArray[np.int64], nq: int, threads: int) -> None:
    """Call ``score(lo, hi)`` over candidate ranges covering ``0 … len(kept)``: one call when the work (kept
    tokens × query lanes) is too small to gain from a second thread, else up to ``threads`` ranges of equal
    work, the calling thread taking the first (the kernels release the GIL)."""
    m = int(kept.shape[0])
    work = np.cumsum(kept + 1)  # +1: a per-row cost even for tiny passages
    lanes = 8 if nq <= 8 else 16 if nq <= 16 else 32 if nq <= 32 else 64  # cost follows lanes
    n_chunks = min(threads, max(1, int(work[-1]) * lanes // MIN_CHUNK_WORK))
    if n_chunks == 1:
        score(0, m)
        return
    # Split by work (kept tokens), not by row count.
    cuts = np.searchsorted(work, work[-1] * np.arange(1, n_chunks) / n_chunks)
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, m}), m]
    pool = _executor(len(bounds) - 2)
    futures = [pool.submit(score, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    try:
        score(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()


def nearest_centroids(
    vectors: StoredVectors, centroids: NDArray[np.float32], threads: int | None = None
) -> NDArray[np.int32]:
    """Int32 index of the most similar row of ``centroids`` (float32 ``[k, 128]``) for every row of
    ``vectors`` (float32 ``[n, 128]``), first one on ties; the rows are split over ``threads`` workers."""
    kern = _load()
    x = np.asarray(vectors)
    c = np.ascontiguousarray(centroids, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != DIM or c.ndim != 2 or c.shape[1] != DIM:
        raise ValueError(f"vectors and centroids must both be [*, {DIM}], got {x.shape} and {c.shape}")
    if c.shape[0] < 1:
        raise ValueError("at least one centroid is needed")
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    codes = np.empty(n, dtype=np.int32)
    workers = max(1, min(int(threads or _cpu_count()), n // 1024 or 1))
    bounds = [int(b) for b in np.linspace(0, n, workers + 1)]

    def run(lo: int, hi: int) -> None:
        rc = kern.nearest(x.ctypes.data + lo * DIM * 4, hi - lo, c.ctypes.data, c.shape[0], codes.ctypes.data + lo * 4)
        if rc != 0:
            raise ValueError(f"nearest-centroid kernel rejected its input: {_ERRORS.get(rc, rc)}")

    pool = _executor(workers)
    futures = [pool.submit(run, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    try:
        run(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()
    return codes

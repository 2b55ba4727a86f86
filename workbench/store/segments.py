"""Vector segments: append-only ``.npy`` files of token vectors, read by memory map.

A segment holds its tokens as float16 vectors (``seg-<id>.npy``, the exact tier) or, in a compact index,
as coded rows (``seg-<id>.c4.npy`` / ``.c2.npy``: uint8 ``[n, 4 + dim·bits/8]``, each row a token's int32
centroid code then its packed residual; :func:`~workbench.core.residuals.coded_rows`).

A segment is written under a temporary name, flushed to disk and renamed into place; only then does the
catalog reference it (in a committed transaction). A file the catalog does not reference is ignored by
readers and removed by the next writer. Names come from the catalog, so they are checked against the
pattern written here before they become paths (:mod:`.paths`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.residual_vectors import ResidualVectors
from ..core.residuals import ResidualCodec
from ..platform.messages import first_line
from .files import fsync_dir, save_array
from .paths import is_regular_file, is_segment_name, remove_own_entries, segment_name

SEGMENT_DIR = "segments"
STORAGE_DTYPE = np.float16


class SegmentDamaged(ValueError):
    """A segment the catalog references cannot be read as recorded; the message says why in plain words."""


def write_segment(folder: Path, vectors: NDArray[np.floating[Any]]) -> str:
    """Write ``vectors`` ([n, dim]) as float16 durably into ``folder`` (an index folder already checked by
    :func:`~.paths.index_folder`); returns the new file's name (not yet referenced)."""
    name = f"seg-{uuid.uuid4().hex}.npy"
    save_array(folder / name, np.asarray(vectors, dtype=STORAGE_DTYPE), f"{vectors.shape[0]:,} token vectors")
    fsync_dir(folder)
    return name


def coded_bits(name: str) -> int:
    """The residual bits of a coded segment's rows (4 or 2, from its name), 0 for a float16 segment."""
    return int(name[-5]) if name.endswith((".c4.npy", ".c2.npy")) else 0


def row_width(name: str, dim: int) -> int:
    """Elements per token row of segment ``name``: ``dim`` float16 values, or 4 + dim·bits/8 coded bytes."""
    bits = coded_bits(name)
    return 4 + dim * bits // 8 if bits else dim


def write_coded_segment(folder: Path, rows: NDArray[np.uint8], nbits: int) -> str:
    """Write coded token ``rows`` (uint8 ``[n, 4 + dim·nbits/8]``) durably into ``folder``; returns the new
    file's name (``seg-<id>.c<nbits>.npy``, not yet referenced)."""
    name = f"seg-{uuid.uuid4().hex}.c{nbits}.npy"
    save_array(folder / name, np.ascontiguousarray(rows, dtype=np.uint8), f"{rows.shape[0]:,} coded token vectors")
    fsync_dir(folder)
    return name


def read_segment(
    folder: Path, name: str, n_vectors: int | None = None, dim: int | None = None
) -> NDArray[np.float16] | NDArray[np.uint8]:
    """Memory-map segment ``name`` read-only, checked against what the catalog recorded (``n_vectors``
    rows of ``dim``-d vectors: float16 ``[n, dim]``, or for a coded segment uint8 ``[n, 4 + dim·bits/8]``).
    Raises :class:`SegmentDamaged` for a file that is missing, empty, truncated, not a regular file or of
    another shape or dtype, and :class:`~.errors.UnsafeIndexError` for a name this program does not write."""
    path = folder / segment_name(name)
    if not is_regular_file(path):
        raise SegmentDamaged(
            f"vector segment {name} is missing"
            if not path.exists() and not path.is_symlink()
            else f"vector segment {name} is not a regular file"
        )
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise SegmentDamaged(f"vector segment {name} is missing") from None
    except (OSError, ValueError, EOFError) as exc:
        empty = path.stat().st_size == 0 if path.exists() else False
        raise SegmentDamaged(
            f"vector segment {name} " + ("is empty (0 bytes)" if empty else f"cannot be read ({first_line(exc)})")
        ) from None
    dtype = np.dtype(np.uint8) if coded_bits(name) else np.dtype(STORAGE_DTYPE)
    if arr.ndim != 2 or arr.dtype != dtype:
        raise SegmentDamaged(
            f"vector segment {name} has shape {arr.shape} and dtype {arr.dtype}; expected [n, width] {dtype.name}"
        )
    width = row_width(name, dim) if dim is not None else None
    if (n_vectors is not None and arr.shape[0] != n_vectors) or (width is not None and arr.shape[1] != width):
        raise SegmentDamaged(
            f"vector segment {name} holds {arr.shape[0]} rows of {arr.shape[1]}; "
            f"the catalog recorded {n_vectors} rows of {width}"
        )
    checked: NDArray[np.float16] | NDArray[np.uint8] = arr  # np.load is typed Any; its dtype was checked above
    return checked


def remove_unreferenced(folder: Path, referenced: set[str]) -> list[str]:
    """Delete segment files (and temporaries) the catalog does not reference. Writers only; names of
    any other shape are left alone."""
    return remove_own_entries(folder, is_segment_name, keep=referenced)


def readable_segment(
    array: NDArray[np.float16] | NDArray[np.uint8],
    name: str,
    coding: tuple[NDArray[np.float32], ResidualCodec] | None,
) -> NDArray[np.float16] | ResidualVectors:
    """A segment as the search reads it: float16 vectors as they are; coded rows as the vectors they decode
    to (:class:`SegmentDamaged` when the centroid table or codec they need is missing). Codes are not
    read here — that would read every row of the file on each open: the writer that lists a segment
    checks its codes whole (:func:`~.segment_lists.write_lists`), and every reader checks
    the rows it decodes or scores (a code outside the table is refused, never read past)."""
    if not coded_bits(name):
        return array  # type: ignore[return-value]  # read_segment checked its dtype from the name
    if coding is None or coding[1].nbits != coded_bits(name):
        raise SegmentDamaged(
            f"vector segment {name} cannot be decoded: the centroid table and codec its codes refer to "
            "are missing or damaged"
        )
    return ResidualVectors(array, *coding)  # type: ignore[arg-type]


def map_segment(folder: Path | None, name: str, size: int, dim: int) -> NDArray[np.float16] | NDArray[np.uint8]:
    """:func:`read_segment`, where a missing ``segments/`` folder is a missing segment too."""
    if folder is None:
        raise SegmentDamaged(f"vector segment {name} is missing (no segments folder)")
    return read_segment(folder, name, size, dim)

"""Token centroids kept with the index: trained once, grown by assignment, retrained on drift.

Layout inside the index folder::

    centroids/<version>/centroids.npy      float32 [K, dim]
    centroids/<version>/meta.json          training facts and what was added since
    centroids/<version>/codec.npy          float32 residual bucket cut-offs, values, per-dimension shifts, scales
    centroids/<version>/codes-<segment>    int32 [n_vectors of that segment], one file per segment
    centroids/<version>/residuals-<segment> uint8 [n_vectors, dim·bits/8], 2-bit residuals
    centroids/<version>/lists-<segment>     int32, the segment's inverted lists (:mod:`.segment_lists`)

The catalog's manifest names the current version (``centroid_version``); a new version is written
whole in its own folder and becomes current in one committed transaction, so a reader sees either the
old set or the new one. Codes of a segment are derived data: a segment without its codes file (a writer
killed in between) is coded again on open. So are its inverted lists, written once per segment by the
writer that writes or codes it (a merge joins its old segments' lists); opening the index joins them,
dropping tombstoned passages, and lists a segment without them in memory.

Growth: a new segment is coded against the current centroids (no retraining), and the mean cosine of
its vectors to their centroids is recorded. :meth:`CentroidStore.needs_training` says when to retrain:
no centroids yet, the collection has grown fourfold since training (the 4·√T rule then asks for
twice the centroids), or new vectors sit clearly farther from their centroids than the training vectors did.

Everything here is derived from the segments, so anything unexpected — a version name this program
does not write, a linked folder, a file of the wrong shape, codes outside ``[0, K)``, a ``meta.json``
with missing or non-numeric fields — makes the files count as absent: searches build what they need in
memory (and :meth:`CentroidStore.problem` says why), and the next writer trains a new version. No path
outside ``centroids/`` is ever formed, and a link is removed, never followed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

from ..core.centroids import (
    CentroidIndex,
    assign,
    default_centroid_count,
    sample_token_rows,
    train_centroids,
)
from ..core.layouts import LateIndex
from ..core.residuals import BITS, ResidualCodec, ResidualIndex, row_codes
from ..platform.faults import fault_point
from .centroid_arrays import load_npy, segment_part
from .centroid_codes import CODE_CHUNK, mean_cosine, save_codes
from .centroid_meta import CentroidMeta, TrainingReason, read_meta
from .errors import UnsafeIndexError
from .files import fsync_dir, save_array, save_array_streaming, write_json
from .paths import index_folder, is_centroid_version, is_regular_file, is_segment_name, remove_own_entries
from .segment_lists import link_lists
from .segments import coded_bits

CENTROID_DIR = "centroids"
MANIFEST_KEY = "centroid_version"
DRIFT = 0.03  # retrain when new vectors' mean cosine to their centroid is this much lower
MIN_DRIFT_VECTORS = 2000  # … measured over this many new vectors (or a tenth of the training set)
GROWTH = 4  # retrain once the collection is 4× what the centroids were trained on (√: 2× K)
RESIDUAL_BITS = 2  # 32 bytes per 128-d token beside its 4-byte code (float16: 256)
POINTS_PER_CENTROID = 32  # k-means training sample per centroid (as build_centroid_index)
HELD_OUT = 1 << 14  # vectors kept out of k-means: the residual codec and the mean cosine use them
FIRST_TRAINING = TrainingReason("first", "no centroids yet")
MAX_CENTROIDS_KEY = "max_centroids"  # manifest: an upper bound on the 4·√T centroid count, if set

# ``pieces(i, j)``: for a merge's output passages ``i..j``, ``(old file, token rows in it)`` in output order.
Pieces: TypeAlias = Callable[[int, int], Iterator[tuple[str, NDArray[np.int64]]]]
_Scalar = TypeVar("_Scalar", bound=np.generic)


class CentroidStore:
    """The centroid versions of the index at ``root``; ``manifest_get``/``manifest_set`` read and write
    the catalog's manifest (where the current version is named)."""

    def __init__(
        self, root: Path, manifest_get: Callable[[str], str | None], manifest_set: Callable[[str, str], None]
    ) -> None:
        self.root = root
        self.folder = root / CENTROID_DIR
        self._get, self._set = manifest_get, manifest_set

    @property
    def version(self) -> str | None:
        """The current version's name, when the manifest names one this program writes and its folder is
        a real folder inside ``centroids/`` holding ``centroids.npy``; else ``None``."""
        return None if self.problem() else self._get(MANIFEST_KEY)

    def problem(self) -> str | None:
        """Why the stored centroids are not used although the manifest names a version (``None`` when they
        are used, or none was ever trained)."""
        v = self._get(MANIFEST_KEY)
        if not v:
            return None
        if not is_centroid_version(v):
            return f"the manifest names centroid version {v!r}, which is not a name this program writes"
        try:
            folder = index_folder(self.root, CENTROID_DIR)
            version_dir = index_folder(folder, v) if folder is not None else None
        except UnsafeIndexError as exc:
            return str(exc)
        if version_dir is None or not is_regular_file(version_dir / "centroids.npy"):
            return f"the centroid files of version {v} are missing"
        if not self._read_meta(v):
            return f"the centroid facts of version {v} (meta.json) are missing or damaged"
        return None

    def meta(self) -> CentroidMeta:
        """Training facts of the current version (``{}`` when there is none)."""
        v = self.version
        return self._read_meta(v) if v else {}

    def _read_meta(self, version: str) -> CentroidMeta:
        """``meta.json`` of ``version``; ``{}`` when unreadable or holding other than what :meth:`train` writes."""
        return read_meta(self.folder / version / "meta.json")

    # -- reading ---------------------------------------------------------------------------------
    def read_centroids(self, version: str, dim: int) -> NDArray[np.float32] | None:
        c = load_npy(self.folder / version / "centroids.npy")
        ok = (
            c is not None
            and c.dtype == np.float32
            and c.ndim == 2
            and c.shape[0] >= 1
            and c.shape[1] == dim
            and bool(np.isfinite(c).all())
        )
        return c if ok else None

    def read_codec(self, version: str) -> ResidualCodec | None:
        """The residual codec (``codec.npy``: :meth:`~workbench.core.residuals.ResidualCodec.table`'s layout)."""
        meta = self.meta()
        nbits, dim = meta.get("residual_bits"), meta.get("dim")
        values = load_npy(self.folder / version / "codec.npy")
        if nbits is None or nbits not in BITS or dim is None or values is None or values.dtype != np.float32:
            return None
        try:
            return ResidualCodec.from_table(nbits, values, dim)
        except ValueError:
            return None

    def read_part(
        self, version: str, kind: str, segment: str, shape: tuple[int, ...], dtype: type[_Scalar], n_centroids: int = 0
    ) -> NDArray[_Scalar] | None:
        """A segment's ``codes`` or ``residuals`` file, memory-mapped; ``None`` if absent or not as expected
        (codes must lie in ``[0, n_centroids)``: one outside would index past the centroid table)."""
        if not is_segment_name(segment):
            return None
        a = load_npy(self.folder / version / f"{kind}-{segment}", mmap_mode="r")
        if a is None or a.dtype != dtype or a.shape != shape:
            return None
        if kind == "codes" and a.size and (int(a.min()) < 0 or int(a.max()) >= n_centroids):
            return None
        return a

    # -- writing (the caller holds the index's writer lock) -----------------------------------------
    def code_new_segments(self, segments: list[tuple[str, NDArray[np.float16]]]) -> None:
        """Code (and compress) every segment that has no codes yet, against the current centroids, a
        bounded chunk at a time; record how close its vectors sit to their centroids (the drift measure)."""
        v = self.version
        if not v or not segments:
            return
        centroids = self.read_centroids(v, segments[0][1].shape[1])
        if centroids is None:
            return
        codec, meta = self.read_codec(v), self.meta()
        if not meta:
            return  # damaged meta: needs_training says so and a new version is trained
        for name, vectors in segments:
            size = int(vectors.shape[0])
            if self.read_part(v, "codes", name, (size,), np.int32, centroids.shape[0]) is not None:
                continue
            cosine = save_codes(self.folder / v, name, vectors, centroids, codec, CODE_CHUNK)
            meta.setdefault("added", []).append([size, cosine])
        write_json(self.folder / v / "meta.json", meta)

    def note_added(self, size: int, cosine: float) -> None:
        """Record ``size`` vectors coded as written (a compact index) and their mean cosine: the drift measure."""
        v, meta = self.version, self.meta()
        if v and meta:
            meta.setdefault("added", []).append([size, cosine])
            write_json(self.folder / v / "meta.json", meta)

    def carry_codes(
        self,
        old_files: list[str],
        old_sizes: list[int],
        new_file: str,
        n_out: int,
        chunks: list[tuple[int, int]],
        pieces: Pieces,
    ) -> None:
        """After a merge: the new segment's codes and residuals are the old segments' own, gathered in
        the merge's order (``pieces(i, j)`` yields ``(old file, token rows)`` for output passages
        ``i..j``, over ``chunks``) a chunk at a time — nothing is recoded, nothing held whole in memory.
        A kind some old segment lacks is left out: the next open codes the new segment."""
        v = self.version
        meta = self.meta()
        if v is None or not meta:
            return
        codec = self.read_codec(v)
        # (kind, its shape for n vectors, its dtype)
        kinds: list[tuple[str, Callable[[int], tuple[int, ...]], type[np.integer[Any]]]] = [
            ("codes", lambda n: (n,), np.int32)
        ]
        if codec is not None:
            width = meta["dim"] * codec.nbits // 8
            kinds.insert(0, ("residuals", lambda n: (n, width), np.uint8))
        for kind, shape, dtype in kinds:
            found = {
                f: self.read_part(v, kind, f, shape(n), dtype, meta["n_centroids"])
                for f, n in zip(old_files, old_sizes)
            }
            parts = {f: p for f, p in found.items() if p is not None}
            if len(parts) < len(found):
                continue  # never written: the next open codes the new segment

            def fill(out: NDArray[np.integer[Any]], parts: dict[str, NDArray[np.integer[Any]]] = parts) -> None:
                pos = 0
                for i, j in chunks:
                    for f, idx in pieces(i, j):
                        out[pos : pos + idx.shape[0]] = parts[f][idx]
                        pos += idx.shape[0]

            save_array_streaming(
                self.folder / v / f"{kind}-{new_file}",
                shape(n_out),
                dtype,
                fill,
                f"the centroid {kind} of a merged segment",
            )

    def lists_folder(self) -> tuple[Path, int] | None:
        """The current version's folder and centroid count, where its segments' inverted lists are kept
        (:mod:`.segment_lists`); ``None`` with no usable version."""
        v, meta = self.version, self.meta()
        return (self.folder / v, int(meta["n_centroids"])) if v and meta else None

    def segment_codes(self, segment: str, array: NDArray[np.float16] | NDArray[np.uint8]) -> NDArray[np.int32] | None:
        """A segment's token codes under the current version: a coded segment's own (a view of its rows),
        a float16 segment's ``codes-`` file; ``None`` when it has none yet."""
        if coded_bits(segment):
            return row_codes(array)  # type: ignore[arg-type]  # coded_bits: uint8 coded rows
        v, meta = self.version, self.meta()
        if not v or not meta:
            return None
        return self.read_part(v, "codes", segment, (int(array.shape[0]),), np.int32, meta["n_centroids"])

    def needs_training(self, n_live_vectors: int, dim: int = 128) -> TrainingReason | None:
        """Why the centroids should be (re)trained now, or ``None``."""
        if n_live_vectors == 0:
            return None
        problem = self.problem()
        version = None if problem else self._get(MANIFEST_KEY)
        if version is None:
            return TrainingReason("damaged", f"{problem}; training a new set") if problem else FIRST_TRAINING
        meta = self._read_meta(version)
        if not meta or self.read_centroids(version, dim) is None:
            return TrainingReason("damaged", "the centroid files are damaged; training a new set")
        if n_live_vectors >= GROWTH * meta["trained_vectors"]:
            grew = f"the collection grew to {n_live_vectors:,} token vectors; {meta['n_centroids']:,} centroids"
            return TrainingReason("grown", f"{grew} were trained for {meta['trained_vectors']:,}")
        added = np.array(meta.get("added", []), dtype=np.float64).reshape(-1, 2)
        n_added = added[:, 0].sum()
        if n_added >= min(MIN_DRIFT_VECTORS, max(1, meta["trained_vectors"] // 10)):
            cos = float((added[:, 0] * added[:, 1]).sum() / n_added)
            if meta["mean_cosine"] - cos > DRIFT:
                return TrainingReason(
                    "drift",
                    f"new vectors sit farther from their centroids (mean cosine {cos:.3f} vs "
                    f"{meta['mean_cosine']:.3f} at training)",
                )
        return None

    def planned_count(self, n_live_vectors: int) -> int:
        """Centroids a training on ``n_live_vectors`` token vectors makes: 4·√T, capped by ``max_centroids``."""
        k = default_centroid_count(n_live_vectors)
        cap = self._get(MAX_CENTROIDS_KEY)
        return min(k, int(cap)) if cap and cap.isdigit() and int(cap) > 0 else k

    def train(
        self,
        index: LateIndex,
        segment_files: list[str],
        segment_sizes: list[int],
        nbits: int = RESIDUAL_BITS,
        keep: tuple[NDArray[np.float32], ResidualCodec] | None = None,
        code_segments: bool = True,
    ) -> None:
        """Train a new centroid set and make it current: spherical k-means on a sample of the live token vectors
        (``POINTS_PER_CENTROID`` per centroid, :func:`~workbench.core.centroids.sample_token_rows`), an
        ``nbits`` residual codec fitted on a sample's residuals, then every segment (packed in ``index`` in
        ``segment_files`` order) coded a bounded chunk at a time into its files (not with ``code_segments``
        false: a conversion codes them into coded segments next). The working set is the sample (≤ 512 MiB at
        the largest centroid count) and one chunk, whatever the index's size. ``keep``: a compact index's
        centroids and codec, which its coded segments refer to, kept as they are: new centroids are added
        around them (:func:`train_centroids` with ``fixed``), and no segment is coded."""
        n_live = int(index.lengths.sum())
        k = self.planned_count(n_live)
        if keep is not None:  # a compact index's table grows by at least a quarter (drift), within the cap
            kept = int(keep[0].shape[0])
            k = max(kept, min(max(k, kept * 5 // 4), self.planned_count(1 << 62)))
        # Held-out vectors, not trained on, give the codec and the mean cosine: measured on the training
        # sample itself the cosine is optimistic, and every later ingest would look like drift.
        rows = sample_token_rows(index.starts, index.lengths, POINTS_PER_CENTROID * k + HELD_OUT)
        rows = rows[np.random.default_rng(1).permutation(rows.shape[0])]
        held = min(HELD_OUT, max(rows.shape[0] - POINTS_PER_CENTROID * k, rows.shape[0] // 4))
        train_rows = np.sort(rows[held:])
        fit_rows = np.sort(rows[:held]) if held else train_rows
        sample = np.asarray(index.vectors[train_rows], dtype=np.float32)
        centroids = train_centroids(sample, k, fixed=None if keep is None else keep[0])
        fit = np.asarray(index.vectors[fit_rows], dtype=np.float32)
        fit_codes = assign(fit, centroids)
        codec = ResidualCodec.fit(fit - centroids[fit_codes], nbits) if keep is None else keep[1]
        meta: CentroidMeta = {
            "n_centroids": int(centroids.shape[0]),
            "trained_vectors": n_live,
            "dim": index.dim,
            "residual_bits": codec.nbits,
            "mean_cosine": mean_cosine(fit, centroids, fit_codes),
            "added": [],
        }
        version = f"v-{uuid.uuid4().hex[:12]}"
        folder = self._writable_folder()
        tmp = folder / f".tmp-{version}"
        tmp.mkdir()
        save_array(tmp / "centroids.npy", centroids)
        save_array(tmp / "codec.npy", codec.table())
        base = 0
        for name, size in zip(segment_files, segment_sizes):
            if keep is None and code_segments:
                save_codes(tmp, name, index.vectors[base : base + size], centroids, codec, CODE_CHUNK)
            base += size
        lists = self.lists_folder()
        if keep is not None and lists is not None:  # codes kept, so lists kept (the new centroids' are empty)
            link_lists(lists[0], tmp, segment_files)
        write_json(tmp / "meta.json", meta)
        fsync_dir(tmp)
        os.replace(tmp, folder / version)
        fsync_dir(folder)
        fault_point("centroids.version-written")
        self._set(MANIFEST_KEY, version)
        fault_point("centroids.manifest-set")
        self.remove_unreferenced(set(segment_files))

    def coding(self, dim: int) -> tuple[NDArray[np.float32], ResidualCodec] | None:
        """The current version's centroids (float32 ``[K, dim]``) and residual codec — what a compact index's
        coded segments are decoded with — or ``None`` when either is missing or damaged."""
        v = self.version
        centroids = self.read_centroids(v, dim) if v else None
        codec = self.read_codec(v) if v else None
        return (centroids, codec) if centroids is not None and codec is not None else None

    def remove_unreferenced(self, segment_files: set[str]) -> None:
        """Delete centroid versions the manifest does not name (and temporaries), and codes of
        segments that no longer exist. Writers only (readers may still map an old version's files,
        which Linux keeps alive for them). Only names of this program's own shape are touched; a
        link in place of ``centroids/`` is removed (the link, not what it points to)."""
        if self.folder.is_symlink():
            self.folder.unlink()
            return
        if not self.folder.is_dir():
            return
        current = self.version
        remove_own_entries(self.folder, is_centroid_version, keep={current} if current else set())
        if current:
            remove_own_entries(
                self.folder / current,
                lambda name: segment_part(name) is not None and segment_part(name) not in segment_files,
            )

    def remove_segment_parts(self, segment_files: set[str]) -> None:
        """Delete the current version's codes and residuals of ``segment_files`` (segments merged away)."""
        current = self.version
        if current and segment_files:
            remove_own_entries(
                self.folder / current, lambda name: segment_part(name) in segment_files, temporaries=False
            )

    def _writable_folder(self) -> Path:
        """``centroids/`` as a real folder (a link in its place is removed first)."""
        if self.folder.is_symlink():
            self.folder.unlink()
        return index_folder(self.root, CENTROID_DIR, create=True)

    def bytes_per_token(self, ci: CentroidIndex | None, ri: ResidualIndex | None, n_vectors: int) -> dict[str, float]:
        """Stage-1 storage per live token vector: its code, its list entries, its share of the centroid
        table, and its compressed residual."""
        if ci is None or n_vectors == 0:
            return {}
        out = {
            "centroid_code": 4.0,
            "inverted_lists": round(4 * ci.list_rows.shape[0] / n_vectors, 2),
            "centroid_table": round(ci.centroids.nbytes / n_vectors, 3),
        }
        if ri is not None:
            out[f"residual_{ri.codec.nbits}bit"] = float(ri.packed.shape[1])
        return out

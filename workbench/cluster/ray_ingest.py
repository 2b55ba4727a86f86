"""Distributed ingest on Ray: files parsed and encoded by a pool of actors, one encoder each, loaded once.

The driver (the process running ``workbench ingest --ray``) finds the files, decides which need encoding
and stays the index's one writer. It reads each such file and sends its bytes to a worker — on any node,
no shared file system needed — and commits what comes back in the same crash-safe batches as a local
ingest (:meth:`workbench.collection.Collection.iter_ingest`). Each worker parses and encodes with
:func:`workbench.file_encoding.iter_encode_file`, the function a local ingest runs, so the passages are
the same.

Every worker shows the encoder it loaded (identity and weights checksum) and its workbench version
before it gets a file, and with every file it returns; one that differs from the index's manifest (or
from the driver's version) is refused. A worker that is lost (its process or node died) is replaced by
a fresh actor, at most ``REPLACEMENTS`` times per slot; its files are sent again, at most ``ATTEMPTS``
times each, after which the file is reported as failed and the rest carry on. Closing the generator
(Ctrl+C) kills the actors; what was committed stays.

Ray moves data between its processes with pickle, and a Ray cluster runs the code it is sent: connecting
to one trusts it as fully as logging in to its machines. Name only clusters you run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..collection.file_encoding import EncoderSpec, EncodingProgress, FileOutcome, FileToEncode, unexpected_error
from ..collection.ingest_times import IngestTimes
from ..ingest import IngestError
from ..ingest.files import open_regular
from ..platform.messages import first_line
from . import require

ATTEMPTS = 3  # sends of one file before it is reported as failed (its workers kept dying)
REPLACEMENTS = 3  # fresh actors per worker slot after the one before was lost
IN_FLIGHT = 2  # files per worker at once: one being encoded, the next one's bytes already there
START_TIMEOUT_S = 600.0  # no worker ready by then: the cluster has no room (or cannot load the model)
WAIT_S = 1.0  # the driver looks at start deadlines this often while it waits for results


@dataclass(frozen=True)
class WorkerInfo:
    """Who a worker is: where it runs, what it loaded (``failure``: why it could not load the encoder)."""

    host: str
    pid: int
    identity: str
    checksum: str
    version: str
    device: str
    failure: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host} (pid {self.pid})"


class FileEncoderActor:
    """One Ray worker: loads the index's encoder once, then parses and encodes files sent as bytes.

    Ray runs this class in a worker process (``ray.remote`` is applied by :class:`RayEncoding`, so this
    module imports without Ray)."""

    def __init__(self, spec: EncoderSpec, cpus: float, use_gpu: bool) -> None:
        self.spec = spec
        self.failure: str | None = None
        self.identity = self.checksum = ""
        self.device = "cuda" if use_gpu else "cpu"
        self.folder = Path(tempfile.mkdtemp(prefix="kayak-ray-"))
        try:
            import torch

            torch.set_num_threads(max(1, int(cpus)))  # the CPUs Ray reserved for this worker, not the node's
            from ..encode import Encoder

            self.encoder = Encoder(spec.model, trust_remote_code=spec.trust_remote_code, device=self.device)
            self.identity, self.checksum = self.encoder.identity, self.encoder.checksum
        except Exception as exc:  # noqa: BLE001 — told to the driver, which refuses this worker in words
            self.failure = first_line(exc, 200)

    def describe(self) -> WorkerInfo:
        return WorkerInfo(
            socket.gethostname(), os.getpid(), self.identity, self.checksum, __version__, self.device, self.failure
        )

    def encode(self, data: bytes, suffix: str, shown: str) -> tuple[FileOutcome, dict[str, float], str, str]:
        """Parse and encode one file's bytes (``suffix``: its type, ``.pdf`` …; ``shown``: its name on the
        driver, which replaces this worker's copy in error messages). Returns its outcome (with an empty
        :class:`FileToEncode`: the driver knows which file it sent), the seconds per phase, and the
        identity and checksum of the encoder that did it."""
        from ..collection.file_encoding import iter_encode_file
        from ..core.generators import run_to_end

        path = self.folder / f"document{suffix}"
        times = IngestTimes()
        outcome = FileOutcome(FileToEncode(path, "", b"", len(data), 0.0, ""))
        try:
            path.write_bytes(data)
            outcome.encoded = run_to_end(iter_encode_file(path, self.encoder, self.spec.ocr, times))
        except IngestError as exc:
            outcome.error = str(exc).replace(str(path), shown)
        except Exception as exc:  # noqa: BLE001 — a parser or model bug must not stop the other files
            outcome.error = unexpected_error(exc).replace(str(path), shown)
        finally:
            path.unlink(missing_ok=True)
        return outcome, times.seconds, self.identity, self.checksum


@dataclass
class _Slot:
    """A place for one worker: its actor, who it turned out to be, and the files it holds."""

    actor: object
    starting: object | None  # the ``describe`` call not answered yet
    started_at: float
    info: WorkerInfo | None = None
    load: int = 0
    replacements: int = 0
    closed: bool = False  # refused, or lost more often than it may be replaced

    @property
    def ready(self) -> bool:
        """Its actor was accepted and may take files."""
        return self.info is not None and not self.closed


class WorkersUnavailable(RuntimeError):
    """No Ray worker could take the files: all were refused, lost for good, or never started."""


class RayEncoding:
    """Parse and encode an ingest's files on Ray (the :class:`~workbench.file_encoding.FileEncoding` of a
    cluster). ``address``: as ``ray.init`` takes it — ``None`` joins the cluster this machine already
    runs (``RAY_ADDRESS``, or the last ``ray start``) or starts a local one, ``"auto"`` joins the running
    one or fails, ``"local"`` always starts a local one, ``"ray://host:10001"`` or ``"host:6379"`` a
    remote one. ``workers``: actors to start (default: the cluster's CPUs over ``cpus_per_worker``, or
    its GPUs over ``gpus_per_worker`` when that is set). A cluster this object started is shut down at
    the end; one it joined is left running."""

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float = 0.0,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("--workers must be at least 1")
        if cpus_per_worker <= 0 or gpus_per_worker < 0:
            raise ValueError("--cpus-per-worker must be above 0 and --gpus-per-worker at least 0")
        self.address, self.workers = address, workers
        self.cpus_per_worker, self.gpus_per_worker = cpus_per_worker, gpus_per_worker
        self.worker_infos: list[WorkerInfo] = []  # the workers that were accepted, in the order they started

    def run(self, items: Iterable[object], spec: EncoderSpec, times: IngestTimes) -> Iterator[object]:
        """See :class:`~workbench.file_encoding.FileEncoding`: outcomes come as workers finish. Ray is
        started (or joined) at the first file that needs encoding, so an ingest of unchanged files never
        touches it. Raises :class:`WorkersUnavailable` when no worker is left to take the files."""
        items = iter(items)
        for item in items:
            if isinstance(item, FileToEncode):
                break
            yield item
        else:
            return
        ray = require("ray", "distributed ingest (--ray)")
        joined = ray.is_initialized()
        if not joined:
            ray.init(
                address=self.address,
                logging_level=logging.ERROR,
                log_to_driver=False,
                **({"include_dashboard": False} if self.address in (None, "local") else {}),
            )
        slots: list[_Slot] = []
        try:
            slots = [_Slot(*self._spawn(ray, spec), time.monotonic()) for _ in range(self._worker_count(ray))]
            yield EncodingProgress("", f"starting {len(slots)} Ray workers (each loads the encoder once)", "workers")
            yield from self._dispatch(ray, slots, item, items, spec, times)
        finally:
            for slot in slots:
                ray.kill(slot.actor)  # a cancel stops the files in flight; their results are not wanted
            if not joined:
                ray.shutdown()

    # -- workers -----------------------------------------------------------------------------------
    def _worker_count(self, ray) -> int:
        if self.workers is not None:
            return self.workers
        resources = ray.cluster_resources()
        if self.gpus_per_worker:
            return max(1, int(resources.get("GPU", 0) // self.gpus_per_worker))
        return max(1, int(resources.get("CPU", 1) // self.cpus_per_worker))

    def _spawn(self, ray, spec: EncoderSpec) -> tuple[object, object]:
        """A new actor and its ``describe`` call (answered once it has loaded its encoder)."""
        remote = ray.remote(FileEncoderActor).options(
            num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker, max_restarts=0, max_task_retries=0
        )
        actor = remote.remote(spec, self.cpus_per_worker, self.gpus_per_worker > 0)
        return actor, actor.describe.remote()

    def _accept_worker(self, ray, slot: _Slot, spec: EncoderSpec) -> str:
        """Take ``slot``'s answer to ``describe``: ready, or refused (closed); the line that says which."""
        from ray.exceptions import RayError

        try:
            info = ray.get(slot.starting)
        except RayError as exc:
            slot.closed = True
            return f"a Ray worker could not start: {first_line(exc, 200)}"
        finally:
            slot.starting = None
        why = (
            f"it could not load the encoder: {info.failure}"
            if info.failure
            else f"it runs workbench {info.version}, this driver {__version__}"
            if info.version != __version__
            else spec.mismatch(info.identity, info.checksum)
        )
        if why:
            slot.closed = True
            ray.kill(slot.actor)
            return f"worker {info.where} refused: {why}"
        slot.info = info
        self.worker_infos.append(info)
        return f"worker {info.where} ready ({info.device}; encoder {info.identity}, checksum matches the index)"

    # -- files -------------------------------------------------------------------------------------
    def _dispatch(
        self,
        ray,
        slots: list[_Slot],
        first: FileToEncode,
        items: Iterator[object],
        spec: EncoderSpec,
        times: IngestTimes,
    ) -> Iterator[object]:
        from ray.exceptions import RayActorError, RayError

        queue: deque[tuple[FileToEncode, int]] = deque([(first, 1)])  # (file, which send this is)
        in_flight: dict[object, tuple[FileToEncode, int, _Slot, object]] = {}  # ref → (file, send, slot, actor)
        refusals: list[str] = []
        exhausted = False
        while True:
            # Fill every ready worker up to IN_FLIGHT: files sent again first, then new ones.
            while ready := [s for s in slots if s.ready and s.load < IN_FLIGHT]:
                if not queue:
                    item = None if exhausted else next(items, None)
                    if item is None:
                        exhausted = True
                        break
                    if not isinstance(item, FileToEncode):
                        yield item
                        continue
                    queue.append((item, 1))
                work, attempt = queue.popleft()
                try:
                    work, data = _read(work)
                except IngestError as exc:
                    yield FileOutcome(work, error=str(exc))
                    continue
                slot = min(ready, key=lambda s: s.load)
                in_flight[slot.actor.encode.remote(data, work.path.suffix.lower(), work.shown)] = (
                    work,
                    attempt,
                    slot,
                    slot.actor,
                )
                slot.load += 1
                yield EncodingProgress(work.shown, f"sent to worker {slot.info.where}")
            starting = {s.starting: s for s in slots if s.starting is not None}
            if not in_flight:
                if exhausted and not queue:
                    return
                if not starting and not any(s.ready for s in slots):
                    raise WorkersUnavailable(_no_workers(refusals))
            if (
                starting
                and not any(s.ready for s in slots)
                and all(time.monotonic() - s.started_at > START_TIMEOUT_S for s in starting.values())
            ):
                raise WorkersUnavailable(
                    f"no Ray worker started within {START_TIMEOUT_S:.0f} s: the cluster has no free "
                    f"{'GPU' if self.gpus_per_worker else 'CPU'} for one (see 'ray status'), or loading the "
                    "encoder hangs"
                )
            done, _ = ray.wait([*in_flight, *starting], num_returns=1, timeout=WAIT_S)
            if not done:
                continue
            ref = done[0]
            if ref in starting:
                line = self._accept_worker(ray, starting[ref], spec)
                if starting[ref].closed:
                    refusals.append(line)
                yield EncodingProgress("", line, "workers")
                continue
            work, attempt, slot, actor = in_flight.pop(ref)
            slot.load -= 1
            try:
                outcome, seconds, identity, checksum = ray.get(ref)
            except RayActorError as exc:
                if actor is slot.actor:  # the first of its files to come back: replace it (once)
                    yield from self._lost(ray, slot, spec, exc)
                if attempt < ATTEMPTS:
                    queue.appendleft((work, attempt + 1))
                    yield EncodingProgress(
                        work.shown, f"its worker was lost; sent again ({attempt + 1} of {ATTEMPTS})", "retrying"
                    )
                else:
                    yield FileOutcome(
                        work,
                        error=f"its Ray worker was lost each of the {ATTEMPTS} times it was sent "
                        "(the file may crash the parser or the encoder, or nodes left "
                        "the cluster)",
                    )
                continue
            except RayError as exc:
                yield FileOutcome(work, error=f"Ray could not run it: {first_line(exc, 200)}")
                continue
            if why := spec.mismatch(identity, checksum):  # cannot happen to a checked worker; never commit it
                slot.closed = True
                refusals.append(f"worker {slot.info.where} refused: {why}")
                yield EncodingProgress("", refusals[-1], "workers")
                queue.appendleft((work, attempt))
                continue
            for phase, s in seconds.items():
                times.seconds[phase] += s
            yield FileOutcome(work, outcome.encoded, outcome.error)

    def _lost(self, ray, slot: _Slot, spec: EncoderSpec, exc: Exception) -> Iterator[EncodingProgress]:
        """``slot``'s actor died: start a fresh one in its place while the slot has replacements left."""
        if slot.closed:
            return
        where = slot.info.where if slot.info is not None else "(starting)"
        if slot.replacements >= REPLACEMENTS:
            slot.closed = True
            yield EncodingProgress(
                "", f"worker {where} was lost ({first_line(exc, 200)}); not replaced again", "workers"
            )
            return
        slot.actor, slot.starting = self._spawn(ray, spec)
        slot.started_at, slot.info = time.monotonic(), None
        slot.replacements += 1
        yield EncodingProgress("", f"worker {where} was lost ({first_line(exc, 200)}); starting a fresh one", "workers")


def _read(work: FileToEncode) -> tuple[FileToEncode, bytes]:
    """The file's bytes, and ``work`` with the size and digest of exactly those bytes (the file may have
    changed since it was first looked at)."""
    with open_regular(work.path) as fh:
        data = fh.read()
    return replace(work, size=len(data), digest=hashlib.sha256(data).hexdigest()), data


def _no_workers(refusals: list[str]) -> str:
    why = "; ".join(refusals[:3]) if refusals else "every worker was lost more often than it may be replaced"
    return f"no Ray worker is left to take the files not indexed yet ({why}); what was committed is kept"

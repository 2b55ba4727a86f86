"""The job of Index ▸ New index… and Open index…: download the model with byte progress (cancel stops it
at its next chunk), then open or create the index and load its encoder, all off the UI thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from ..collection import Collection
from ..collection.index_folders import needs_creating
from ..collection.models import DEFAULT_MODEL, HUB_ID, DownloadCancelled, is_trusted, model_key, resolve_model
from ..collection.storage_tiers import DEFAULT_TIER
from .workers import CancelToken

POLL_S = 0.2  # how often a job waiting on a download looks at its cancel token


def download_steps(model: str, token: CancelToken) -> Iterator[tuple[str, str, int, int]]:
    """Fetch hub model ``model`` into the Hugging Face cache (a folder or a cached model: at once), yielding
    ``("download", model, bytes_done, bytes_total)`` as its files arrive. A cancelled ``token`` stops the
    download at its next chunk: :class:`~workbench.encode.encoder.DownloadCancelled` ("… download cancelled")
    is raised, like any other :class:`~workbench.encode.EncoderError` of the download.

    The download runs on a helper thread (huggingface_hub calls back from its own download threads); this
    generator turns those calls into yields and waits for the helper before it ends, so no thread outlives it.
    """
    steps: queue.SimpleQueue = queue.SimpleQueue()
    outcome: dict[str, BaseException] = {}

    def progress(done: int, total: int) -> None:
        if token.cancelled:
            raise DownloadCancelled("download cancelled")
        steps.put((done, total))

    def fetch() -> None:
        try:
            resolve_model(model, progress=progress)
        except BaseException as exc:  # handed to the generator, which raises it on the worker
            outcome["error"] = exc

    helper = threading.Thread(target=fetch, name=f"download {model}", daemon=True)
    helper.start()
    while helper.is_alive() or not steps.empty():
        try:
            done, total = steps.get(timeout=POLL_S)
        except queue.Empty:
            continue
        yield ("download", model, done, total)
    helper.join()
    if "error" in outcome:
        raise outcome["error"]


def open_index_steps(
    path: Path,
    model: str | None,
    token: CancelToken,
    encoder=None,
    create: bool = False,
    tier: str = DEFAULT_TIER,
    keep_exact: bool = False,
) -> Iterator[tuple]:
    """Open the index at ``path`` (``create``: make a new one there in storage ``tier`` — a compact one keeping its
    float16 vectors too with ``keep_exact`` — written with ``model``; else the index's
    own recorded model), downloading a hub model first with progress (:func:`download_steps`), then loading
    the encoder and the index off the UI thread. Yields ``("download", model, done, total)`` steps and one
    ``("loading", model)``; returns the :class:`Collection`, or ``None`` when ``token`` was cancelled.

    ``encoder``: an already loaded encoder to reuse when its model is the one needed. Raises what
    :meth:`Collection.open` raises: a folder that holds other files, one that is not an index (the store's
    own message), a model that cannot be had (one line) or may not run.
    """
    path = Path(path)
    if create:
        needs_creating(path)  # a folder with other files is refused before any download
        coll, wanted = None, model or DEFAULT_MODEL
    else:
        coll = Collection.open(path)  # the store's own refusal for a folder that is not an index
        wanted = coll.model
    same = encoder is not None and (
        encoder.model_ref == wanted if wanted == DEFAULT_MODEL else model_key(encoder.model_ref) == model_key(wanted)
    )
    encoder = encoder if same else None
    # A hub id an index recorded is fetched only once the user has named it (else opening says why, below).
    named = create or is_trusted(wanted)
    if encoder is None and HUB_ID.fullmatch(wanted) and not Path(wanted).expanduser().exists() and named:
        yield from download_steps(wanted, token)
    if token.cancelled:
        return None
    yield ("loading", wanted)
    if coll is None or encoder is not None:
        coll = Collection.open(
            path, model=model if create else None, create=create, encoder=encoder, tier=tier, keep_exact=keep_exact
        )
    coll.encoder  # noqa: B018 — load the model now, off the UI thread
    coll.late_index()
    return None if token.cancelled else coll

"""ColBERT-style encoding (a sentence-transformers 6 ``MultiVectorEncoder``) with token strings aligned to
vectors, and the encoder's identity.

``Encoder.encode_documents(texts)`` → per text a float32 ``[n_tokens, 128]`` array and its token strings;
``Encoder.encode_query(text)`` → a :class:`LateQuery`. ``identity`` and ``checksum`` go into an index's
manifest so an index is only ever searched with the weights that wrote it. On the CPU the forward pass runs
in ONNX Runtime where the model's export works (:mod:`.onnx_runtime`: the same vectors; 1.6× the passages/s
and a third of the query time of torch on two cores, docs/encoder.md), else in torch; ``runtime`` says
which, and does not change ``identity`` or ``checksum``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import string
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core import LateQuery
from .default_model import (
    DEFAULT_MODEL,
    DEFAULT_NAME,
    DEFAULT_SETTINGS,
    EncoderSettings,
    build_default_model,
)
from .model_trust import UntrustedModel, check_model_code
from .onnx_runtime import BATCH as ONNX_BATCH
from .onnx_runtime import OnnxRunner, start_onnx

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# A model hub id: owner/name (letters, digits, '-', '_', '.'), as Hugging Face spells them.
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
RUNTIMES = ("auto", "onnx", "torch")
# Weights in formats this app never loads: skipped when a hub model is downloaded.
SKIPPED_FILES = [
    "*.h5",
    "*.msgpack",
    "*.ot",
    "*.tflite",
    "*.onnx",
    "onnx/*",
    "openvino/*",
    "flax_model*",
    "tf_model*",
    "rust_model*",
    "*.gguf",
]


class EncoderError(RuntimeError):
    """The model could not be loaded or used; the message says which model and why."""


class DownloadCancelled(EncoderError):
    """The download of a hub model was stopped by its progress callback; finished files stay in the cache."""


# Progress: (bytes written so far, bytes known to be needed so far) of one model's download.
Progress = Callable[[int, int], None]
# snapshot_download (huggingface_hub 1.x) names its bar of bytes written to disk so; its other bars count
# network bytes without a total ("...transfer") and finished files (no name).
BYTES_BAR = "huggingface_hub.snapshot_download"


def _quiet_libraries() -> None:
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    for name in ("sentence_transformers", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _hub_failure(model: str, exc: Exception) -> EncoderError:
    """One line for a hub model that could not be had: offline, unreachable, unknown, gated, half downloaded."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        GatedRepoError,
        IncompleteSnapshotError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    offline = isinstance(exc, OfflineModeIsEnabled) or (
        isinstance(exc, LocalEntryNotFoundError) and constants.HF_HUB_OFFLINE
    )
    if isinstance(exc, IncompleteSnapshotError):
        why = (
            "only part of it is in the Hugging Face cache (a download that did not finish) and "
            + ("offline mode is on (HF_HUB_OFFLINE)" if offline else "the model hub is not reachable")
            + ": connect once to finish it"
        )
    elif offline:
        why = "offline mode is on (HF_HUB_OFFLINE) and the model is not in the Hugging Face cache"
    elif isinstance(exc, GatedRepoError):
        why = "the model hub says it is gated: accept its terms on huggingface.co and log in (hf auth login)"
    elif isinstance(exc, RepositoryNotFoundError):
        why = "the model hub has no such model (or it is private: log in with hf auth login)"
    elif isinstance(exc, LocalEntryNotFoundError):
        why = (
            "the model hub is not reachable and the model is not in the Hugging Face cache: connect once, "
            "or give a local folder"
        )
    else:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        why = f"the model hub did not answer: {first}"
    return EncoderError(f"could not load model {model!r}: {why}")


def has_weights(folder: Path) -> bool:
    """Whether ``folder`` (a model snapshot) holds weights (``*.safetensors`` or ``*.bin``) at any depth: a
    download stopped after the small files leaves a folder without them."""
    return any(p.suffix in (".safetensors", ".bin") for p in folder.rglob("*") if p.is_file())


class _DownloadMeter:
    """Counts the bytes ``snapshot_download`` writes and reports them to ``progress``, which may raise to stop
    the download: the exception is kept, and every later update by any download thread raises again, so
    each file in flight stops at its next chunk (its partial file is deleted by huggingface_hub).

    A file fetched by hf_xet reports from a thread of hf_xet's own, which (going by hf_xet 1.8's "Python
    exception updating progress" message) logs an exception raised there rather than stopping, so such a
    file may finish before the download stops; :func:`resolve_model` still reports the cancel then."""

    def __init__(self, progress: Progress) -> None:
        from huggingface_hub.utils import tqdm as hf_tqdm

        self.progress = progress
        self.stopped: BaseException | None = None
        self._lock = threading.Lock()
        self._byte_bars: list = []
        meter = self

        class Bar(hf_tqdm):  # the parts of tqdm snapshot_download drives, never drawn
            def __init__(self, *args, **kwargs) -> None:
                counts_bytes = kwargs.get("name") == BYTES_BAR
                kwargs["disable"] = True
                super().__init__(*args, **kwargs)
                self.n = kwargs.get("initial") or 0
                self.total = kwargs.get("total") or 0
                if counts_bytes:
                    meter._byte_bars.append(self)
                self._counts_bytes = counts_bytes

            def update(self, n: float | None = 1) -> bool | None:
                self.n += n or 0
                meter.report(self._counts_bytes)
                return None

            def refresh(self, *args, **kwargs) -> None:  # snapshot_download grows the total, then refreshes
                meter.report(self._counts_bytes)

        self.bar_class = Bar

    def report(self, counts_bytes: bool) -> None:
        """Hand the byte counts to the callback (under a lock: download threads call this concurrently)."""
        with self._lock:
            if self.stopped is not None:
                raise DownloadCancelled("download cancelled")
            if not counts_bytes:
                return
            done = int(sum(b.n for b in self._byte_bars))
            total = int(sum(b.total or 0 for b in self._byte_bars))
            if total == 0:
                return  # nothing to fetch yet (or at all: a cached snapshot)
            try:
                self.progress(done, max(done, total))
            except BaseException as exc:
                self.stopped = exc
                raise


def resolve_model(model: str, trust_remote_code: bool = False, progress: Progress | None = None) -> Path:
    """The local folder of ``model``: a folder as given, or a model hub id (``owner/name``) downloaded into
    the Hugging Face cache (with progress bars on stderr, or reported to ``progress``), or taken from the
    cache when the hub is not reachable. Before any weights, the small files that choose code are fetched
    and checked (see :mod:`.model_trust`) unless ``trust_remote_code``.

    ``progress(done, total)``: bytes of this model written to the cache so far and bytes known to be needed
    so far (the total grows as files start; a model already cached reports nothing). It is called from
    download threads; it may raise to stop the download, which then raises :class:`DownloadCancelled`. A
    stopped download leaves only whole files in the cache, and a snapshot that lacks files is never taken
    for a complete one (huggingface_hub checks the cached file listing; a folder without weights is refused).

    Raises :class:`EncoderError` (one line: offline, unreachable, unknown, gated, half downloaded),
    :class:`DownloadCancelled` or :class:`~.model_trust.UntrustedModel`.
    """
    local = Path(model).expanduser()
    if local.exists():
        if not trust_remote_code:
            check_model_code(local)
        return local
    if not HUB_ID.fullmatch(model):
        raise EncoderError(
            f"could not load model {model!r}: it is neither a folder here nor a model hub id (owner/name)"
        )
    from huggingface_hub import snapshot_download

    meter = _DownloadMeter(progress) if progress is not None else None
    bars = {"tqdm_class": meter.bar_class} if meter is not None else {}
    try:
        if not trust_remote_code:
            check_model_code(
                Path(snapshot_download(model, allow_patterns=["modules.json", "config.json", "*/config.json"], **bars))
            )
        folder = Path(snapshot_download(model, ignore_patterns=SKIPPED_FILES, **bars))
    except UntrustedModel:
        raise
    except Exception as exc:  # nothing was loaded yet: say why in one line
        if meter is not None and meter.stopped is not None:
            raise DownloadCancelled(f"could not load model {model!r}: download cancelled") from None
        raise _hub_failure(model, exc) from None
    if meter is not None and meter.stopped is not None:  # a file fetched by hf_xet ignored the stop
        raise DownloadCancelled(f"could not load model {model!r}: download cancelled")
    if not has_weights(folder):
        raise EncoderError(
            f"could not load model {model!r}: only part of it is in the Hugging Face cache (no "
            "weights: a download that did not finish); connect once to finish it"
        )
    return folder


def _host_array(x) -> np.ndarray:
    """``x`` (a tensor on any device, or array-like) as a NumPy array in host memory."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


# One text's forward pass: float32 [seq, dim] normalised vectors, int64 [seq] ids, bool [seq] scoring mask
# (attention, minus the skiplist on documents, plus expansion slots on queries).
Forward = tuple[np.ndarray, np.ndarray, np.ndarray]


def _load(path: Path | None, model: str, device: str, trust_remote_code: bool) -> Any:
    """The ``MultiVectorEncoder`` for ``path`` (``None``: the built-in default), or :class:`EncoderError`."""
    from sentence_transformers import MultiVectorEncoder

    try:
        if path is None:
            return build_default_model(device)
        # A PyLate or Stanford ColBERT checkpoint, or a native one, loads with its own settings.
        return MultiVectorEncoder(str(path), device=device, trust_remote_code=trust_remote_code, local_files_only=True)
    except Exception as exc:
        raise EncoderError(f"could not load model {model!r}: {str(exc).splitlines()[0][:200]}") from None


class Encoder:
    """A sentence-transformers ``MultiVectorEncoder`` plus what the workbench needs around it."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        trust_remote_code: bool = False,
        batch_size: int = 32,
        progress: Progress | None = None,
        device: str = "cpu",
        runtime: str | None = None,
    ) -> None:
        """``progress``: passed to :func:`resolve_model` for a hub id that is downloaded now. ``device``: where
        the model runs, as torch names it (``cpu``; ``cuda`` on a GPU worker of a Ray ingest). ``runtime``
        (default ``$KAYAK_ENCODER_RUNTIME`` or ``auto``): ``auto`` runs ONNX Runtime on the CPU where the
        model's export works and torch otherwise (one logged line says why); ``torch`` never touches ONNX;
        ``onnx`` raises :class:`EncoderError` when the export cannot be used. Off the CPU it is always torch."""
        runtime = runtime or os.environ.get("KAYAK_ENCODER_RUNTIME") or "auto"
        if runtime not in RUNTIMES or (runtime == "onnx" and device != "cpu"):
            raise EncoderError(f"encoder runtime {runtime!r}: choose auto, torch or onnx (onnx on the CPU only)")
        _quiet_libraries()
        self.model_ref = model
        self.batch_size = batch_size
        is_default = model == DEFAULT_MODEL
        self.settings = DEFAULT_SETTINGS if is_default else EncoderSettings()
        # Only a hub id ever reaches the network, in resolve_model; the model itself loads from a folder.
        path = None if is_default else resolve_model(model, trust_remote_code, progress)
        self.model = _load(path, model, device, trust_remote_code)
        self.model.eval()
        self.identity = DEFAULT_NAME if is_default else str(model)
        self.checksum = self._weights_checksum()
        tokenizer = self.model.tokenizer
        self._special_ids = set(tokenizer.all_special_ids) if self.settings.drop_special_tokens else set()
        # Expansion pads queries with [MASK]; keep those slots where expansion is on.
        if self.model[0].query_expansion is not None:
            self._special_ids.discard(tokenizer.mask_token_id)
        self._onnx: OnnxRunner | None = None
        self.runtime, self.runtime_detail = "torch", f"torch on {device}"
        if runtime != "torch" and device == "cpu":
            self._onnx, why = start_onnx(self.model, self.checksum, self._probe_torch, self._probe_onnx)
            if self._onnx is None and runtime == "onnx":
                raise EncoderError(f"could not run model {model!r} in ONNX Runtime: {why}")
            if self._onnx is not None:
                self.runtime = "onnx"
                cores = self._onnx.cores
                self.runtime_detail = f"ONNX Runtime fp32 on the CPU, {cores} core{'s' * (cores != 1)}"
            else:
                self.runtime_detail = f"torch on the CPU ({why})"
        self.dim = int(self._encode(["probe"], is_query=True)[0][0].shape[1])

    # -- identity -------------------------------------------------------------------------------
    def _weights_checksum(self) -> str:
        """sha256 of the weights (by name) and :meth:`describe_settings`, 16 hex digits. The transformer's
        weights are named as PyLate named them (``0.auto_model.…``), so an index written before the move to
        sentence-transformers 6 keeps its checksum."""
        h = hashlib.sha256()
        named = ((n.replace("0.model.", "0.auto_model.", 1), t) for n, t in self.model.state_dict().items())
        for name, tensor in sorted(named, key=lambda item: item[0]):
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        h.update(json.dumps(self.describe_settings(), sort_keys=True).encode())
        return h.hexdigest()[:16]

    def describe_settings(self) -> dict:
        """The model's text settings, in the names (and values) PyLate's ColBERT gave them. Two settings that
        change which tokens are scored are named only where they depart from ColBERT's usual choice —
        ``attend_to_expansion_tokens`` when [MASK] slots are attended to, ``skiplist_words`` when documents
        skip other than the punctuation marks — so the checksums of indexes written before they were
        recorded stay what they were."""
        transformer, prompts = self.model[0], self.model.prompts
        expansion = transformer.query_expansion
        settings = {
            "query_prefix": prompts.get("query", ""),
            "document_prefix": prompts.get("document", ""),
            "do_query_expansion": expansion is not None,
            "query_length": transformer.query_length or (expansion or {}).get("length") or transformer.max_seq_length,
            "document_length": self.document_length,
            "drop_special_tokens": self.settings.drop_special_tokens,
        }
        if (expansion or {}).get("attend"):
            settings["attend_to_expansion_tokens"] = True
        skipped = sorted(w for m in self.model if hasattr(m, "skiplist_words") for w in m.skiplist_words)
        if skipped != sorted(string.punctuation):
            settings["skiplist_words"] = skipped
        return settings

    @property
    def document_length(self) -> int:
        """Word-piece tokens a document may hold, markers and specials included (the model's setting)."""
        transformer = self.model[0]
        return int(transformer.document_length or transformer.max_seq_length)

    @property
    def max_passage_tokens(self) -> int:
        """Word-piece tokens a passage may hold so the model sees all of it (markers, specials, margin)."""
        reserved = 2 + (1 if self.model.prompts.get("document") else 0)
        return int((self.document_length - reserved) * 0.95)

    # -- encoding -------------------------------------------------------------------------------
    def count_tokens(self, words: Sequence[str]) -> list[int]:
        """Word-piece count of each word (no special tokens)."""
        if not words:
            return []
        ids = self.model.tokenizer(list(words), add_special_tokens=False)["input_ids"]
        return [max(1, len(x)) for x in ids]

    def unrepresented_chars(self, texts: Sequence[str]) -> list[tuple[int, int]]:
        """Per text ``(non-space characters, characters the tokenizer maps to [UNK])``. Measured on the
        tokenizer's offsets: WordPiece turns a whole word into one [UNK] when any part of it is unknown
        (a Thai word), so counting unknown characters one by one would undercount."""
        tok = self.model.tokenizer
        if not texts or tok.unk_token_id is None:
            return [(sum(not c.isspace() for c in t), 0) for t in texts]
        enc = tok(list(texts), add_special_tokens=False, return_offsets_mapping=True)
        out = []
        for text, ids, offsets in zip(texts, enc["input_ids"], enc["offset_mapping"]):
            lost = sum(
                sum(not c.isspace() for c in text[a:b]) for i, (a, b) in zip(ids, offsets) if i == tok.unk_token_id
            )
            out.append((sum(not c.isspace() for c in text), lost))
        return out

    def _torch_forward(self, texts: Sequence[str], is_query: bool) -> list[Forward]:
        encode = self.model.encode_query if is_query else self.model.encode_document
        out = encode(list(texts), output_value=None, batch_size=self.batch_size, show_progress_bar=False)
        return [
            (_host_array(o["token_embeddings"]), _host_array(o["input_ids"]), _host_array(o["attention_mask"]))
            for o in out
        ]

    def _forward(self, texts: Sequence[str], is_query: bool) -> list[Forward]:
        """Each text's forward pass, from ONNX Runtime where it serves, else torch."""
        if self._onnx is not None and (self._onnx.serves_queries or not is_query):
            return self._onnx.encode(texts, is_query, min(self.batch_size, ONNX_BATCH))
        return self._torch_forward(texts, is_query)

    def _probe_torch(self, texts: Sequence[str]) -> list[np.ndarray]:
        return [v for v, _ in self._kept(self._torch_forward(texts, False))]

    def _probe_onnx(self, runner: OnnxRunner, texts: Sequence[str]) -> list[np.ndarray]:
        return [v for v, _ in self._kept(runner.encode(texts, False))]

    def _encode(self, texts: Sequence[str], is_query: bool) -> list[tuple[np.ndarray, list[str]]]:
        return self._kept(self._forward(texts, is_query))

    def _kept(self, forwards: list[Forward]) -> list[tuple[np.ndarray, list[str]]]:
        """Per text: the vectors and token strings of the tokens kept (scoring mask, no special tokens)."""
        convert = self.model.tokenizer.convert_ids_to_tokens
        specials = np.asarray(sorted(self._special_ids), dtype=np.int64)
        results = []
        for vectors, ids, mask in forwards:
            keep = mask.astype(bool) & ~np.isin(ids, specials)
            results.append((np.ascontiguousarray(vectors[keep], dtype=np.float32), convert(ids[keep].tolist())))
        return results

    def encode_documents(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
        """Per text: float32 ``[n_tokens, dim]`` L2-normalised vectors and their token strings."""
        return self._encode(texts, is_query=False) if texts else []

    def encode_query(self, text: str) -> LateQuery:
        """The query's token vectors (``nested`` layout) with their token strings."""
        vectors, tokens = self._encode([text], is_query=True)[0]
        return LateQuery(vectors, tuple(tokens), text, "nested")

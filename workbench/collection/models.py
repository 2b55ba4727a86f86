"""The encoders a collection can be made with, as the facade offers them to the window and scripts:
the known checkpoints with their size and dimension, what is already in the local cache, hub ids,
download with progress, and which models may run their own code (see :mod:`workbench.encode`)."""

from ..encode.default_model import DEFAULT_MODEL
from ..encode.encoder import HUB_ID, DownloadCancelled, resolve_model
from ..encode.known_models import KNOWN_MODELS, KnownModel, dim_note, is_cached
from ..encode.model_trust import UntrustedModel, check_model_code, is_trusted, model_key

__all__ = [
    "DEFAULT_MODEL",
    "HUB_ID",
    "KNOWN_MODELS",
    "DownloadCancelled",
    "KnownModel",
    "UntrustedModel",
    "check_model_code",
    "dim_note",
    "is_cached",
    "is_trusted",
    "model_key",
    "resolve_model",
]

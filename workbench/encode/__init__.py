"""Encoding: PyLate ColBERT models (the offline default or any checkpoint) → token vectors + strings."""

from .default_model import DEFAULT_MODEL
from .encoder import DownloadCancelled, Encoder, EncoderError
from .model_trust import UntrustedModel

__all__ = ["DEFAULT_MODEL", "DownloadCancelled", "Encoder", "EncoderError", "UntrustedModel"]

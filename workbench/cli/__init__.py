"""The ``workbench`` command: headless ingest, search, evaluation, benchmarks, export, and the window."""

from .parser import main

__all__ = ["main"]

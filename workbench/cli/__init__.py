"""The ``workbench`` command: headless ingest, search, evaluation, benchmarks, export, and the window."""

from .commands import main

__all__ = ["main"]

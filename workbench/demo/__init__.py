"""The built-in demo collection: a short user guide and the standard library's documentation, rendered to
PDFs on first run (``workbench demo``, ``./dev.sh run``)."""

from .pdfs import DEMO_QUERY, build_demo_pdfs, demo_index_dir, describe_demo

__all__ = ["DEMO_QUERY", "build_demo_pdfs", "demo_index_dir", "describe_demo"]

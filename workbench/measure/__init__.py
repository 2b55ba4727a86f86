"""Measurement: the library code of the benchmarks (``workbench bench``, ``bench-scale``, ``bench-ingest``,
``benchmarks/*.py``) and retrieval evaluation (nDCG@10, recall, paired intervals). It sits above the
facade: it opens collections and runs plans the way a script would."""

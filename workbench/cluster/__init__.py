"""When a collection outgrows one machine: the index served from Qdrant (export, sync, an executor).

Optional: these modules need the ``cluster`` extra (``pip install --no-deps -r requirements-cluster.lock``,
which ``./dev.sh setup`` does). Nothing in the desktop app imports them; :func:`require` says how to get
what is missing in one line.
"""

from __future__ import annotations

import importlib

EXTRA_HINT = "pip install --no-deps -r requirements-cluster.lock (or: pip install 'kayak-workbench[cluster]')"


class ClusterExtraMissing(RuntimeError):
    """A cluster feature was asked for without its optional package installed."""


def require(module: str, feature: str):
    """Import ``module`` (e.g. ``qdrant_client``) for ``feature``, or raise :class:`ClusterExtraMissing`
    naming the feature and how to install the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ClusterExtraMissing(
            f"{feature} needs the package {module.split('.')[0].replace('_', '-')}, which "
            f"is not installed: {EXTRA_HINT}"
        ) from None

"""The window's status line: what the index shown holds and which backends run, or what a job says now."""

from __future__ import annotations

from ..collection import Collection
from ..core import available_backends
from .elided_label import ElidedLabel

# How much of an error's first line the window shows: all of it in practice (a path can be long). The
# status line elides what does not fit its width, a message box wraps it.
ERROR_CHARS = 2000


class StatusLine(ElidedLabel):
    """``setText`` for what a job says; :meth:`show_collection` for the summary of the index shown."""

    def show_collection(self, coll: Collection | None, prefix: str = "") -> None:
        """``prefix`` (a search's timing, say), background maintenance, the passage and document counts, read-only,
        the encoder and each backend's availability; the index's first warning in front (all of them in the
        tooltip). Nothing changes while no index is open."""
        if coll is None:
            return
        counts = coll.counts()
        backends = " · ".join(
            f"{name}: {'✓' if ok else '✗ ' + why}" for name, (ok, why) in available_backends().items()
        )
        maintenance = "merging segments in the background" if coll.maintaining else coll.maintenance_error or ""
        parts = [
            prefix,
            maintenance,
            f"{counts['passages']} passages in {counts['documents']} documents ({' + '.join(coll.scored_tiers)} vectors)",
            "read-only" if coll.read_only else "",
            f"encoder {coll.encoder_identity}" + (f" ({coll.encoder_runtime})" if coll.encoder_runtime else ""),
            backends,
        ]
        self.setText("   |   ".join(p for p in parts if p))
        problems = coll.warnings
        self.setToolTip("\n".join([p for p in parts if p] + problems))
        if problems:
            self.setText(
                f"⚠ {problems[0]}"
                + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
                + "   |   "
                + self.text()
            )

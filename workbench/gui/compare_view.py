"""Every executor on the same query and plan: one row per passage, each executor's rank and Δscore beside the
NumPy reference's, and the latency of each stage on each.

An executor changes where the math runs, never the math: ranks agree and scores differ by rounding only
(float32 sums for Mojo; Qdrant keeps the same float16 vectors and sums in its own order). A swap of two
passages whose scores lie within that rounding is a tie (amber); anything else is shown in red. Qdrant
joins when a collection exported from the index is named (the cluster extra).

An index that keeps two storage tiers (a compact one created with ``--keep-exact``) is scored on its other
tier too: those columns differ by design — other vectors were scored — so a moved passage is marked, not
counted as an executor's mismatch, and the summary says how much of the ranking the tiers share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core import SearchResult
from .qdrant_link import qdrant_missing

SCORE_TOLERANCE = 1e-4
BAD = QBrush(QColor(255, 190, 190))
TIE = QBrush(QColor(255, 230, 170))
MOVED = QBrush(QColor(205, 225, 255))  # another tier ranked the passage elsewhere: expected, not an error
SHORT = {
    "numpy-reference": "NumPy",
    "mojo-exact-cpu": "Mojo",
    "qdrant-local": "Qdrant",
    "qdrant-server": "Qdrant",
    "qdrant": "Qdrant",
}


def _table(headers) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    t.setWordWrap(False)
    t.setTextElideMode(Qt.ElideMiddle)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
    return t


@dataclass(frozen=True)
class Placement:
    """Where another executor put a passage of the reference ranking (``rank`` ``None``: not in its top
    k), and the verdict: ``same``, ``tie`` (a swap or cut within ``SCORE_TOLERANCE``) or ``bad``."""

    rank: int | None
    d_score: float | None
    verdict: str


def place(ref: SearchResult, other: SearchResult, tolerance: float = SCORE_TOLERANCE) -> dict[int, Placement]:
    """For each passage id of ``ref``'s hits and of ``other``'s: where ``other`` ranks it against ``ref``.
    A passage of ``other`` that ``ref`` did not rank is ``bad`` unless its score ties ``ref``'s last."""
    ref_hits = {h.passage_id: h for h in ref.hits}
    got = {h.passage_id: h for h in other.hits}
    out: dict[int, Placement] = {}
    for pid, h in ref_hits.items():
        o = got.get(pid)
        if o is None:  # cut from other's top k: fine only if its last score ties this one
            last = other.hits[-1].score if other.hits else None
            tie = last is not None and len(other.hits) == len(ref.hits) and abs(last - h.score) <= tolerance
            out[pid] = Placement(None, None, "tie" if tie else "bad")
            continue
        d = o.score - h.score
        if abs(d) > tolerance:
            verdict = "bad"
        elif o.rank == h.rank:
            verdict = "same"
        else:  # a swap: the passage ref has at that rank must score the same
            verdict = "tie" if abs(ref.hits[o.rank - 1].score - h.score) <= tolerance else "bad"
        out[pid] = Placement(o.rank, d, verdict)
    for pid, o in got.items():
        if pid not in ref_hits:
            last = ref.hits[-1].score if ref.hits else None
            tie = last is not None and abs(last - o.score) <= tolerance
            out[pid] = Placement(o.rank, None, "tie" if tie else "bad")
    return out


class CompareView(QWidget):
    qdrant_toggled = Signal(bool)  # "with Qdrant" checked or unchecked (or its target edited while checked)
    sync_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.summary = QLabel("Run a search to compare the executors.")
        self.summary.setWordWrap(True)
        self.qdrant_on = QCheckBox("with Qdrant")
        self.qdrant_target = QLineEdit()
        self.qdrant_target.setPlaceholderText("http://host:6333 or a local-mode folder")
        self.qdrant_collection = QLineEdit()
        self.qdrant_collection.setPlaceholderText("collection")
        self.qdrant_collection.setMaximumWidth(120)
        self.sync = QPushButton("Sync")
        self.sync.setToolTip("export the index's live passages to the collection, or bring it up to date")
        self.qdrant_status = QLabel()
        self.qdrant_status.setWordWrap(True)
        row = QHBoxLayout()
        for w in (self.qdrant_on, self.qdrant_target, self.qdrant_collection, self.sync):
            row.addWidget(w)
        row.setStretch(1, 1)
        missing = qdrant_missing()
        if missing:
            for w in (self.qdrant_on, self.qdrant_target, self.qdrant_collection, self.sync):
                w.setEnabled(False)
            self.qdrant_status.setText(missing)
        self.qdrant_on.toggled.connect(self.qdrant_toggled)
        for edit in (self.qdrant_target, self.qdrant_collection):
            edit.editingFinished.connect(lambda: self.qdrant_on.isChecked() and self.qdrant_toggled.emit(True))
        self.sync.clicked.connect(self.sync_requested)
        self.table = _table(("#", "passage", "score", "document · page"))
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignCenter)
        self.latency = _table(("stage", "ms"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(self.qdrant_status)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.latency, 1)
        self.mismatches = 0
        self.ties = 0

    def qdrant_choice(self) -> tuple[str, str] | None:
        """``(target, collection)`` when Qdrant is to run beside the local executors."""
        target, name = self.qdrant_target.text().strip(), self.qdrant_collection.text().strip()
        return (target, name) if self.qdrant_on.isChecked() and target and name else None

    def clear(self, text: str = "") -> None:
        self.summary.setText(text)
        self.table.setRowCount(0)
        self.latency.setRowCount(0)

    def show_unavailable(self, reason: str) -> None:
        self.clear(f"<b>Cannot compare:</b> {reason}")

    def set_results(
        self,
        results: list[SearchResult],
        problems: dict[str, str] | None = None,
        tiers: list[tuple[str, SearchResult]] | None = None,
        own_tier: str = "",
    ) -> None:
        """``results[0]`` from the NumPy reference, the rest from other executors, same query, plan and
        filter; ``problems``: executor → why it gave no result. ``tiers``: ``(tier, result)`` of the same
        search on the index's other stored tiers; ``own_tier``: the tier ``results`` scored (named when
        there are others)."""
        tiers = tiers or []
        ref, others = results[0], results[1:]
        tier_results = [r for _, r in tiers]
        placements = [place(ref, o) for o in others + tier_results]
        names = [SHORT.get(r.backend, r.backend) for r in results]
        tier_names = [f"{t} {SHORT.get(r.backend, r.backend)}" for t, r in tiers]
        # two-line headers and the document last, stretched and elided: three executors fit a third of 1366 px
        headers = ["#", "passage", f"{names[0]}\nscore"]
        for name in names[1:] + tier_names:
            headers += [f"{name}\nrank", f"{name}\nΔscore"]
        headers.append("document")
        extra = [pid for p in placements for pid in p if pid not in {h.passage_id for h in ref.hits}]
        extra = list(dict.fromkeys(extra))  # passages only another executor ranked, once each
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(ref.hits) + len(extra))
        self.mismatches = self.ties = 0
        max_diff = [0.0] * len(placements)
        rows = [(h.rank, h.passage_id, f"{h.score:.6f}", h) for h in ref.hits] + [
            ("—", pid, "not ranked", None) for pid in extra
        ]
        for r, (rank, pid, score, hit) in enumerate(rows):
            where = (
                ""
                if hit is None
                else (f"{Path(hit.path or '').name} · p.{hit.page}" if hit.page else Path(hit.path or "").name)
            )
            cells = [str(rank), str(pid), score]
            verdicts = []
            for i, p in enumerate(placements):
                at = p.get(pid)
                if at is None:  # neither ranked it: only possible for another executor's extra passage
                    cells += ["—", ""]
                    verdicts += ["same", "same"]
                    continue
                cells += [
                    "absent" if at.rank is None else str(at.rank),
                    "" if at.d_score is None else f"{at.d_score:+.1e}",
                ]
                verdict = at.verdict if i < len(others) else "same" if at.rank == rank else "moved"
                verdicts += [verdict, verdict]
                if at.d_score is not None:
                    max_diff[i] = max(max_diff[i], abs(at.d_score))
            cells.append(where)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == len(cells) - 1 and hit is not None:
                    item.setToolTip(hit.path or "")
                self.table.setItem(r, c, item)
            for c, verdict in enumerate(verdicts, start=3):
                if verdict != "same":
                    self.table.item(r, c).setBackground({"bad": BAD, "tie": TIE, "moved": MOVED}[verdict])
            executors = verdicts[: 2 * len(others)]
            self.mismatches += "bad" in executors
            self.ties += "tie" in executors and "bad" not in executors
        self.table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.Stretch)
        self._show_latency(results + tier_results, names + tier_names)
        parts = [f"{n}: max |Δscore| {d:.1e}" for n, d in zip(names[1:], max_diff)]
        ids = {h.passage_id for h in ref.hits}
        parts += [
            f"on the {t} vectors ({SHORT.get(r.backend, r.backend)}): {len(ids & {h.passage_id for h in r.hits})} "
            f"of {len(ref.hits)} hits shared, max |Δscore| {d:.1e} (other vectors: differences expected)"
            for (t, r), d in zip(tiers, max_diff[len(others) :])
        ]
        parts += [f"{SHORT.get(k, k)} not run: {why}" for k, why in (problems or {}).items()]
        ref_notes = {s.note for s in ref.stages}  # another executor's own notes: Qdrant's one request
        parts += list(
            dict.fromkeys(
                f"{SHORT.get(r.backend, r.backend)}: {s.note}"
                for r in others
                for s in r.stages
                if s.note and s.note not in ref_notes
            )
        )
        verdict = (
            "rankings identical"
            if self.mismatches == 0 and self.ties == 0
            else f"rankings identical up to {self.ties} tie(s) within {SCORE_TOLERANCE:g}"
            if self.mismatches == 0
            else f"{self.mismatches} passage(s) ranked or scored differently beyond {SCORE_TOLERANCE:g}"
        )
        scored = f" ({own_tier} vectors)" if tiers and own_tier else ""
        self.summary.setText(
            f"Same query, plan and filter on {len(results)} executors{scored}: {verdict}. " + "; ".join(parts) + "."
        )

    def _show_latency(self, results: list[SearchResult], names: list[str]) -> None:
        """One row per stage name (in the reference's order, then any other executor's own), ms per executor."""
        stages = list(dict.fromkeys(s.name for r in results for s in r.stages))
        ms = [{s.name: s.ms for s in r.stages} for r in results]
        headers = ["stage", *[f"{n}\nms" for n in names]]  # two lines: a tier's column fits 1366 px too
        if "Mojo" in names:
            headers.append("NumPy /\nMojo")
        self.latency.clear()
        self.latency.setColumnCount(len(headers))
        self.latency.setHorizontalHeaderLabels(headers)
        self.latency.setRowCount(len(stages) + 1)
        for r, name in enumerate([*stages, "total"]):
            values = [sum(m.values()) if name == "total" else m.get(name) for m in ms]
            cells = [name, *["—" if v is None else f"{v:.3f}" for v in values]]
            if "Mojo" in names:
                a, b = values[0], values[names.index("Mojo")]
                cells.append(f"{a / b:.2f}×" if a is not None and b else "—")
            for c, text in enumerate(cells):
                self.latency.setItem(r, c, QTableWidgetItem(text))
        self.latency.horizontalHeader().setStretchLastSection(True)

"""The search bar: the query, the plan, final_k and the backend; the plan's budgets fold out below."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core import (
    MOJO_EXACT_CPU_BACKEND,
    NUMPY_REFERENCE_BACKEND,
    SearchPlan,
    auto_search_plan,
    available_backends,
    centroid_search_plan,
    document_proxy_search_plan,
    exhaustive_search_plan,
    hybrid_search_plan,
)
from ..core.plans import DEFAULT_FUSION, DEFAULT_FUSION_WEIGHT

PLAN_LABELS = {
    "auto": "auto (exact while cheap)",
    "document_proxy": "proxy → exact",
    "hybrid": "proxy + BM25 → fused",
    "centroid": "centroids → exact",
    "exhaustive": "exhaustive exact",
}
QUERY_SYNTAX_TIP = (
    "<b>Query syntax</b><br>"
    '<code>"a phrase"</code> — only passages whose text holds the phrase (any case)<br>'
    '<code>-word</code>, <code>-"a phrase"</code> — leave out passages that hold it<br>'
    "<code>this OR that</code> — alternatives for the lexical side of the hybrid plan<br>"
    "Every other word goes to the encoder (a phrase's words too; excluded ones never). Phrases and "
    "exclusions filter before stage 1 and show in the filter row. A quote left open is dropped (its "
    "words are searched without a phrase), and the status line says so."
)
FUSION_LABELS = {"rrf": "reciprocal rank", "linear": "linear (normalised)", "none": "MaxSim only"}


PLAN_SETTINGS_VERSION = 2  # 2: candidate_k 0 (2√N) is the default


def _spin(value: int, lo: int, hi: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class SearchBar(QWidget):
    search_requested = Signal()
    plan_changed = Signal()  # the user changed the plan or the backend: the results shown are another plan's

    def __init__(self) -> None:
        super().__init__()
        self.query = QLineEdit()
        self.query.setPlaceholderText('Ask your documents…  "a phrase"  -exclude  this OR that  (Enter, Ctrl+L)')
        self.query.setToolTip(QUERY_SYNTAX_TIP)
        self.query.setClearButtonEnabled(True)
        self.go = QPushButton("Search")
        self.kind = QComboBox()
        for kind, label in PLAN_LABELS.items():
            self.kind.addItem(label, kind)
        self.final_k = _spin(10, 1, 1000, "final_k: hits returned")
        self.candidate_k = _spin(
            0,
            0,
            100000,
            "candidate_k: passages stage 1 passes to the exact stage; 2√N (the lowest value) scales it to the "
            "N passages searched, at least 100 — a fixed number finds less of the exact top 10 as a collection grows",
        )
        self.candidate_k.setSpecialValueText("2√N")
        self.lexical_k = _spin(100, 1, 100000, "lexical_k: passages the BM25 stage adds (hybrid plan)")
        self.lexical_k.setEnabled(False)
        self.fusion = QComboBox()
        for fusion, label in FUSION_LABELS.items():
            self.fusion.addItem(label, fusion)
        self.fusion.setCurrentIndex(self.fusion.findData(DEFAULT_FUSION))
        self.fusion.setToolTip(
            "hybrid plan: how the final ranking combines exact MaxSim and BM25 — reciprocal rank "
            "fusion, a linear combination of min-max MaxSim and BM25/max, or MaxSim alone"
        )
        self.fusion_weight = QDoubleSpinBox()
        self.fusion_weight.setRange(0.0, 1.0)
        self.fusion_weight.setSingleStep(0.05)
        self.fusion_weight.setValue(DEFAULT_FUSION_WEIGHT)
        self.fusion_weight.setToolTip("hybrid plan: the BM25 share of the fused score (0 = MaxSim only, 1 = BM25 only)")
        self.n_probe = _spin(8, 1, 4096, "n_probe: centroid lists each query vector probes (centroid plan)")
        self.n_probe.setEnabled(False)
        self.residual = QCheckBox("2-bit rerank")
        self.residual.setToolTip(
            "centroid plan: the exact stage scores vectors rebuilt from centroid + 2-bit "
            "residual (36 bytes per token) instead of the stored float16 ones (256)"
        )
        self.residual.setEnabled(False)
        self.verify_k = _spin(
            0,
            0,
            1000,
            "verify_k (stage 3): a cross-encoder rereads stage 2's best N passages "
            "with the query and reranks them; about 30 ms per 170-token passage here "
            "(off: no stage 3)",
        )
        self.verify_k.setSpecialValueText("off")
        self.verify_cost = QLabel("")
        self.verify_cost.setToolTip(
            "expected time of stage 3 on this machine: passages × their mean tokens × "
            "the cross-encoder's measured milliseconds per token"
        )
        self.q_budget = _spin(0, 0, 512, "query vector budget: first N query vectors (0 = all)")
        self.d_budget = _spin(0, 0, 4096, "document vector budget: first N vectors per passage (0 = all)")
        self.backend = QComboBox()
        status = available_backends()
        for name in (MOJO_EXACT_CPU_BACKEND, NUMPY_REFERENCE_BACKEND):
            ok, why = status[name]
            self.backend.addItem(name if ok else f"{name} (unavailable)", name)
            self.backend.setItemData(self.backend.count() - 1, why, 3)  # 3 = Qt.ToolTipRole
        if not status[MOJO_EXACT_CPU_BACKEND][0]:
            self.backend.setCurrentIndex(1)
        self.recall = QCheckBox("stage-1 recall")
        self.recall.setChecked(True)
        self.recall.setToolTip("also run exhaustive exact search to measure what stage 1 kept of its top final_k")

        # The plan's common controls stay in the search row; its budgets fold into a second row, so the
        # search field keeps its width on a 1366-pixel screen.
        self.more = QToolButton()
        self.more.setText("plan options")
        self.more.setCheckable(True)
        self.more.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.more.setToolTip("candidate_k, lexical_k, fusion, n_probe, vector budgets, stage-1 recall and stage 3")
        self.options = QWidget()
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.go)
        for label, w in (("plan", self.kind), ("final_k", self.final_k), ("backend", self.backend)):
            top.addWidget(QLabel(label))
            top.addWidget(w)
        top.addWidget(self.more)
        # Two rows of options, by stage, so that the window fits 1000 pixels with them open: stage 1 and the
        # vector budgets, then the lexical side and stage 3.
        option_rows = QVBoxLayout(self.options)
        option_rows.setContentsMargins(0, 0, 0, 0)
        for items in (
            (
                ("candidate_k", self.candidate_k),
                ("n_probe", self.n_probe),
                self.residual,
                ("q budget", self.q_budget),
                ("doc budget", self.d_budget),
                self.recall,
            ),
            (
                ("lexical_k", self.lexical_k),
                ("fusion", self.fusion),
                ("BM25 weight", self.fusion_weight),
                ("verify top", self.verify_k),
                self.verify_cost,
            ),
        ):
            row = QHBoxLayout()
            for item in items:
                if isinstance(item, tuple):
                    row.addWidget(QLabel(item[0]))
                    item = item[1]
                row.addWidget(item)
            row.addStretch(1)
            option_rows.addLayout(row)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(top)
        rows.addWidget(self.options)
        self.more.toggled.connect(self._show_options)
        self._show_options(False)
        self.query.returnPressed.connect(self.search_requested)
        self.go.clicked.connect(self.search_requested)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.fusion.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()  # the first plan's controls, before any change
        # Only what the user does counts (`activated`, `clicked`): settings restored or a backend chosen for
        # an index must not start a search. A spin box reports every step; the window debounces.
        for combo in (self.kind, self.fusion, self.backend):
            combo.activated.connect(self.plan_changed)
        self.residual.clicked.connect(self.plan_changed)
        for spin in (
            self.final_k,
            self.candidate_k,
            self.lexical_k,
            self.n_probe,
            self.verify_k,
            self.q_budget,
            self.d_budget,
            self.fusion_weight,
        ):
            spin.valueChanged.connect(self.plan_changed)

    def _show_options(self, shown: bool) -> None:
        self.options.setVisible(shown)
        self.more.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    def _kind_changed(self) -> None:
        staged = self.kind.currentData() != "exhaustive"
        self.candidate_k.setEnabled(staged)
        self.recall.setEnabled(staged)
        hybrid = self.kind.currentData() == "hybrid"
        self.lexical_k.setEnabled(hybrid)
        self.fusion.setEnabled(hybrid)
        self.fusion_weight.setEnabled(hybrid and self.fusion.currentData() != "none")
        self.n_probe.setEnabled(self.kind.currentData() in ("centroid", "auto"))
        self.residual.setEnabled(self.kind.currentData() == "centroid")

    def plan(self) -> SearchPlan:
        """The plan the controls describe (``ValueError`` with a plain message when inconsistent)."""
        return replace(self._stages(), verify_k=self.verify_k.value())

    def show_verify_cost(self, ms: float | None) -> None:
        """Show stage 3's expected time for the chosen ``verify_k`` (``None``: nothing to estimate)."""
        self.verify_cost.setText(
            "" if ms is None or not self.verify_k.value() else f"≈{ms / 1e3:.1f} s" if ms >= 1000 else f"≈{ms:.0f} ms"
        )

    def _stages(self) -> SearchPlan:
        if self.kind.currentData() == "exhaustive":
            return exhaustive_search_plan(self.final_k.value(), self.q_budget.value(), self.d_budget.value())
        if self.kind.currentData() == "auto":
            return auto_search_plan(
                self.final_k.value(),
                self.candidate_k.value(),
                self.n_probe.value(),
                self.q_budget.value(),
                self.d_budget.value(),
            )
        if self.kind.currentData() == "hybrid":
            return hybrid_search_plan(
                self.final_k.value(),
                self.candidate_k.value(),
                self.lexical_k.value(),
                self.q_budget.value(),
                self.d_budget.value(),
                self.fusion.currentData(),
                self.fusion_weight.value(),
            )
        if self.kind.currentData() == "centroid":
            return centroid_search_plan(
                self.final_k.value(),
                self.candidate_k.value(),
                self.n_probe.value(),
                self.q_budget.value(),
                self.d_budget.value(),
                "residual" if self.residual.isChecked() else "float16",
            )
        return document_proxy_search_plan(
            self.final_k.value(), self.candidate_k.value(), self.q_budget.value(), self.d_budget.value()
        )

    def backend_name(self) -> str:
        return self.backend.currentData()

    def settings(self) -> dict:
        return {
            "kind": self.kind.currentData(),
            "final_k": self.final_k.value(),
            "candidate_k": self.candidate_k.value(),
            "lexical_k": self.lexical_k.value(),
            "n_probe": self.n_probe.value(),
            "fusion": self.fusion.currentData(),
            "fusion_weight": self.fusion_weight.value(),
            "verify_k": self.verify_k.value(),
            "q_budget": self.q_budget.value(),
            "d_budget": self.d_budget.value(),
            "backend": self.backend_name(),
            "recall": self.recall.isChecked(),
            "residual": self.residual.isChecked(),
            "options_shown": self.more.isChecked(),
            "version": PLAN_SETTINGS_VERSION,
        }

    def apply_settings(self, s: dict) -> None:
        if int(s.get("version", 1)) < 2 and int(s.get("candidate_k", 0)) == 100:
            # Version 1 saved candidate_k 100 whether or not anyone chose it (its default): it becomes 2√N.
            s = {k: v for k, v in s.items() if k != "candidate_k"}
        for key, box in (
            ("final_k", self.final_k),
            ("candidate_k", self.candidate_k),
            ("lexical_k", self.lexical_k),
            ("n_probe", self.n_probe),
            ("verify_k", self.verify_k),
            ("q_budget", self.q_budget),
            ("d_budget", self.d_budget),
        ):
            if key in s:
                box.setValue(int(s[key]))
        if "fusion_weight" in s:
            self.fusion_weight.setValue(float(s["fusion_weight"]))
        for key, combo in (("kind", self.kind), ("backend", self.backend), ("fusion", self.fusion)):
            i = combo.findData(s.get(key))
            if i >= 0:
                combo.setCurrentIndex(i)
        for key, box in (("recall", self.recall), ("residual", self.residual), ("options_shown", self.more)):
            if key in s:
                box.setChecked(str(s[key]).lower() in ("true", "1"))

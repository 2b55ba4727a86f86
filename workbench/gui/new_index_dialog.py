"""Index ▸ New index…: a folder for the index and the encoder it is written with; Index ▸ Open index….

The dialog only chooses; :func:`~workbench.gui.index_jobs.open_index_steps` downloads the model (with progress)
and creates the index on a worker. Tests drive it without ``exec()``: set the folder, :meth:`select_model`,
then :meth:`choice` validates and returns what ``accept`` would.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..collection import IndexFormatError
from ..collection.index_folders import check_creatable, is_index
from ..collection.models import HUB_ID, KNOWN_MODELS, KnownModel, UntrustedModel, check_model_code, is_cached
from ..collection.storage_tiers import DEFAULT_TIER, EXACT, TIER_CHOICES

HUB_ENTRY = "hub-id"  # combo data of "Hugging Face id…"
FOLDER_ENTRY = "local-folder"  # combo data of "Local folder…"
ERROR_STYLE = "color: #b00020"
MIN_WIDTH = 640  # px: the description wraps to two lines, not four


def describe_entry(known: KnownModel, cached: bool) -> str:
    """The combo's text for a known model: name · params · dim · in the cache / downloads ≈N MB."""
    where = (
        "ships with the app"
        if known.download_mb == 0
        else "in the cache"
        if cached
        else f"downloads ≈{known.download_mb} MB"
    )
    return f"{known.name} · {known.params_text} · {known.dim}-d · {where}"


def choose_index_to_open(parent: QWidget | None, start: str = "") -> Path | None:
    """A folder chooser for Index ▸ Open index…; ``None`` when the user cancels."""
    folder = QFileDialog.getExistingDirectory(parent, "Open a Kayak index", start)
    return Path(folder) if folder else None


class NewIndexDialog(QDialog):
    """Index ▸ New index…: returns ``(folder, model)`` through :meth:`choice`, the storage tier through
    :meth:`storage_tier`."""

    def __init__(self, parent: QWidget | None = None, folder: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("New index")
        self.setMinimumWidth(MIN_WIDTH)
        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("a new or empty folder, e.g. ~/papers.kayak")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_index_folder)
        self.model = QComboBox()
        self.model.setSizeAdjustPolicy(QComboBox.AdjustToContents)  # the whole "… · downloads ≈N MB" shows
        for known in KNOWN_MODELS:
            self.model.addItem(describe_entry(known, is_cached(known.model)), known.model)
        self.model.addItem("Hugging Face id…", HUB_ENTRY)
        self.model.addItem("Local folder…", FOLDER_ENTRY)
        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("owner/name, e.g. lightonai/GTE-ModernColBERT-v1")
        self.model_folder = QLineEdit()
        self.model_folder.setPlaceholderText("a PyLate / ColBERT checkpoint folder")
        self._browse_model = QPushButton("Browse…")
        self._browse_model.clicked.connect(self._browse_model_folder)
        self.tier = QComboBox()
        for tier, _ in TIER_CHOICES:
            self.tier.addItem(tier, tier)
        self.tier_description = QLabel()
        self.tier_description.setWordWrap(True)
        self.tier.currentIndexChanged.connect(
            lambda: self.tier_description.setText(dict(TIER_CHOICES)[self.storage_tier()])
        )
        self.keep_exact_box = QCheckBox("Keep the exact float16 vectors too (256 more bytes per token)")
        self.keep_exact_box.setToolTip(
            "searches score the compact vectors; the Compare tab scores each query on the exact ones as well"
        )
        self.tier.currentIndexChanged.connect(lambda: self.keep_exact_box.setEnabled(self.storage_tier() != EXACT))
        self.tier.setCurrentIndex(self.tier.findData(DEFAULT_TIER))
        self.tier_description.setText(dict(TIER_CHOICES)[DEFAULT_TIER])
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setAlignment(Qt.AlignTop | Qt.AlignLeft)  # under the combo, whatever the row height
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = self._form = QFormLayout()
        form.addRow("Index folder", _row(self.folder, browse))
        form.addRow("Encoder", self.model)
        form.addRow("", self.hub_id)
        self._folder_row = _row(self.model_folder, self._browse_model)
        form.addRow("", self._folder_row)
        form.addRow("", self.description)
        form.addRow("Vectors", self.tier)
        form.addRow("", self.tier_description)
        form.addRow("", self.keep_exact_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)  # spare height goes below the text, never between the rows
        layout.addWidget(self.buttons)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.model.activated.connect(self._model_picked)
        for edit in (self.folder, self.hub_id, self.model_folder):
            edit.textChanged.connect(lambda: self._show_error(""))
        self._model_changed()

    # -- what tests and the window call ---------------------------------------------------------------
    def select_model(self, entry: str) -> None:
        """Pick a combo entry by its data: a known model (``"default"``, a hub id), :data:`HUB_ENTRY` or
        :data:`FOLDER_ENTRY`. Raises ``KeyError`` for anything else."""
        i = self.model.findData(entry)
        if i < 0:
            raise KeyError(entry)
        self.model.setCurrentIndex(i)

    def entries(self) -> list[tuple[str, str]]:
        """``(data, text)`` of every combo entry, top to bottom."""
        return [(self.model.itemData(i), self.model.itemText(i)) for i in range(self.model.count())]

    def choice(self) -> tuple[Path, str]:
        """The index folder and the model (``"default"``, a hub id or a folder path), checked: the folder must
        be new or empty, a hub id must read ``owner/name``, a model folder must exist and may not choose its
        own code. Raises ``ValueError`` with a plain sentence otherwise."""
        return self._index_folder(), self._model()

    def storage_tier(self) -> str:
        """How the new index keeps its token vectors (:data:`~workbench.collection.storage_tiers.TIER_CHOICES`)."""
        return str(self.tier.currentData())

    def keep_exact(self) -> bool:
        """Whether a compact index keeps its float16 vectors too (``--keep-exact``)."""
        return self.storage_tier() != EXACT and self.keep_exact_box.isChecked()

    def accept(self) -> None:
        try:
            self.choice()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        super().accept()

    # -- checks -------------------------------------------------------------------------------------
    def _index_folder(self) -> Path:
        text = self.folder.text().strip()
        if not text:
            raise ValueError("Choose a folder for the index (a new or empty one).")
        folder = Path(text).expanduser().absolute()
        if is_index(folder):
            raise ValueError(f"{folder} already holds a Kayak index: open it with Index ▸ Open index…")
        try:
            check_creatable(folder)
        except IndexFormatError as exc:
            raise ValueError(str(exc)) from None
        return folder

    def _model(self) -> str:
        entry = self.model.currentData()
        if entry == HUB_ENTRY:
            hub_id = self.hub_id.text().strip()
            if not HUB_ID.fullmatch(hub_id):
                raise ValueError(
                    f"“{hub_id}” is not a Hugging Face model id: write it as owner/name, "
                    "e.g. lightonai/GTE-ModernColBERT-v1"
                )
            return hub_id
        if entry == FOLDER_ENTRY:
            text = self.model_folder.text().strip()
            folder = Path(text).expanduser()
            if not text or not folder.is_dir():
                raise ValueError("Choose the folder of a PyLate / ColBERT checkpoint on this machine.")
            try:
                check_model_code(folder)
            except UntrustedModel as exc:
                raise ValueError(str(exc)) from None
            return str(folder.absolute())
        return str(entry)

    # -- reactions ----------------------------------------------------------------------------------
    def _model_changed(self) -> None:
        entry = self.model.currentData()
        self._form.setRowVisible(self.hub_id, entry == HUB_ENTRY)  # the whole row: no empty gap
        self._form.setRowVisible(self._folder_row, entry == FOLDER_ENTRY)
        self._show_error("")
        known = next((k for k in KNOWN_MODELS if k.model == entry), None)
        if known is not None:
            parts = [known.about, f"Licence: {known.licence}."]
            if known.dim_note():
                parts.append(known.dim_note() + ".")
        elif entry == HUB_ENTRY:
            parts = [
                "Any PyLate / ColBERT checkpoint on huggingface.co, downloaded into the Hugging Face cache on "
                "first use; one whose files would run code of their own is refused. The Mojo exact backend "
                "needs 128-d vectors."
            ]
        else:
            parts = [
                "A PyLate / ColBERT checkpoint folder on this machine; one whose files would run code of their "
                "own is refused. The Mojo exact backend needs 128-d vectors."
            ]
        self.description.setText(" ".join(parts))
        self.adjustSize()  # rows shown or hidden, a description of another length
        if entry == HUB_ENTRY:
            self.hub_id.setFocus()

    def _show_error(self, text: str) -> None:
        """Why the dialog cannot accept, in red under the fields ('' hides it)."""
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.adjustSize()  # room for the reason

    def _model_picked(self) -> None:
        """The user (not code) chose an entry: "Local folder…" opens the folder chooser at once."""
        if self.model.currentData() == FOLDER_ENTRY and not self.model_folder.text().strip():
            self._browse_model_folder()

    def _browse_index_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new index", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _browse_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", self.model_folder.text())
        if folder:
            self.model_folder.setText(folder)


def _row(*widgets: QWidget) -> QWidget:
    """Widgets side by side in one form row, the first one stretching."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        layout.addWidget(w, 1 if i == 0 else 0)
    return row


__all__ = ["FOLDER_ENTRY", "HUB_ENTRY", "NewIndexDialog", "choose_index_to_open", "describe_entry"]

"""Tab through the window in the order a search is made and read: the search box and its plan, the filter
row, the hits, the tabs on the right (the selected hit, the document), the stage panel, then the collection.

Qt's own order is the order widgets joined the window, which put the collection's buttons and table between
the plan and the hits; rewiring that chain with ``setTabOrder`` moves each container with its children and
undoes itself around focus proxies, so :class:`TabOrder` binds Tab and Shift+Tab in the window instead (as
window actions). Popups and dialogs are windows of their own and keep Qt's order. Item views leave on one Tab: Qt's tables walk cell by cell on Tab (changing the
selection on the way), which traps a keyboard user in a table of a thousand documents.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget


def focus_chain(window: QWidget) -> list[QWidget]:
    """Every widget of ``window``'s focus chain, in Qt's order, starting after ``window`` itself."""
    chain: list[QWidget] = []
    w = window.nextInFocusChain()
    while w is not None and w is not window and w not in chain:
        chain.append(w)
        w = w.nextInFocusChain()
    return chain


class TabOrder:
    """The Tab stops of ``window`` panel by panel (``groups``, first to last), each panel's widgets in
    their own order; Tab and Shift+Tab in ``window`` call :meth:`move`. The window keeps it (its actions
    hold only its bound methods); it holds the window and panels weakly, so no reference cycle runs
    through Qt objects that Python's collector would break while Qt tears the window down."""

    def __init__(self, window: QWidget, groups: Sequence[QWidget]) -> None:
        self.window = weakref.ref(window)
        self._groups = [weakref.ref(g) for g in groups]
        for keys, slot in (("Tab", self.forward), ("Shift+Tab", self.backward), ("Shift+Backtab", self.backward)):
            action = QAction(window)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            window.addAction(action)
        for group in groups:
            for view in group.findChildren(QAbstractItemView):
                view.setTabKeyNavigation(False)

    def stops(self) -> list[QWidget]:
        """The widgets Tab can land on now (shown, enabled, taking focus by Tab), in order. A stop inside
        another is part of it (a spin box's line edit, a tab widget's bar) and is left out: Qt hands its
        focus to the outer one. (Asking ``focusProxy()`` instead crashed PySide 6.12's collector later.)"""
        chain = focus_chain(self.window())
        taking = {id(w) for w in chain if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled()}
        stops = [w for w in chain if id(w) in taking and not self._inside_a_stop(w, taking)]
        return [w for group in self.groups() for w in stops if group.isAncestorOf(w)]

    @staticmethod
    def _inside_a_stop(w: QWidget, taking: set[int]) -> bool:
        parent = w.parentWidget()
        while parent is not None:
            if id(parent) in taking:
                return True
            parent = parent.parentWidget()
        return False

    def groups(self) -> list[QWidget]:
        return [g for g in (ref() for ref in self._groups) if g is not None]

    def forward(self) -> None:
        self.move(True)

    def backward(self) -> None:
        self.move(False)

    def move(self, forward: bool) -> None:
        """Focus the stop after (``forward``) or before the focused one (the first or last stop where
        the focus is on none)."""
        stops = self.stops()
        if not stops:
            return
        w = QApplication.focusWidget()
        while w is not None and w not in stops:
            w = w.parentWidget()
        step = 1 if forward else -1
        at = stops.index(w) + step if w is not None else (0 if forward else -1)
        reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
        stops[at % len(stops)].setFocus(reason)

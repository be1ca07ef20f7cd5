"""A right-click menu on a table's header to show or hide its columns (one always stays)."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHeaderView, QMenu


def column_menu(header: QHeaderView) -> QMenu:
    """A checkable action per column of the header's model; the last shown one is disabled."""
    menu = QMenu(header)
    model = header.model()
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    for column in range(header.count()):
        title = model.headerData(column, Qt.Orientation.Horizontal) if model else None
        action = menu.addAction(str(title or column))
        action.setCheckable(True)
        action.setChecked(column in shown)
        action.setEnabled(shown != [column])
        action.toggled.connect(lambda on, c=column: header.setSectionHidden(c, not on))
    return menu


def add_column_chooser(header: QHeaderView) -> None:
    """Right-click on the header: the column menu."""
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(point) -> None:
        menu = column_menu(header)
        menu.exec(header.mapToGlobal(point))
        menu.deleteLater()

    header.customContextMenuRequested.connect(show)

"""The monitor remembers its layout: window geometry, splitters, each table's columns (widths,
order, hidden ones, sort), the filters and the current tab, saved in a QSettings group when the
window closes and restored when it opens.

A window names its parts (`{"tables/jobs": header, "filters/jobs": view, ...}`); each part is
saved by its kind: a QMainWindow's geometry and state, a QSplitter's or QHeaderView's state, a
QTabWidget's current index, and the filter values of anything with `filters()` and
`set_filters(dict)` (as JSON). A part whose saved value is missing or unreadable keeps its
default.
"""

from __future__ import annotations

import contextlib
import json

from PyQt6.QtCore import QByteArray, QSettings
from PyQt6.QtWidgets import (
    QHeaderView,
    QMainWindow,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeView,
)

GROUP = "layout"


def save_layout(store: QSettings, parts: dict[str, object]) -> None:
    store.beginGroup(GROUP)
    for name, part in parts.items():
        if isinstance(part, QMainWindow):
            store.setValue(f"{name}/geometry", part.saveGeometry())
            store.setValue(f"{name}/state", part.saveState())
        elif isinstance(part, QSplitter | QHeaderView):
            store.setValue(name, part.saveState())
        elif isinstance(part, QTabWidget):
            store.setValue(name, part.currentIndex())
        else:
            store.setValue(name, json.dumps(part.filters()))
    store.endGroup()
    store.sync()


def restore_layout(store: QSettings, parts: dict[str, object]) -> None:
    store.beginGroup(GROUP)
    try:
        for name, part in parts.items():
            if isinstance(part, QMainWindow):
                if (geometry := _bytes(store, f"{name}/geometry")) is not None:
                    part.restoreGeometry(geometry)
                if (state := _bytes(store, f"{name}/state")) is not None:
                    part.restoreState(state)
            elif isinstance(part, QSplitter):
                if (state := _bytes(store, name)) is not None:
                    part.restoreState(state)
            elif isinstance(part, QHeaderView):
                if (state := _bytes(store, name)) is not None and part.restoreState(state):
                    _sort_as_shown(part)
            elif isinstance(part, QTabWidget):
                with contextlib.suppress(TypeError, ValueError):
                    part.setCurrentIndex(int(store.value(name, part.currentIndex())))
            elif (text := store.value(name)) is not None:
                with contextlib.suppress(TypeError, ValueError, AttributeError):
                    part.set_filters(json.loads(text))
    finally:
        store.endGroup()


def _bytes(store: QSettings, key: str) -> QByteArray | None:
    value = store.value(key)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def _sort_as_shown(header: QHeaderView) -> None:
    """A restored header's sort indicator, applied to its sorting view."""
    view = header.parent()
    if isinstance(view, QTableView | QTreeView) and view.isSortingEnabled():
        view.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

"""What the monitor's table models and bar delegates share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QObject, QRect, Qt
from PyQt6.QtGui import QAction, QColor, QPainter
from PyQt6.QtWidgets import (
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
)


class ColumnsModel(QAbstractTableModel):
    """A flat table with fixed named columns (`columns`); subclasses give rows and data."""

    columns: ClassVar[tuple[str, ...]] = ()

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None


BAR_ROLE = Qt.ItemDataRole.UserRole + 1  # (fraction 0..1, text) of a cell drawn as a bar
SORT_ROLE = Qt.ItemDataRole.UserRole + 4  # the value a sorting proxy compares


def iso_time(epoch: float | None, today_short: bool = False) -> str:
    """A local time in ISO order ("2026-03-01 14:05:09"; with today_short, only the clock for
    today's); "" for none."""
    if not epoch:
        return ""
    local = time.localtime(epoch)
    if today_short and local[:3] == time.localtime()[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%Y-%m-%d %H:%M:%S", local)


def filter_box(placeholder: str = "filter") -> QLineEdit:
    """The text filter above a table."""
    box = QLineEdit(placeholderText=placeholder)
    box.setClearButtonEnabled(True)
    return box


def state_menu(
    button: QToolButton, states: Iterable[str], toggled: Callable[[], None]
) -> dict[str, QAction]:
    """A drop-down of checkable states on ``button``, each calling ``toggled``; its actions."""
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    actions: dict[str, QAction] = {}
    for state in states:
        action = menu.addAction(state)
        action.setCheckable(True)
        action.toggled.connect(toggled)
        actions[state] = action
    button.setMenu(menu)
    return actions


def check_only(actions: dict[str, QAction], wanted: set[str]) -> None:
    """Check the actions named in ``wanted`` and uncheck the others, without their signals."""
    for name, action in actions.items():
        action.blockSignals(True)
        action.setChecked(name in wanted)
        action.blockSignals(False)


class TextFilter:
    """A view's one text filter as app/ui/layout_memory.py keeps it: `filter_text` is its box."""

    filter_text: QLineEdit

    def filters(self) -> dict:
        return {"text": self.filter_text.text()}

    def set_filters(self, values: dict) -> None:
        if isinstance(values.get("text"), str):
            self.filter_text.setText(values["text"])


class BarDelegate(QStyledItemDelegate):
    """Cells answering BAR_ROLE as a filled bar with its text; colour_of(fraction) picks the
    fill. Other cells are drawn as usual."""

    def __init__(self, colour_of: Callable[[float], QColor], parent: QObject | None = None):
        super().__init__(parent)
        self._colour_of = colour_of

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bar = index.data(BAR_ROLE)
        if bar is None:
            super().paint(painter, option, index)
            return
        fraction, text = bar
        paint_bar(painter, option, fraction, text, self._colour_of(fraction))


def paint_bar(
    painter: QPainter, option: QStyleOptionViewItem, fraction: float, text: str, colour: QColor
) -> None:
    """A cell as a bar filled to fraction (0..1), on a faint track, with text over it."""
    rect = option.rect.adjusted(2, 3, -2, -3)
    painter.save()
    painter.fillRect(rect, QColor(60, 60, 60, 40))
    width = round(rect.width() * min(1.0, max(0.0, fraction)))
    painter.fillRect(QRect(rect.left(), rect.top(), width, rect.height()), colour)
    painter.setPen(option.palette.text().color())
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()

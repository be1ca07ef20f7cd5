"""What the monitor's table models and bar delegates share."""

from __future__ import annotations

from typing import Any, ClassVar

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QRect, Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QStyleOptionViewItem


class ColumnsModel(QAbstractTableModel):
    """A flat table with fixed named columns (`columns`); subclasses give rows and data."""

    columns: ClassVar[tuple[str, ...]] = ()

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None


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

"""Progress bars in the jobs tree: done, skipped, running and error tasks as coloured segments.

The model gives `PROGRESS_ROLE` = (total, done, running, error, skipped) for a job or a block
(done without the skipped ones). Painting is a few filled rectangles and one short text: cheap
enough for every visible row on every repaint.
"""

from __future__ import annotations

from PyQt6.QtCore import QModelIndex, QRect, Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1

TRACK = QColor(70, 70, 70)
DONE = QColor(64, 160, 64)
SKIPPED = QColor(120, 150, 200)
RUNNING = QColor(230, 180, 40)
ERROR = QColor(210, 50, 50)
TEXT = QColor(255, 255, 255)


def segments(rect: QRect, counts: tuple[int, int, int, int, int]) -> list[tuple[QRect, QColor]]:
    """The coloured rectangles of a bar in rect: done, skipped, running, error (in that order)."""
    total, done, running, error, skipped = counts
    if total <= 0:
        return []
    parts = []
    filled = 0
    for count, colour in ((done, DONE), (skipped, SKIPPED), (running, RUNNING), (error, ERROR)):
        if count <= 0:
            continue
        left = rect.left() + filled * rect.width() // total
        filled += count
        right = rect.left() + filled * rect.width() // total
        parts.append((QRect(left, rect.top(), max(1, right - left), rect.height()), colour))
    return parts


class ProgressDelegate(QStyledItemDelegate):
    """Paints PROGRESS_ROLE as a segmented bar with the percentage done."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        counts = index.data(PROGRESS_ROLE)
        if not counts:
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = option.rect.adjusted(2, 3, -2, -3)
        painter.fillRect(bar, TRACK)
        for rect, colour in segments(bar, counts):
            painter.fillRect(rect, colour)
        total, done, _running, _error, skipped = counts
        percent = (done + skipped) * 100 // total if total else 0
        painter.setPen(TEXT)
        painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, f"{percent}%")

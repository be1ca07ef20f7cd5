"""A read-only text view for logs: line numbers in a margin, find with wrap-around, jumps to
the next or previous line a predicate picks (an error), word wrap on demand."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QRect, QSize, Qt
from PyQt6.QtGui import (
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
)
from PyQt6.QtWidgets import QPlainTextEdit, QWidget

MARGIN = 6  # pixels beside the line numbers


class _Numbers(QWidget):
    """The margin the view paints its line numbers in."""

    def __init__(self, view: LogView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self) -> QSize:
        return QSize(self.view.numbers_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.view.paint_numbers(event)


class LogView(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.set_wrap(False)
        self.numbers = _Numbers(self)
        self.blockCountChanged.connect(lambda _: self._fit_margin())
        self.updateRequest.connect(self._scrolled)
        self._fit_margin()

    # -- line numbers -----------------------------------------------------------------------

    def numbers_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return MARGIN * 2 + self.fontMetrics().horizontalAdvance("9") * digits

    def _fit_margin(self) -> None:
        self.setViewportMargins(self.numbers_width(), 0, 0, 0)

    def _scrolled(self, rect: QRect, dy: int) -> None:
        if dy:
            self.numbers.scroll(0, dy)
        else:
            self.numbers.update(0, rect.y(), self.numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.numbers.setGeometry(area.left(), area.top(), self.numbers_width(), area.height())

    def paint_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self.numbers)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.alternateBase())
        painter.setPen(palette.placeholderText().color())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        width, height = self.numbers.width() - MARGIN, self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = str(block.blockNumber() + 1)
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, number)
            block, top = block.next(), bottom
        painter.end()

    # -- reading ------------------------------------------------------------------------------

    def set_wrap(self, on: bool) -> None:
        mode = QPlainTextEdit.LineWrapMode
        self.setLineWrapMode(mode.WidgetWidth if on else mode.NoWrap)

    def find_text(self, text: str, backward: bool = False) -> bool:
        """Select the next (previous) occurrence of text, any case, from the cursor, wrapping
        around the end; False when the text is nowhere."""
        if not text:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if self.find(text, flags):
            return True
        cursor = self.textCursor()
        end = QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start
        cursor.movePosition(end)
        self.setTextCursor(cursor)
        return self.find(text, flags)

    def find_line(self, wanted: Callable[[str], bool], backward: bool = False) -> int | None:
        """Select the next (previous) line after (before) the cursor's that `wanted` picks,
        wrapping around; its number (0-based), None when no line is."""
        here = self.textCursor().block()
        count = self.document().blockCount()
        step = -1 if backward else 1
        for offset in range(1, count + 1):
            block = self.document().findBlockByNumber((here.blockNumber() + step * offset) % count)
            if wanted(block.text()):
                cursor = QTextCursor(block)
                cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                self.setTextCursor(cursor)
                self.centerCursor()
                return block.blockNumber()
        return None

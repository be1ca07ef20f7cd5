"""The monitor remembers: window geometry, splitters, each table's columns (widths, order,
hidden, sort), the filters and the last tab, restored after the window restarts; a column
chooser on every header; the filters an artist starts with."""

import pytest
from PyQt6.QtCore import QSettings, QSize, Qt
from PyQt6.QtWidgets import QHeaderView

from app.api import numeric_job
from app.ui.client import FarmClient
from app.ui.column_chooser import column_menu
from app.ui.jobs_model import NAME, NOTE, PRIORITY, USER
from app.ui.main_window import MainWindow
from app.ui.renders_model import COLUMNS as RENDER_COLUMNS
from tests.polling import until
from tests.ui.conftest import shown

pytestmark = pytest.mark.usefixtures("keep_running")


def open_window(client, qtbot, store) -> MainWindow:
    return shown(qtbot, MainWindow(client, store=store))


def hide_column(header: QHeaderView, title: str) -> None:
    """Untick a column in the header's right-click menu."""
    menu = column_menu(header)
    next(a for a in menu.actions() if a.text() == title).trigger()
    menu.deleteLater()


async def test_the_layout_is_restored_after_the_window_restarts(client, qtbot, tmp_path):
    store = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    for name, priority in (("shot_a", 10), ("shot_b", 200), ("comp", 50)):
        await client.submit(numeric_job(name, "true", 1, 1, priority=priority, paused=True))
    window = open_window(client, qtbot, store)
    window.resize(760, 560)  # within the offscreen screen: restoring fits the screen
    window.jobs_split.setSizes([200, 450])
    header = window.jobs.table.horizontalHeader()
    header.resizeSection(NAME, 333)
    header.moveSection(header.visualIndex(USER), 0)
    hide_column(header, "Annotation")
    window.jobs.table.sortByColumn(PRIORITY, Qt.SortOrder.DescendingOrder)
    hide_column(window.renders.table.horizontalHeader(), "Swap")
    window.jobs.name_filter.setText("shot")
    window.jobs.set_states(["OFF", "ERR"])
    window.jobs.hide_done.setChecked(True)
    window.tabs.setCurrentIndex(2)
    splits = window.jobs_split.sizes()
    window.close()

    again = open_window(client, qtbot, store)
    assert again.size() == QSize(760, 560)
    assert again.jobs_split.sizes() == splits
    header = again.jobs.table.horizontalHeader()
    assert header.sectionSize(NAME) == 333 and header.visualIndex(USER) == 0
    assert header.isSectionHidden(NOTE) and not header.isSectionHidden(NAME)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        PRIORITY,
        Qt.SortOrder.DescendingOrder,
    )
    swap = RENDER_COLUMNS.index("Swap")
    assert again.renders.table.horizontalHeader().isSectionHidden(swap)
    assert again.jobs.filters() == {
        "name": "shot",
        "user": "",
        "mine": False,
        "states": ["ERR", "OFF"],
        "hide_done": True,
    }
    assert again.tabs.currentIndex() == 2
    model = again.jobs.model

    def names() -> list[str]:
        return [model.index(row, NAME).data() for row in range(model.rowCount())]

    await until(lambda: names() == ["shot_b", "shot_a"])  # the filters and the sort apply


def test_an_unreadable_layout_keeps_the_defaults(client, qtbot, tmp_path):
    store = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    for key, value in (("window/geometry", "junk"), ("filters/jobs", "{not json"), ("tabs", "x")):
        store.setValue(f"layout/{key}", value)
    store.setValue("layout/tables/jobs", b"\x00garbage")
    window = open_window(client, qtbot, store)
    assert window.tabs.currentIndex() == 0 and window.jobs.filters()["name"] == ""
    assert not window.jobs.table.horizontalHeader().isSectionHidden(NOTE)


def test_the_column_chooser_keeps_one_column(client, qtbot, tmp_path):
    window = open_window(
        client, qtbot, QSettings(str(tmp_path / "l.ini"), QSettings.Format.IniFormat)
    )
    header = window.users.table.horizontalHeader()
    titles = [a.text() for a in column_menu(header).actions()]
    assert titles[0] == "name" and len(titles) == header.count()
    for title in titles[1:]:
        hide_column(header, title)
    assert [header.isSectionHidden(c) for c in range(header.count())] == [False] + [True] * (
        header.count() - 1
    )
    last = column_menu(header).actions()[0]
    assert last.isChecked() and not last.isEnabled()
    hide_column(header, titles[3])  # ticking one again shows it
    assert not header.isSectionHidden(3)


async def test_an_artist_sees_their_own_jobs_at_first(farm, qtbot, tmp_path):
    ann = farm.client.add_user("ann")["token"]
    farm.client.add_user("bob")
    artist = FarmClient(farm.url, token=ann)
    await artist.start()
    try:
        mine = await artist.submit(numeric_job("mine", "true", 1, 1, paused=True))
        store = QSettings(str(tmp_path / "l.ini"), QSettings.Format.IniFormat)
        window = open_window(artist, qtbot, store)
        await until(lambda: window.jobs.mine.isChecked())
        assert window.jobs.me == "ann" and window.jobs.model.user == "ann"
        await until(lambda: window.jobs.model.row_of(mine) is not None)
        window.jobs.mine.setChecked(False)  # a choice: remembered, and kept next time
        window.close()
        again = open_window(artist, qtbot, store)
        await until(lambda: again.jobs.me == "ann")
        assert not again.jobs.mine.isChecked()
    finally:
        await artist.close()

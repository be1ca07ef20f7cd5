"""UI tests: real widgets offscreen, on the qasync loop, against a real server on loopback.

Every async test here runs on a qasync loop driven by the QApplication, as `corral monitor`
does. `farm` is a real server (bench/local_farm.py) with no renders yet; `client` is a
FarmClient connected to it (REST and events) and closed after the test.
"""

from __future__ import annotations

import pytest

from tests.polling import until


def pytest_asyncio_loop_factories(config, item):
    import qasync
    from PyQt6.QtWidgets import QApplication

    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


@pytest.fixture
def farm(own_server):
    return own_server


@pytest.fixture
async def client(farm, qapp):
    from app.ui.client import FarmClient

    client = FarmClient(farm.url, token=farm.admin_token)
    await client.start()
    await until(lambda: client.state == "online")
    yield client
    await client.close()


@pytest.fixture(autouse=True)
def own_settings_file(tmp_path):
    """The monitor's settings file (app/ui/settings.py qsettings) in the test's folder, so no
    window closing in a test writes the user's own."""
    from PyQt6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture
def keep_running(qapp):
    """As in `corral monitor`: a dialog closing must not quit Qt (and stop the loop)."""
    qapp.setQuitOnLastWindowClosed(False)


def shown(qtbot, widget):
    """The widget, shown; qtbot closes it after the test."""
    qtbot.addWidget(widget)
    widget.show()
    return widget

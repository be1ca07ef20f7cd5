"""Screenshots for the README: a real small farm, the monitor, task output, render graphs and
the tray menu, grabbed offscreen into docs/images/.

    .venv/bin/python -m bench.screenshots

Starts a server and two renders (bench/local_farm.py), submits a few jobs whose tasks print
lines, opens each window on the qasync loop, waits until it shows live data and saves
QWidget.grab() as PNG. Then writes the "## Monitor and tray" section of README.md.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PyQt6.QtCore import QSettings  # noqa: E402
from PyQt6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.api import numeric_job  # noqa: E402
from bench.local_farm import LocalFarm  # noqa: E402
from bench.readme import README, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SECTION = "## Monitor and tray"
SECTION_TEXT = f"""{SECTION}

`corral monitor` shows the farm live: jobs with their blocks and progress, a block's tasks, the
renders with their CPU, memory, swap, disk and network bars. Right-click acts on the selection;
double-click a task for its output (live while it runs) or a render for its resource graphs.

![The monitor with a running farm](docs/images/monitor.png)

![Live output of a running task](docs/images/task_output.png)

![A render's resource graphs](docs/images/render_graphs.png)

`corral tray` runs this workstation's render client behind a tray icon whose colour tells its
state (green free, blue busy, yellow nimby, red NIMBY, grey offline); its menu sets free / nimby /
NIMBY, ejects your tasks, opens the monitor or the current task's output, and adds Corral to
your session's autostart.

![The tray menu](docs/images/tray_menu.png)

"""
LINES = "for i in $(seq 1 400); do echo frame @#@ line $i of 400; sleep 0.25; done"


async def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{predicate} not true within {timeout} s")
        await asyncio.sleep(0.1)


def save(widget: QWidget, name: str) -> Path:
    path = IMAGES / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path.relative_to(ROOT)}")
    return path


async def shoot(farm: LocalFarm) -> None:
    from app.render.config import RenderConfig
    from app.ui import main_window
    from app.ui.client import FarmClient
    from app.ui.graphs import ResourceGraphs
    from app.ui.output_window import OutputWindow
    from app.ui.tray import TrayController

    client = FarmClient(farm.url, token=farm.admin_token or "")
    await client.start()
    config = RenderConfig(
        server_url=farm.url,
        name="workstation",
        max_tasks=1,
        tmp_dir=farm.folder / "tray-tasks",
        farm_secret=farm.farm_secret,
    )
    config.tmp_dir.mkdir(parents=True, exist_ok=True)
    tray = TrayController(client, config, autostart_path=farm.folder / "autostart.desktop")
    tray.start()
    try:
        layout = QSettings(str(farm.folder / "monitor.ini"), QSettings.Format.IniFormat)
        window = main_window.MainWindow(client, store=layout)  # not the user's saved layout
        window.resize(1400, 820)
        window.show()
        await wait_for(lambda: farm.client.job(1)["tasks_running"] > 0)
        await asyncio.sleep(5)
        save(window, "monitor")

        running = next(t for t in farm.client.tasks(1, 0)["tasks"] if t["state"] == "RUN")
        output = OutputWindow(client, 1, 0, running["num"])
        output.show()
        await asyncio.sleep(4)
        save(output, "task_output")
        output.close()

        graphs = ResourceGraphs(client, "render-a")
        graphs.show()
        await wait_for(lambda: len(graphs.times) >= 20, 60)
        await asyncio.sleep(1)
        save(graphs, "render_graphs")
        graphs.close()

        await wait_for(lambda: tray.state != "offline")
        tray.menu.popup(window.geometry().center())
        await asyncio.sleep(1)
        save(tray.menu, "tray_menu")
        tray.menu.close()
        window.close()
    finally:
        await tray.stop()
        await client.close()


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="corral-shots-") as folder:
        farm = LocalFarm(Path(folder))
        try:
            farm.start_server("--heartbeat", "0.5")
            farm.start_render("render-a", 2, "--heartbeat", "0.5")
            farm.start_render("render-b", 2, "--heartbeat", "0.5")
            for name, user in (
                ("shot010_comp", "ann"),
                ("shot020_light", "bob"),
                ("shot030_fx", "ann"),
            ):
                farm.client.submit(
                    numeric_job(
                        name,
                        LINES,
                        1,
                        40,
                        per_task=2,
                        user_name=user,
                        block_extra={"capacity": 500},
                    )
                )
            app = QApplication.instance() or QApplication([])
            app.setQuitOnLastWindowClosed(False)
            with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
                runner.run(shoot(farm))
        finally:
            farm.stop()
    write_section(SECTION, SECTION_TEXT)
    print(f"updated {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

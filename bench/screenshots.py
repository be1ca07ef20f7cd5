"""Screenshots for the README: each view of the monitor, light and dark, from a real small farm,
grabbed offscreen into docs/images/.

    .venv/bin/python -m bench.screenshots

The farm (bench/local_farm.py) is realistic: three users' jobs, one whose tasks fail and retry,
a 200-task block, a dependency chain (simulation, cache, render), two farm renders, one that
went offline and a workstation in NIMBY. Each view is opened on the qasync loop, waited for
until it shows live data and saved with QWidget.grab() in the light and the dark theme
(app/ui/theme.py). Then the README's screenshot table (between SHOTS_BEGIN and SHOTS_END) is
written again; the prose around it is the README's own.
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
from bench.readme import README  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SHOTS_BEGIN = "<!-- screenshots: written by bench/screenshots.py -->"
SHOTS_END = "<!-- /screenshots -->"
THEMES = ("light", "dark")
# image name -> what it shows, in README order
VIEWS = {
    "jobs": "Jobs: a failing job, a 200-task block, a dependency chain; the tasks below",
    "renders": "Renders by state: offline, NIMBY, busy, free",
    "users": "Users",
    "pools": "Pools",
    "task_output": "A running task's live output",
    "job_editor": "Editing a job in typed, grouped fields",
    "render_graphs": "A render's resource graphs",
    "tray_menu": "The tray menu",
}
LINES = "for i in $(seq 1 400); do echo frame @#@ line $i of 400; sleep 0.25; done"
FAILING = "echo rendering frame @#@; echo 'Error: texture /shows/tex/wall.tx missing'; exit 1"


async def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{predicate} not true within {timeout} s")
        await asyncio.sleep(0.1)


async def save(widget: QWidget, name: str) -> None:
    """The widget in each theme, as docs/images/NAME-THEME.png."""
    from app.ui.theme import apply_theme

    for theme in THEMES:
        apply_theme(theme)
        await asyncio.sleep(0.5)  # the palette reaches every widget, which repaints
        path = IMAGES / f"{name}-{theme}.png"
        widget.grab().save(str(path))
        print(f"saved {path.relative_to(ROOT)}")
    apply_theme(THEMES[0])


def fill(farm: LocalFarm) -> None:
    """Renders, users and jobs of a small studio's farm."""
    for name in ("render-a", "render-b"):
        farm.start_render(name, 2, "--heartbeat", "0.5")
    farm.start_render("old-box", 1)
    farm.start_render("ws-ann", 1, "--heartbeat", "0.5")
    for user in ("ann", "bob", "cat"):
        farm.client.add_user(user)
    submit = farm.client.submit
    submit(numeric_job("shot010_comp", LINES, 1, 40, per_task=2, user_name="ann"))
    retry = {"errors_retries": 3, "errors_task_same_host": 2, "errors_avoid_host": -1}
    submit(numeric_job("shot030_fx", FAILING, 1, 6, user_name="cat", block_extra=retry))
    submit(numeric_job("shot020_light", "sleep 20; echo frame @#@", 1, 200, user_name="bob"))
    submit(numeric_job("seq040_sim", "sleep 60", 1, 2, user_name="ann"))
    submit(numeric_job("seq040_cache", "true", 1, 5, user_name="ann", depend_mask="seq040_sim"))
    submit(numeric_job("seq040_render", "true", 1, 50, user_name="ann", depend_mask="seq040_cache"))


async def settle_farm(farm: LocalFarm) -> None:
    """The old render offline, the workstation in NIMBY, the failing job failing."""
    await wait_for(lambda: len(farm.client.renders()) == 4)
    farm.client.edit_render("ws-ann", {"user_name": "ann"})
    farm.client.renders_action("NIMBY", ["ws-ann"])
    farm.client.renders_action("exit", ["old-box"])
    await wait_for(lambda: farm.client.job(1)["tasks_running"] > 0)
    await wait_for(lambda: any(t["errors"] for t in farm.client.tasks(2, 0)["tasks"]), 60)


async def shoot(farm: LocalFarm) -> None:
    from app.render.config import RenderConfig
    from app.ui import main_window
    from app.ui.client import FarmClient
    from app.ui.graphs import ResourceGraphs
    from app.ui.job_dialog import JobDialog
    from app.ui.jobs_view import with_spec
    from app.ui.output_window import OutputWindow
    from app.ui.tray import TrayController

    await settle_farm(farm)
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
        await wait_for(lambda: window.jobs.model.rowCount() == 6)
        window.jobs.select_jobs([2])  # the failing job: its tasks below
        await asyncio.sleep(4)
        await save(window, "jobs")
        for tab, name in ((1, "renders"), (2, "users"), (3, "pools")):
            window.tabs.setCurrentIndex(tab)
            await asyncio.sleep(3 if name == "renders" else 1)
            await save(window, name)
        window.tabs.setCurrentIndex(0)

        running = next(t for t in farm.client.tasks(1, 0)["tasks"] if t["state"] == "RUN")
        output = OutputWindow(client, 1, 0, running["num"])
        output.show()
        await asyncio.sleep(4)
        await save(output, "task_output")
        output.close()

        job = with_spec(await client.job(3), await client.job_spec(3))
        editor = JobDialog(client, job)
        editor.resize(560, 760)
        editor.show()
        await asyncio.sleep(1)
        await save(editor, "job_editor")
        editor.close()

        graphs = ResourceGraphs(client, "render-a")
        graphs.resize(1000, 1300)
        graphs.show()
        await wait_for(lambda: len(graphs.times) >= 20, 60)
        await asyncio.sleep(1)
        await save(graphs, "render_graphs")
        graphs.close()

        await wait_for(lambda: tray.state != "offline")
        tray.menu.popup(window.geometry().center())
        await asyncio.sleep(1)
        await save(tray.menu, "tray_menu")
        tray.menu.close()
        window.close()
    finally:
        await tray.stop()
        await client.close()


def shots_table() -> str:
    """The README's screenshot table: one row per view, light and dark."""
    rows = ["| | light | dark |", "|---|---|---|"]
    for name, caption in VIEWS.items():
        images = " | ".join(f"![{caption}, {t}](docs/images/{name}-{t}.png)" for t in THEMES)
        rows.append(f"| {caption} | {images} |")
    return "\n".join([SHOTS_BEGIN, *rows, SHOTS_END])


def write_readme() -> None:
    text = README.read_text()
    start, end = text.index(SHOTS_BEGIN), text.index(SHOTS_END) + len(SHOTS_END)
    README.write_text(text[:start] + shots_table() + text[end:])


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="corral-shots-") as folder:
        farm = LocalFarm(Path(folder))
        try:
            farm.start_server("--heartbeat", "0.5")
            fill(farm)
            app = QApplication.instance() or QApplication([])
            app.setQuitOnLastWindowClosed(False)
            with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
                runner.run(shoot(farm))
        finally:
            farm.stop()
    write_readme()
    print(f"updated {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

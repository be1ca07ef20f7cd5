"""The tray controller in-process: its render joins the farm, the menu drives NIMBY, the icon
follows the state, the autostart entry comes and goes."""

from __future__ import annotations

from app.platform import autostart_entry
from app.render.config import RenderConfig
from app.ui.tray import TrayController
from tests.polling import until


def _controller(farm, client, tmp_path, name: str = "desk") -> TrayController:
    config = RenderConfig(
        server_url=farm.url,
        name=name,
        max_tasks=1,
        tmp_dir=tmp_path / "tasks",
        farm_secret=farm.farm_secret,
    )
    return TrayController(client, config, user="ann", autostart_path=tmp_path / "auto.desktop")


async def test_tray_runs_the_render_and_its_menu_flips_nimby(farm, client, tmp_path, qapp):
    tray = _controller(farm, client, tmp_path)
    states = []
    tray.state_changed.connect(states.append)
    assert tray.state == "offline"
    offline_icon = tray.icon.pixmap(16, 16).toImage()
    tray.start()
    try:
        await until(lambda: tray.state == "free")
        assert farm.client.render("desk")["online"]
        await until(lambda: farm.client.render("desk")["user_name"] == "ann")
        assert tray.icon.pixmap(16, 16).toImage() != offline_icon
        free_icon = tray.icon.pixmap(16, 16).toImage()

        tray.action("NIMBY: no jobs").trigger()
        await until(lambda: farm.client.render("desk")["nimby"] == "NIMBY")
        await until(lambda: tray.state == "NIMBY")
        assert tray.nimby_actions["NIMBY"].isChecked()
        assert tray.icon.pixmap(16, 16).toImage() != free_icon

        tray.action("Free").trigger()
        await until(lambda: tray.state == "free")
        assert farm.client.render("desk")["nimby"] == "free"
        assert states[:3] == ["free", "NIMBY", "free"]
    finally:
        await tray.stop()
    await until(lambda: not farm.client.render("desk")["online"])
    await until(lambda: tray.state == "offline")


async def test_autostart_entry_written_and_removed(farm, client, tmp_path, qapp):
    tray = _controller(farm, client, tmp_path)
    path = tmp_path / "auto.desktop"
    assert not tray.autostart_action.isChecked()
    tray.autostart_action.trigger()
    text = path.read_text()
    assert text == autostart_entry(farm.url)
    assert "[Desktop Entry]" in text and f"--server {farm.url} tray" in text
    assert _controller(farm, client, tmp_path).autostart_action.isChecked()
    tray.autostart_action.trigger()
    assert not path.exists()

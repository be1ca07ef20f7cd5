"""Custom resource meters end to end: `corral render --plugins DIR` loads a meter file, and its
readings reach the render's page and its resource history; a broken plugin next to it changes
nothing."""

from __future__ import annotations

import psutil

from tests.polling import wait_until

PLUGIN = """
from app.render.meters import Meter

class Answer(Meter):
    name = "answer"

    def __init__(self):
        self.calls = 0

    def update(self):
        self.calls += 1
        return {"value": 42, "max": 100, "label": f"answer {self.calls}",
                "colour": "#00ff00", "tooltip": "the answer"}
"""
BROKEN = """
from app.render.meters import Meter

class Broken(Meter):
    name = "broken"

    def update(self):
        raise RuntimeError("no sensor")
"""


def test_a_plugin_meter_reaches_the_render_and_its_history(farm, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "answer.py").write_text(PLUGIN)
    (plugins / "broken.py").write_text(BROKEN)
    (plugins / "bad_import.py").write_text("import no_such_module_for_corral\n")
    farm.start_server("--heartbeat", "0.5")
    farm.start_renders({"metered": None}, "--heartbeat", "0.5", "--plugins", str(plugins))

    def custom():
        return (farm.client.render("metered").get("resources") or {}).get("custom")

    latest = wait_until(custom, timeout=20)
    assert latest["answer.value"] == 42 and latest["answer.colour"] == "#00ff00"
    assert latest["answer.label"].startswith("answer ")
    assert not any(key.startswith("broken.") for key in latest)
    # Meters are read once per heartbeat: the label's count grows with the beats.
    later = wait_until(
        lambda: (c := custom()) and c["answer.label"] != latest["answer.label"] and c, timeout=10
    )
    assert int(later["answer.label"].split()[1]) > int(latest["answer.label"].split()[1])
    if psutil.disk_io_counters() is not None:  # the built-ins too (disk_io from the 2nd beat)
        assert "disk_io.value" in later

    samples = farm.client.render_resources("metered")
    with_meter = [s for s in samples if "answer.value" in (s.get("custom") or {})]
    assert with_meter and all(s["custom"]["answer.value"] == 42 for s in with_meter)
    log = farm.logs()
    assert "bad_import.py does not import" in log and "no sensor" in log
    assert log.count("no sensor") == 1  # logged once, not every beat

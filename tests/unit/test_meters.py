"""Custom resource meters: discovery (entry points, a plugins directory), what a broken plugin
costs (a log line, never the heartbeat), the built-in meters and the heartbeat's `custom`."""

from __future__ import annotations

import json
import logging
import time
from collections import namedtuple
from pathlib import Path

import psutil
import pytest

from app.render import meters
from app.render.meters import MeterReadings, check_reading, load_meters, plugin_dir_meters
from app.render.meters.cpu_temperature import CpuTemperature
from app.render.meters.disk_io import DiskIO
from app.render.meters.readings import MAX_CUSTOM_BYTES, BadReading
from app.render.resources import ResourceSampler
from app.server import render_messages as messages

GOOD = """
from app.render.meters import Meter

class Answer(Meter):
    name = "answer"

    def update(self):
        return {"value": 42, "max": 100, "label": "answer", "colour": "#00ff00",
                "tooltip": "the answer"}
"""
DUCK = """
class Duck:  # no base class: the interface is enough
    name = "duck"

    def update(self):
        return {"value": 1.5}
"""
BROKEN_IMPORT = "import no_such_module_for_corral_meters\n"
SYNTAX_ERROR = "class Oops(:\n"
RAISES = """
from app.render.meters import Meter

class Raises(Meter):
    name = "raises"

    def update(self):
        raise RuntimeError("sensor on fire")
"""
GARBAGE = """
from app.render.meters import Meter

class NotADict(Meter):
    name = "not_a_dict"

    def update(self):
        return [1, 2, 3]

class TextValue(Meter):
    name = "text_value"

    def update(self):
        return {"value": "hot", "max": 100}

class BadColour(Meter):
    name = "bad_colour"

    def update(self):
        return {"value": 3, "colour": "red"}

class NaN(Meter):
    name = "nan"

    def update(self):
        return {"value": float("nan")}

class BadName(Meter):
    name = "has.dot"

    def update(self):
        return {"value": 1}

class CannotBeMade(Meter):
    name = "cannot_be_made"

    def __init__(self, needed):
        pass
"""
NOTHING = "x = 1  # a file without meters\n"


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    for name, text in (
        ("good", GOOD),
        ("duck", DUCK),
        ("broken_import", BROKEN_IMPORT),
        ("syntax_error", SYNTAX_ERROR),
        ("raises", RAISES),
        ("garbage", GARBAGE),
        ("nothing", NOTHING),
    ):
        (tmp_path / f"{name}.py").write_text(text)
    (tmp_path / "notes.txt").write_text("not a plugin")
    return tmp_path


def warnings(caplog) -> list[str]:
    names = ("corral.render.meters", "corral.plugins")
    return [r.getMessage() for r in caplog.records if r.name in names]


def test_plugins_directory_good_and_broken(plugins, caplog):
    caplog.set_level(logging.WARNING)
    found = load_meters(plugins, installed=False)
    names = sorted(meter.name for meter in found)
    assert names == ["answer", "bad_colour", "duck", "nan", "not_a_dict", "raises", "text_value"]
    logged = "\n".join(warnings(caplog))
    expected = (
        "broken_import.py does not import",
        "syntax_error.py does not import",
        "bad name 'has.dot'",
        "cannot be made",
    )
    for what in expected:
        assert what in logged, logged

    caplog.clear()
    readings = MeterReadings(found)
    first, second = readings.read(), readings.read()
    assert (
        first
        == second
        == {
            "answer.value": 42,
            "answer.max": 100,
            "answer.label": "answer",
            "answer.colour": "#00ff00",
            "answer.tooltip": "the answer",
            "duck.value": 1.5,
            "duck.max": 100,
            "duck.label": "duck",
            "duck.colour": "#3080c0",
            "duck.tooltip": "",
        }
    )
    logged = warnings(caplog)
    assert len(logged) == 5, logged  # raises, not_a_dict, text_value, bad_colour, nan: once each
    assert any("sensor on fire" in line for line in logged)
    assert messages.heartbeat({"resources": {"custom": first}}) == {"custom": first}


def test_the_sampler_reads_meters_from_its_plugins_directory(plugins):
    sampler = ResourceSampler(nvidia_smi=None, plugins_dir=plugins)
    names = {meter.name for meter in sampler._meters.meters}
    assert {"answer", "duck", "cpu_temp", "disk_io"} <= names  # the built-ins come too
    for _ in range(2):
        sample = sampler.sample()
        assert sample["custom"]["answer.value"] == 42
        assert messages.heartbeat({"resources": sample}) == sample  # the server takes it


def test_no_meters_no_custom_key(tmp_path):
    sample = ResourceSampler(tmp_path, nvidia_smi=None, meters=[]).sample()
    assert "custom" not in sample


def test_the_sampler_loads_the_plugins_directory(plugins):
    sampler = ResourceSampler(nvidia_smi=None, plugins_dir=plugins)
    assert "answer" in {meter.name for meter in sampler._meters.meters}


def test_a_missing_plugins_directory_is_logged(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    assert plugin_dir_meters(tmp_path / "absent") == []
    assert "does not exist" in "\n".join(warnings(caplog))


def test_the_built_ins_are_entry_points():
    # Needs `pip install -e .` after pyproject.toml declared them.
    found = meters.entry_point_meters()
    assert {type(meter) for meter in found} >= {CpuTemperature, DiskIO}
    assert {"cpu_temp", "disk_io"} <= {meter.name for meter in load_meters()}
    assert len(load_meters()) == len({meter.name for meter in load_meters()})


def test_meters_cannot_push_the_heartbeat_over_its_limit():
    class Chatty:
        def __init__(self, number: int) -> None:
            self.name = f"chatty{number}"

        def update(self):
            return {"value": 1, "label": "x" * 500, "tooltip": "y" * 500}

    custom = MeterReadings([Chatty(n) for n in range(100)]).read()
    size = len(json.dumps(custom, separators=(",", ":")).encode())
    assert 0 < size <= MAX_CUSTOM_BYTES
    assert custom["chatty0.label"] == "x" * 64 and len(custom["chatty0.tooltip"]) == 256
    assert messages.heartbeat({"resources": {"custom": custom}})


@pytest.mark.parametrize(
    "answer",
    [
        [],
        "7",
        {"max": 3},
        {"value": True},
        {"value": 2**60},
        {"value": float("inf")},
        {"value": 1, "max": "10"},
        {"value": 1, "label": 5},
        {"value": 1, "colour": "#12345"},
        {"value": 1, "tooltip": None},
    ],
)
def test_bad_readings(answer):
    with pytest.raises(BadReading):
        check_reading("m", answer)


def test_nothing_to_report():
    assert check_reading("m", None) is None and check_reading("m", {}) is None


# -- built-ins ------------------------------------------------------------------------------------

Counters = namedtuple("Counters", "read_bytes write_bytes")


def test_disk_io_rates_from_counter_deltas(monkeypatch):
    now = [100.0]
    counters = [Counters(0, 0)]
    monkeypatch.setattr(psutil, "disk_io_counters", lambda: counters[0])
    meter = DiskIO(clock=lambda: now[0])
    assert meter.update() == {}  # the baseline
    now[0] += 2
    counters[0] = Counters(20 * 2**20, 10 * 2**20)
    reading = meter.update()
    assert reading["value"] == 15.0 and reading["max"] == 100.0
    assert "read 10.00 MB/s, write 5.00 MB/s" in reading["tooltip"]
    assert check_reading("disk_io", reading)
    now[0] += 0.01  # too soon: the same figure
    assert meter.update() == reading
    now[0] += 1
    counters[0] = Counters(10, 10)  # counters went back: no change, never negative
    assert meter.update()["value"] == 0
    now[0] += 1
    counters[0] = Counters(10 + 300 * 2**20, 10)
    assert meter.update()["max"] == 300.0  # the graph grows with the highest rate seen
    monkeypatch.setattr(psutil, "disk_io_counters", lambda: None)
    assert meter.update() == {}  # no disks: nothing


def test_disk_io_on_this_host_is_sane(tmp_path):
    meter = DiskIO()
    meter.update()
    with open(tmp_path / "data", "wb") as file:
        file.write(b"x" * 2**20)
        file.flush()
    time.sleep(0.2)
    reading = meter.update()
    if psutil.disk_io_counters() is None:
        assert reading == {}
        return
    checked = check_reading("disk_io", reading)
    assert 0 <= checked["value"] <= checked["max"] and checked["max"] >= 100
    assert checked["label"].startswith("disk ") and checked["label"].endswith(" MB/s")


Temp = namedtuple("Temp", "label current high critical")


def test_cpu_temperature_without_sensors(monkeypatch):
    monkeypatch.delattr(psutil, "sensors_temperatures", raising=False)
    assert CpuTemperature().update() == {}
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: {}, raising=False)
    assert CpuTemperature().update() == {}
    chips = {"nvme": [Temp("Composite", 40.0, 80.0, 90.0)]}  # no CPU chip
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: chips, raising=False)
    assert CpuTemperature().update() == {}


def test_cpu_temperature_reads_the_package_sensor_now_and_then(monkeypatch):
    calls = []
    chips = {
        "coretemp": [Temp("Core 0", 70.0, 80.0, 100.0), Temp("Package id 0", 55.0, 80.0, 100.0)]
    }

    def sensors():
        calls.append(1)
        return chips

    monkeypatch.setattr(psutil, "sensors_temperatures", sensors, raising=False)
    now = [0.0]
    meter = CpuTemperature(period=5, clock=lambda: now[0])
    reading = meter.update()
    assert reading["value"] == 55.0 and reading["max"] == 80.0
    assert reading["label"] == "CPU 55°C" and check_reading("cpu_temp", reading)
    now[0] = 1
    assert meter.update() == reading and len(calls) == 1  # cached between periods
    now[0] = 6
    meter.update()
    assert len(calls) == 2


def test_cpu_temperature_on_this_host_never_fails():
    reading = CpuTemperature().update()
    assert reading == {} or check_reading("cpu_temp", reading)

"""The resource graphs drawn from a recorded history: a clock on the time axis, human labels,
legends below their plots, CPU fixed to 0-100 %, the palette's colours, a time-range picker and
a hover readout."""

from __future__ import annotations

import time

from PyQt6.QtCore import QPointF
from PyQt6.QtGui import QPalette

from app.ui.clock_axis import ClockAxis
from app.ui.graphs import ResourceGraphs
from tests.ui.conftest import shown

START = 1_700_000_000.0


def history(count: int = 20, every: float = 3.0) -> list[dict]:
    """Heartbeat samples as `GET /renders/NAME/resources` answers them."""
    return [
        {
            "time": START + n * every,
            "cpu_user": 30.0,
            "cpu_nice": 1.0,
            "cpu_system": 5.0,
            "cpu_iowait": 2.0,
            "cpu_loadavg1": 1.0,
            "cpu_loadavg5": 0.8,
            "cpu_loadavg15": 0.5,
            "mem_total_mb": 8000,
            "mem_free_mb": 3000,
            "mem_cached_mb": 1000,
            "swap_used_mb": 10,
            "hdd_free_gb": 70.5,
            "hdd_rd_kbsec": 100.0,
            "hdd_wr_kbsec": 300.0,
            "net_recv_kbsec": 20.0,
            "net_send_kbsec": 40.0,
            "custom": {"disk_io.value": 0.4, "disk_io.label": f"disk {n}.0 MB/s"},
        }
        for n in range(count)
    ]


def graphs_of(client, qtbot, samples: list[dict]) -> ResourceGraphs:
    window = shown(qtbot, ResourceGraphs(client, "nobody"))  # no such render: no fetched samples
    window.add_samples(samples)
    qtbot.waitUntil(lambda: all(p.vb.width() > 0 for p in window.plots.values()))
    window.grab()  # lays out the legends
    return window


def legend_texts(window: ResourceGraphs, key: str) -> list[str]:
    legend = window.legends.get(key)
    return [label.text for _sample, label in legend.items] if legend else []


async def test_the_time_axis_shows_clock_times(client, qtbot):
    window = graphs_of(client, qtbot, history(every=0.5))  # ten seconds, heartbeats of 0.5 s
    axis = window.plots["cpu"].getAxis("bottom")
    low, high = axis.range
    ticks = {}  # value -> text, as the axis draws them
    for spacing, values in axis.tickValues(low, high, axis.width()):
        ticks.update(zip(values, axis.tickStrings(values, axis.scale, spacing), strict=True))
    assert len(ticks) >= 2
    for value, text in ticks.items():
        assert text == time.strftime("%H:%M:%S", time.localtime(value))


async def test_series_show_human_labels_and_meters_their_own(client, qtbot):
    window = graphs_of(client, qtbot, history())
    assert legend_texts(window, "cpu") == ["user", "nice", "system", "iowait"]
    assert legend_texts(window, "load") == ["1 min", "5 min", "15 min"]
    assert legend_texts(window, "memory") == ["used", "cached", "swap used"]
    assert legend_texts(window, "disk_io") == ["read", "write"]
    assert legend_texts(window, "disk") == []  # one series: the title says it
    assert window.plots["custom.disk_io"].titleLabel.text == "disk 19.0 MB/s"  # its last label
    shown_texts = [t for key in window.plots for t in legend_texts(window, key)]
    assert not [t for t in shown_texts if "_" in t or "." in t]


async def test_legends_sit_below_their_plots_in_the_palettes_colours(client, qtbot):
    window = graphs_of(client, qtbot, history())
    assert len(window.legends) >= 5
    for key, legend in window.legends.items():
        plot, below = window.plots[key].sceneBoundingRect(), legend.sceneBoundingRect()
        assert below.top() >= plot.bottom() - 1 and below.left() < plot.right(), key
        next_plots = [p for p in window.plots.values() if p.sceneBoundingRect().top() > plot.top()]
        assert all(below.bottom() <= p.sceneBoundingRect().top() + 1 for p in next_plots), key
    text = window.palette().color(QPalette.ColorRole.Text)
    assert window.layout_widget.backgroundBrush().color() == window.palette().color(
        QPalette.ColorRole.Base
    )
    assert window.plots["cpu"].getAxis("left").textPen().color() == text


async def test_cpu_is_fixed_to_100_and_one_plot_per_quantity(client, qtbot):
    samples = history()
    for sample in samples:
        sample["gpu"] = {"util": 50.0, "temp": 70.0}
    window = graphs_of(client, qtbot, samples)
    assert window.plots["cpu"].vb.viewRange()[1] == [0.0, 100.0]
    assert window.plots["gpu"].titleLabel.text == "GPU use (%)"
    assert window.plots["gpu_temp"].titleLabel.text == "GPU temperature (°C)"


async def test_the_range_picker_and_the_hover_readout(client, qtbot):
    window = graphs_of(client, qtbot, history(count=200, every=3.0))  # ten minutes
    window.range_box.setCurrentText("Last 5 minutes")
    low, high = window.plots["memory"].vb.viewRange()[0]
    assert (low, high) == (window.times[-1] - 300, window.times[-1])
    window.range_box.setCurrentText("All")
    low, high = window.plots["memory"].vb.viewRange()[0]
    assert low <= window.times[0] and high >= window.times[-1]
    text = window.readout_at("memory", START + 31.0)  # nearest sample: START + 30
    clock = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(START + 30))
    assert text == f"{clock}  Memory and swap used (MB): used 5000.0, cached 1000.0, swap used 10.0"
    plot = window.plots["cpu"]
    middle = plot.vb.mapViewToScene(QPointF(START + 300, 50))
    window._hover(middle)
    assert window.readout.text().startswith(
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(START + 300))
    )
    assert "user 30.0, nice 1.0, system 5.0, iowait 2.0" in window.readout.text()


def test_an_hour_is_ticked_on_round_minutes_in_hours_and_minutes():
    axis = ClockAxis()
    [(step, offset)] = axis.tickSpacing(START, START + 3600, 840)
    assert (step, offset) == (300, 0)  # twelve ticks fit 840 pixels
    assert axis.tickStrings([START + 600], 1, step) == [
        time.strftime("%H:%M", time.localtime(START + 600))
    ]

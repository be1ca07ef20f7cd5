"""The resource graphs drawn from a recorded history: a clock on the time axis, human labels,
legends inside their plots."""

from __future__ import annotations

import time

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
    legend = window.plots[key].legend
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


async def test_legends_fit_inside_their_plots(client, qtbot):
    window = graphs_of(client, qtbot, history())
    legends = [plot for plot in window.plots.values() if plot.legend is not None]
    assert len(legends) >= 5
    for plot in legends:
        inside = plot.vb.sceneBoundingRect()
        legend = plot.legend.sceneBoundingRect()
        assert inside.contains(legend), (plot.titleLabel.text, inside, legend)


def test_an_hour_is_ticked_on_round_minutes_in_hours_and_minutes():
    axis = ClockAxis()
    [(step, offset)] = axis.tickSpacing(START, START + 3600, 840)
    assert (step, offset) == (300, 0)  # twelve ticks fit 840 pixels
    assert axis.tickStrings([START + 600], 1, step) == [
        time.strftime("%H:%M", time.localtime(START + 600))
    ]

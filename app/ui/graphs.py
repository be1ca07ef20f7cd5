"""A render's resource graphs: its heartbeat history (`GET /renders/NAME/resources`) in pyqtgraph.

The window fetches the whole history once, then every REFRESH_PERIOD seconds only the samples
newer than the last one it has (`since=`). A plot appears when one of its series first has a
number, so a host without GPU or custom meters shows neither. CPU is stacked: user, nice,
system and iowait, each curve the sum of those below it, filled down to zero. Series carry the
labels of app/ui/resource_labels.py (a custom meter's plot is titled with its meter's last
label); one plot per quantity, its unit in its title, CPU fixed to 0-100 %; a plot of several
series has its legend on a row below it, the time axis a clock (app/ui/clock_axis.py). Colours
follow the palette (light or dark). A range picker shows the last minutes or all the history;
the mouse over a plot shows its values at that time in the readout line above.
"""

from __future__ import annotations

import bisect
import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QTimer
from PyQt6.QtGui import QPalette
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.ui.client import FarmClient
from app.ui.clock_axis import ClockAxis
from app.ui.resource_labels import label, meter_labels, meter_of

REFRESH_PERIOD = 3.0
MAX_SAMPLES = 4000  # more than the server's hour of history at one sample per second
COLOURS = ("#4c9f5a", "#3a7dd8", "#d6453f", "#e6962a", "#8e5cc2", "#2aa7a7", "#999999")

# plot key -> (title, series); custom meters add their own plots ("custom.<meter>").
PLOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cpu": (
        "CPU % (user, nice, system, iowait)",
        ("cpu_user", "cpu_nice", "cpu_system", "cpu_iowait"),
    ),
    "load": ("Load average", ("cpu_loadavg1", "cpu_loadavg5", "cpu_loadavg15")),
    "memory": ("Memory and swap used (MB)", ("mem_used_mb", "mem_cached_mb", "swap_used_mb")),
    "disk": ("Disk free (GB)", ("hdd_free_gb",)),
    "disk_io": ("Disk IO (KB/s)", ("hdd_rd_kbsec", "hdd_wr_kbsec")),
    "network": ("Network (KB/s)", ("net_recv_kbsec", "net_send_kbsec")),
    "gpu": ("GPU use (%)", ("gpu.util",)),
    "gpu_temp": ("GPU temperature (°C)", ("gpu.temp",)),
    "gpu_memory": ("GPU memory used (MB)", ("gpu.mem_used_mb",)),
}
STACKED = frozenset({"cpu"})
PERCENT = frozenset({"cpu", "gpu"})  # fixed to 0-100 %
RANGES = (("All", None), ("Last 5 minutes", 300), ("Last 15 minutes", 900), ("Last hour", 3600))


def flatten(sample: dict) -> dict[str, float]:
    """The sample's numbers by series name ("gpu.util", "custom.<meter>.value", ...)."""
    flat: dict[str, float] = {}
    for key, value in sample.items():
        if isinstance(value, dict):
            for sub, number in value.items():
                if _is_number(number):
                    flat[f"{key}.{sub}"] = float(number)
        elif _is_number(value):
            flat[key] = float(value)
    if "mem_used_mb" not in flat and {"mem_total_mb", "mem_free_mb"} <= flat.keys():
        flat["mem_used_mb"] = flat["mem_total_mb"] - flat["mem_free_mb"]
    return flat


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class ResourceGraphs(QWidget):
    """The graphs of one render, refreshed incrementally while the window exists."""

    def __init__(self, client: FarmClient, render_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.client = client
        self.render_name = render_name
        self.setWindowTitle(f"{render_name}: resources")
        self.resize(900, 900)
        self.times: list[float] = []
        self.series: dict[str, list[float]] = {}  # name -> values, NaN where missing
        self.meter_labels: dict[str, str] = {}  # custom meter -> the label it last declared
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}  # plot key -> its legend (several series)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.layout_widget = pg.GraphicsLayoutWidget()
        colours = self.palette()
        self.text_colour = colours.color(QPalette.ColorRole.Text)
        self.layout_widget.setBackground(colours.color(QPalette.ColorRole.Base))
        self.layout_widget.scene().sigMouseMoved.connect(self._hover)
        self.range_box = QComboBox()
        for text, seconds in RANGES:
            self.range_box.addItem(text, seconds)
        self.range_box.currentIndexChanged.connect(lambda _: self._show_range())
        self.readout = QLabel()
        self.readout.setTextInteractionFlags(
            self.readout.textInteractionFlags().TextSelectableByMouse
        )
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.range_box)
        top.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.layout_widget)
        self._fetching = False
        self._timer = QTimer(self, interval=round(REFRESH_PERIOD * 1000))
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    @property
    def since(self) -> float | None:
        return self.times[-1] if self.times else None

    def refresh(self) -> None:
        if not self._fetching:
            self._fetching = True
            self.client.call(self._fetch(), self.add_samples)

    async def _fetch(self) -> list[dict]:
        try:
            return await self.client.render_resources(self.render_name, self.since)
        finally:
            self._fetching = False

    def add_samples(self, samples: list[dict]) -> None:
        since = self.since
        samples = [s for s in samples if since is None or s.get("time", 0) > since]
        if not samples:
            return
        for sample in samples:
            flat = flatten(sample)
            self.meter_labels.update(meter_labels(sample))
            count = len(self.times)
            for name in flat.keys() - self.series.keys():
                self.series[name] = [math.nan] * count
            for name, values in self.series.items():
                values.append(flat.get(name, math.nan))
            self.times.append(float(sample["time"]))
        if len(self.times) > MAX_SAMPLES:
            del self.times[:-MAX_SAMPLES]
            for values in self.series.values():
                del values[:-MAX_SAMPLES]
        self._draw()

    # -- drawing -------------------------------------------------------------------------------

    def _plot_specs(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        custom = {
            name.removesuffix(".value"): (label(name, self.meter_labels), (name,))
            for name in sorted(self.series)
            if meter_of(name) is not None
        }
        return {**PLOTS, **custom}

    def _draw(self) -> None:
        x = np.array(self.times)
        for key, (title, names) in self._plot_specs().items():
            present = [n for n in names if n in self.series and self._has_numbers(n)]
            if not present:
                continue
            plot = self.plots.get(key) or self._add_plot(key, title, len(names))
            if plot.titleLabel.text != title:  # a meter's label changes with its value
                plot.setTitle(title, color=self.text_colour)
            values = [np.array(self.series.get(n, [])) for n in names if n in self.series]
            if key in STACKED:
                values = list(np.cumsum(np.nan_to_num(np.array(values)), axis=0))
            for colour, name, y in zip(
                COLOURS, [n for n in names if n in self.series], values, strict=False
            ):
                curve = self.curves.get(name) or self._add_curve(plot, name, colour, key)
                curve.setData(x, y, connect="finite")
        self._show_range()

    def _show_range(self) -> None:
        """The picked time range on every plot (their x axes are linked)."""
        seconds = self.range_box.currentData()
        first = next(iter(self.plots.values()), None)
        if first is None or not self.times:
            return
        start = self.times[0] if seconds is None else self.times[-1] - seconds
        first.setXRange(start, self.times[-1], padding=0)

    def readout_at(self, key: str, moment: float) -> str:
        """The text of a plot's values at the sample nearest a moment: time, then each series."""
        if not self.times:
            return ""
        at = min(bisect.bisect_left(self.times, moment), len(self.times) - 1)
        if at and moment - self.times[at - 1] < self.times[at] - moment:
            at -= 1
        _title, names = self._plot_specs()[key]
        values = [
            f"{label(n, self.meter_labels)} {self.series[n][at]:.1f}"
            for n in names
            if n in self.series and not math.isnan(self.series[n][at])
        ]
        clock = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.times[at]))
        return f"{clock}  {self.plots[key].titleLabel.text}: {', '.join(values)}"

    def _hover(self, position: QPointF) -> None:
        for key, plot in self.plots.items():
            if plot.sceneBoundingRect().contains(position):
                moment = plot.vb.mapSceneToView(position).x()
                self.readout.setText(self.readout_at(key, moment))
                return

    def _has_numbers(self, name: str) -> bool:
        return any(not math.isnan(v) for v in self.series[name])

    def _add_plot(self, key: str, title: str, series: int) -> pg.PlotItem:
        """A plot on the next row, its legend (several series) on the row below."""
        row = 2 * len(self.plots)
        plot = self.layout_widget.addPlot(row=row, col=0, axisItems={"bottom": ClockAxis()})
        plot.setTitle(title, color=self.text_colour)
        for side in ("left", "bottom"):
            plot.getAxis(side).setTextPen(self.text_colour)
        if series > 1:  # a single series is named by the title
            legend = pg.LegendItem(colCount=series, labelTextColor=self.text_colour)
            self.layout_widget.addItem(legend, row=row + 1, col=0)
            self.legends[key] = legend
        if key in PERCENT:
            plot.setYRange(0, 100, padding=0)
            plot.setLimits(yMin=0, yMax=100)
            plot.enableAutoRange(axis="y", enable=False)
        plot.showGrid(x=True, y=True, alpha=0.2)
        if self.plots:
            plot.setXLink(next(iter(self.plots.values())))
        self.plots[key] = plot
        return plot

    def _add_curve(self, plot: pg.PlotItem, name: str, colour: str, key: str) -> pg.PlotDataItem:
        text = label(name, self.meter_labels)
        if key in STACKED:  # the higher sums first, so lower ones are drawn over them
            fill = pg.mkColor(colour)
            fill.setAlpha(160)
            curve = plot.plot(name=text, pen=pg.mkPen(colour), fillLevel=0, brush=fill)
            curve.setZValue(-len(self.curves))
        else:
            curve = plot.plot(name=text, pen=pg.mkPen(colour, width=1.5))
        if key in self.legends:
            self.legends[key].addItem(curve, text)
        self.curves[name] = curve
        return curve

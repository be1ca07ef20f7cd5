"""Custom resource meters: small plugins whose figures ride along in every render heartbeat.

Afanasy calls them custom resources. A meter is a class with a short
`name` (letters, digits, `_` and `-`, at most 32 characters) and an `update()` method that
answers a dict (an empty dict or None: nothing to report this time, e.g. no sensor):

    value    a number (the figure shown)          required
    max      a number (the top of its graph)      default 100
    label    text shown on the meter              default: the meter's name (at most 64 chars)
    colour   "#rrggbb"                            default "#3080c0"
    tooltip  text                                 default "" (at most 256 chars)

The render makes one instance of each meter when it starts and calls `update()` once per
heartbeat, on the event loop: keep it cheap (no sleeping, no subprocess; cache a slow reading and
refresh it every few seconds instead). For example, a file `loadmeter.py` in the plugins
directory:

    import os
    from app.render.meters import Meter

    class LoadMeter(Meter):
        name = "load1"

        def update(self) -> dict:
            load = os.getloadavg()[0]
            cores = os.cpu_count() or 1
            return {"value": load, "max": cores, "label": f"load {load:.1f}",
                    "colour": "#c04040", "tooltip": f"1 min load on {cores} cores"}

Subclassing `Meter` is optional: any class with a `name` text and an `update()` method will do.

Meters are found in two places (`load_meters`):
- installed packages that declare entry points in the group `corral.meters` (the built-ins
  `cpu_temp` and `disk_io` are declared in Corral's own pyproject.toml), and
- every `*.py` file in the render's plugins directory (`corral render --plugins DIR`).

A broken meter never breaks the heartbeat: a file that does not import, a class that cannot be
made, an `update()` that raises or answers the wrong types is logged once and skipped.

On the wire (docs/protocol.md) the server accepts `resources.custom` as an object of plain values
one level deep, so each meter's reading is flattened into `"<name>.<field>"` keys:
`{"disk_io.value": 12.5, "disk_io.max": 100, "disk_io.label": "disk 12.5 MB/s", ...}`.
"""

from __future__ import annotations

from app.render.meters.base import Meter
from app.render.meters.discovery import (
    ENTRY_POINT_GROUP,
    entry_point_meters,
    load_meters,
    plugin_dir_meters,
)
from app.render.meters.readings import MeterReadings, check_reading

__all__ = [
    "ENTRY_POINT_GROUP",
    "Meter",
    "MeterReadings",
    "check_reading",
    "entry_point_meters",
    "load_meters",
    "plugin_dir_meters",
]

"""Finding meters: entry points in the group `corral.meters` and `*.py` files in a directory.

Discovery runs once, when the render starts (ResourceSampler). Whatever goes wrong with one
plugin (it does not import, has no meter class, its class cannot be made, its name is bad or
taken) is logged and that plugin is skipped; the others load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from app.plugins import directory_classes, entry_point_objects
from app.render.meters.base import NAME_PATTERN, is_meter, is_meter_class

log = logging.getLogger("corral.render.meters")

ENTRY_POINT_GROUP = "corral.meters"
_MODULE_PREFIX = "corral_meter_plugins"  # sys.modules names of plugin files


def load_meters(plugins_dir: str | Path | None = None, *, installed: bool = True) -> list[Any]:
    """One instance of every meter: installed ones (entry points, then the built-ins when this
    Corral is not installed with its metadata, e.g. a frozen binary), then the plugins
    directory's. A name already taken is logged and skipped."""
    found: list[Any] = []
    if installed:
        found += entry_point_meters()
        found += _builtins_missing(found)
    if plugins_dir is not None:
        found += plugin_dir_meters(plugins_dir)
    meters, names = [], set()
    for meter in found:
        if meter.name in names:
            log.warning("meter %r: a meter of that name is loaded already; skipped", meter.name)
            continue
        names.add(meter.name)
        meters.append(meter)
    return meters


def entry_point_meters(group: str = ENTRY_POINT_GROUP) -> list[Any]:
    """Meters declared as entry points (`name = "package.module:Class"`)."""
    meters = []
    for obj, where in entry_point_objects(group):
        meter = _instance(obj, where)
        if meter is not None:
            meters.append(meter)
    return meters


def plugin_dir_meters(directory: str | Path) -> list[Any]:
    """Meters from every `*.py` file in directory (sorted by file name), each file imported by
    path; every meter class a file defines is made once."""
    meters = []
    for cls, path in directory_classes(directory, _MODULE_PREFIX, is_meter_class):
        meter = _instance(cls, f"{cls.__name__} in {path}")
        if meter is not None:
            meters.append(meter)
    return meters


def _instance(obj: object, where: str):
    """A meter from a class (made with no arguments) or an object that is one already."""
    try:
        meter = obj() if isinstance(obj, type) else obj
    except Exception as error:
        log.warning("meter %s cannot be made: %s: %s; skipped", where, type(error).__name__, error)
        return None
    if not is_meter(meter):
        log.warning("meter %s has no `name` text and `update()` method; skipped", where)
        return None
    if not NAME_PATTERN.fullmatch(meter.name):
        log.warning(
            "meter %s: bad name %r (letters, digits, _ and -, at most 32); skipped",
            where,
            meter.name,
        )
        return None
    return meter


def _builtins_missing(found: list[Any]) -> list[Any]:
    """The built-in meters that entry points did not give (Corral not installed as a package)."""
    from app.render.meters.cpu_temperature import CpuTemperature
    from app.render.meters.disk_io import DiskIO

    have = {type(meter) for meter in found}
    return [
        meter
        for cls in (CpuTemperature, DiskIO)
        if cls not in have and (meter := _instance(cls, cls.__name__)) is not None
    ]

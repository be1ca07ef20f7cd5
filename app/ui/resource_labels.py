"""Human labels of a render's resource fields, the one table every view that names them uses.

A heartbeat's fields (docs/protocol.md) keep their wire names; a custom meter's series
("custom.<meter>.value") is labelled with the `label` its meter declares in its reading
(app/render/meters), or the meter's name before any reading has one.
"""

from __future__ import annotations

LABELS = {
    "cpu_user": "user",
    "cpu_nice": "nice",
    "cpu_system": "system",
    "cpu_iowait": "iowait",
    "cpu_loadavg1": "1 min",
    "cpu_loadavg5": "5 min",
    "cpu_loadavg15": "15 min",
    "mem_used_mb": "used",
    "mem_cached_mb": "cached",
    "swap_used_mb": "swap used",
    "hdd_free_gb": "free",
    "hdd_rd_kbsec": "read",
    "hdd_wr_kbsec": "write",
    "net_recv_kbsec": "received",
    "net_send_kbsec": "sent",
    "gpu.util": "use %",
    "gpu.temp": "°C",
    "gpu.mem_used_mb": "used",
}
CUSTOM = "custom."


def meter_of(name: str) -> str | None:
    """The meter of a custom series ("custom.disk_io.value" -> "disk_io"), else None."""
    if name.startswith(CUSTOM) and name.endswith(".value"):
        return name[len(CUSTOM) : -len(".value")]
    return None


def meter_labels(sample: dict) -> dict[str, str]:
    """The labels the sample's custom meters declare, by meter name."""
    custom = sample.get("custom")
    if not isinstance(custom, dict):
        return {}
    return {
        key.removesuffix(".label"): text
        for key, text in custom.items()
        if key.endswith(".label") and isinstance(text, str) and text
    }


def label(name: str, meters: dict[str, str] | None = None) -> str:
    """The field's label; a custom series its meter's label (`meter_labels`)."""
    meter = meter_of(name)
    if meter is not None:
        return (meters or {}).get(meter, meter)
    return LABELS.get(name, name)

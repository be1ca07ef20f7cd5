"""What a render reports about its host with every heartbeat (docs/protocol.md, `resources`).

`ResourceSampler.sample()` answers a flat dict of numbers (a few texts, one list of texts and one
nested `gpu` object). It is cheap (well under a millisecond of psutil calls) and never blocks:

- CPU percentages, disk and network rates are deltas since the previous `sample()` (the first
  since the sampler was made), never `psutil.cpu_times_percent(interval)`, which sleeps.
- psutil fields are read by name with defaults (`getattr`): they differ between platforms and
  psutil 8 reorders them. A field this platform does not have is reported as None.
- NVIDIA GPUs are read with `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`, a process
  that can take a second or hang with a sick driver. It never runs inside `sample()`: `sample()`
  reports the last value read, and when that is older than `gpu_period` and an event loop is
  running it starts `refresh_gpu()` as a background task (an asyncio subprocess with a timeout).
  So the first heartbeat has no GPU figures, the next ones have figures at most one period old,
  and a GPU figure older than `gpu_max_age` is dropped. Without nvidia-smi there is no `gpu` key.
- Custom resource meters (app/render/meters: entry points `corral.meters` and the plugins
  directory) are found once, when the sampler is made, and each is read once per `sample()`;
  their readings go under `custom` (no `custom` key when no meter reports anything).

Nothing in here raises: a figure that cannot be read is None (or left out, for the GPU), because
a heartbeat must go out whatever psutil thinks of this platform.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from app.render import meters as custom_meters

log = logging.getLogger("corral.render.resources")

MB = 2**20
GB = 2**30

# CPU time fields reported as percentages; the second name is Windows' (psutil < 8) for irq.
CPU_FIELDS = {
    "cpu_user": ("user",),
    "cpu_nice": ("nice",),
    "cpu_system": ("system",),
    "cpu_idle": ("idle",),
    "cpu_iowait": ("iowait",),
    "cpu_irq": ("irq", "interrupt"),
    "cpu_softirq": ("softirq",),
}
_MIN_RATE_TIME = 0.05  # seconds between samples needed for disk and network rates
_RATE_KEYS = ("hdd_rd_kbsec", "hdd_wr_kbsec", "hdd_busy", "net_recv_kbsec", "net_send_kbsec")
_MIN_CPU_TIME = 0.05  # seconds of CPU time (all cores) needed for meaningful percentages
# Linux counts guest time inside user and nice already; do not count it twice in the total.
_GUEST_FIELDS = ("guest", "guest_nice")

# The nvidia-smi query: the name last, because a product name may contain a comma.
GPU_QUERY = (
    "index",
    "utilization.gpu",
    "memory.total",
    "memory.used",
    "memory.free",
    "temperature.gpu",
    "name",
)
NVIDIA_SMI_ARGS = (f"--query-gpu={','.join(GPU_QUERY)}", "--format=csv,noheader,nounits")

_FIND = "find"  # ResourceSampler(nvidia_smi=...): look it up on PATH


class ResourceSampler:
    """Host figures for the heartbeat: call `sample()` once per heartbeat."""

    def __init__(
        self,
        disk_path: str | Path | None = None,
        *,
        nvidia_smi: str | None = _FIND,
        gpu_period: float = 5.0,
        gpu_timeout: float = 10.0,
        gpu_max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        meters: list | None = None,
        plugins_dir: str | Path | None = None,
    ) -> None:
        """meters: the custom meters to read (None: discover them, the plugins directory being
        plugins_dir, else the one `corral render --plugins` set)."""
        self.disk_path = str(disk_path) if disk_path is not None else tempfile.gettempdir()
        self.nvidia_smi = shutil.which("nvidia-smi") if nvidia_smi == _FIND else nvidia_smi
        self.gpu_period = gpu_period
        self.gpu_timeout = gpu_timeout
        self.gpu_max_age = gpu_max_age
        self._clock = clock
        self._cpu_count = _safe(psutil.cpu_count) or 1
        self._gpus: list[dict] = []  # the last nvidia-smi answer, one dict per GPU
        self._gpu_time = -math.inf  # when it was read
        self._gpu_started = -math.inf  # when the last refresh started
        self._gpu_task: asyncio.Task | None = None
        self._failed: set[str] = set()  # figures that failed once (logged once)
        # Baselines for the deltas. Until two samples exist the CPU figures are the averages
        # since boot, which is a fair first answer.
        self._rate_time = clock()
        self._cpu = self._guard("cpu_times", psutil.cpu_times)
        self._cpu_percent = _cpu_percentages(None, self._cpu)
        self._disk = self._guard("disk_io_counters", psutil.disk_io_counters)
        self._net = self._guard("net_io_counters", _network_counters)
        self._rates: dict[str, float | None] = {}
        if meters is None:
            found = self._guard("meters", _discover_meters, plugins_dir)
            meters = found or []
        self._meters = custom_meters.MeterReadings(meters)

    def sample(self) -> dict[str, Any]:
        """The host's figures now (see docs/protocol.md for every key)."""
        now = self._clock()
        out: dict[str, Any] = {"cpu_count": self._cpu_count, "cpu_mhz": self._cpu_mhz()}
        out.update(self._cpu_sample())
        out.update(self._load())
        out.update(self._memory())
        out.update(self._disk_space())
        out.update(self._io_rates(now))
        out["logged_in_users"] = self._users()
        self._start_gpu_refresh(now)
        out.update(self._gpu_figures(now))
        custom = self._guard("custom meters", self._meters.read)
        if custom:
            out["custom"] = custom
        return out

    # -- CPU and memory ------------------------------------------------------------------------

    def _cpu_sample(self) -> dict[str, float | None]:
        times = self._guard("cpu_times", psutil.cpu_times)
        if times is not None and self._cpu is None:
            self._cpu = times  # cpu_times failed before: a new baseline
        elif times is not None:
            percent = _cpu_percentages(self._cpu, times)
            if percent is not None:  # None: too little time passed; keep figures and baseline
                self._cpu_percent, self._cpu = percent, times
        return dict(self._cpu_percent or dict.fromkeys(CPU_FIELDS))

    def _cpu_mhz(self) -> int | None:
        freq = self._guard("cpu_freq", psutil.cpu_freq)
        current = getattr(freq, "current", None)
        return round(current) if isinstance(current, int | float) and current > 0 else None

    def _load(self) -> dict[str, float | None]:
        load = self._guard("getloadavg", psutil.getloadavg)
        if not load or len(load) != 3:
            return dict.fromkeys(("cpu_loadavg1", "cpu_loadavg5", "cpu_loadavg15"))
        return {
            "cpu_loadavg1": round(load[0], 2),
            "cpu_loadavg5": round(load[1], 2),
            "cpu_loadavg15": round(load[2], 2),
        }

    def _memory(self) -> dict[str, int | None]:
        memory = self._guard("virtual_memory", psutil.virtual_memory)
        swap = self._guard("swap_memory", psutil.swap_memory)
        available = _mb(memory, "available")
        return {
            "mem_total_mb": _mb(memory, "total"),
            "mem_free_mb": available,  # what new processes get without swapping (need_memory)
            "mem_available_mb": available,
            "mem_unused_mb": _mb(memory, "free"),  # not used at all, not even as cache
            "mem_cached_mb": _mb(memory, "cached"),
            "mem_buffers_mb": _mb(memory, "buffers"),
            "swap_total_mb": _mb(swap, "total"),
            "swap_used_mb": _mb(swap, "used"),
        }

    # -- disks, network, users -----------------------------------------------------------------

    def _disk_space(self) -> dict[str, Any]:
        usage = self._guard("disk_usage", psutil.disk_usage, self.disk_path)
        return {
            "hdd_path": self.disk_path,
            "hdd_total_gb": _gb(usage, "total"),
            "hdd_free_gb": _gb(usage, "free"),  # need_hdd
        }

    def _io_rates(self, now: float) -> dict[str, float | None]:
        """Disk and network rates since the last reading that was long enough ago."""
        elapsed = now - self._rate_time
        if elapsed < _MIN_RATE_TIME:  # too short to measure: the previous figures (or unknown)
            return dict(self._rates) if self._rates else dict.fromkeys(_RATE_KEYS)
        disk = self._guard("disk_io_counters", psutil.disk_io_counters)
        net = self._guard("net_io_counters", _network_counters)
        rates = {
            "hdd_rd_kbsec": _rate(self._disk, disk, "read_bytes", elapsed),
            "hdd_wr_kbsec": _rate(self._disk, disk, "write_bytes", elapsed),
            "hdd_busy": _busy(self._disk, disk, elapsed),
            "net_recv_kbsec": _rate(self._net, net, "bytes_recv", elapsed),
            "net_send_kbsec": _rate(self._net, net, "bytes_sent", elapsed),
        }
        self._disk, self._net, self._rates, self._rate_time = disk, net, rates, now
        return dict(rates)

    def _users(self) -> list[str]:
        users = self._guard("users", psutil.users) or []
        return sorted({str(getattr(user, "name", "")) for user in users} - {""})

    # -- GPU -----------------------------------------------------------------------------------

    def _start_gpu_refresh(self, now: float) -> None:
        """Start reading nvidia-smi in the background when the last reading is old."""
        if self.nvidia_smi is None or now - self._gpu_started < self.gpu_period:
            return
        if self._gpu_task is not None and not self._gpu_task.done():
            return  # the last one is still running (and has its own timeout)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: whoever samples must await refresh_gpu() themselves
        self._gpu_started = now
        self._gpu_task = loop.create_task(self.refresh_gpu())

    async def refresh_gpu(self) -> None:
        """Run nvidia-smi once (off the event loop's back) and keep what it says."""
        if self.nvidia_smi is None:
            return
        self._gpu_started = self._clock()
        try:
            proc = await asyncio.create_subprocess_exec(
                self.nvidia_smi,
                *NVIDIA_SMI_ARGS,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), self.gpu_timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                self._log_once("nvidia-smi", f"did not answer within {self.gpu_timeout} s")
                return
        except (OSError, ValueError) as error:
            self._log_once("nvidia-smi", str(error))
            return
        gpus = parse_nvidia_smi(out.decode("utf-8", errors="replace"))
        if gpus:
            self._gpus, self._gpu_time = gpus, self._clock()
        else:
            self._log_once("nvidia-smi", f"no GPU in its answer (exit {proc.returncode})")

    def _gpu_figures(self, now: float) -> dict[str, Any]:
        if not self._gpus or now - self._gpu_time > self.gpu_max_age:
            return {}
        return gpu_resources(self._gpus)

    # -- helpers -------------------------------------------------------------------------------

    def _guard(self, what: str, function: Callable, *args):
        """function(*args), or None (logged once per figure) when it fails."""
        try:
            return function(*args)
        except Exception as error:  # psutil raises platform-specific errors; never fail a beat
            self._log_once(what, f"{type(error).__name__}: {error}")
            return None

    def _log_once(self, what: str, text: str) -> None:
        if what not in self._failed:
            self._failed.add(what)
            log.warning("cannot read %s: %s (reported as unknown)", what, text)


def _discover_meters(plugins_dir: str | Path | None) -> list:
    return custom_meters.load_meters(plugins_dir)


def parse_nvidia_smi(text: str) -> list[dict[str, Any]]:
    """GPUs from `nvidia-smi --query-gpu=<GPU_QUERY> --format=csv,noheader,nounits`.

    One line per GPU, fields separated by ", " in GPU_QUERY order, memory in MiB, utilisation in
    %, temperature in °C; a field the GPU does not support reads "[N/A]" or "[Not Supported]"
    (None here). Lines that are not GPU lines (driver errors go to stdout too) are skipped.
    """
    gpus = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < len(GPU_QUERY):
            continue
        index, util, total, used, free, temp = (_number(part) for part in parts[:6])
        name = ", ".join(parts[6:])
        if index is None or index < 0 or total is None:
            continue
        if free is None and used is not None:
            free = max(total - used, 0)
        gpus.append(
            {
                "index": int(index),
                "name": name,
                "util": util,
                "mem_total_mb": total,
                "mem_used_mb": used,
                "mem_free_mb": free,
                "temp": temp,
            }
        )
    return gpus


def gpu_resources(gpus: list[dict[str, Any]]) -> dict[str, Any]:
    """The heartbeat's GPU keys: `gpu` describes the first GPU (as Afanasy does) and how many
    there are; `gpu_mem_free_mb` is the most free memory on any one GPU, which is what a task
    that needs one GPU can get (need_gpu_mem_mb)."""
    if not gpus:
        return {}
    first = min(gpus, key=lambda gpu: gpu["index"])
    gpu = {key: value for key, value in first.items() if key != "index"}
    gpu["count"] = len(gpus)
    out: dict[str, Any] = {"gpu": gpu}
    free = [g["mem_free_mb"] for g in gpus if g["mem_free_mb"] is not None]
    if free:
        out["gpu_mem_free_mb"] = max(free)
    return out


def _cpu_percentages(before, after) -> dict[str, float | None] | None:
    """Each CPU field's share of the time between two cpu_times() (before None: since boot);
    None when too little CPU time passed to say (the counters tick in 10 ms steps per core)."""
    if after is None:
        return None
    total = _cpu_total(after) - (_cpu_total(before) if before is not None else 0.0)
    if total < _MIN_CPU_TIME:
        return None
    out: dict[str, float | None] = {}
    for key, names in CPU_FIELDS.items():
        value = _field(after, names)
        if value is None:
            out[key] = None
            continue
        start = _field(before, names) if before is not None else 0.0
        delta = max(value - (start or 0.0), 0.0)
        out[key] = round(min(100.0 * delta / total, 100.0), 1)
    return out


def _cpu_total(times) -> float:
    fields = getattr(times, "_fields", ())
    total = sum(float(getattr(times, name, 0.0) or 0.0) for name in fields)
    return total - sum(float(getattr(times, name, 0.0) or 0.0) for name in _GUEST_FIELDS)


def _field(record, names: tuple[str, ...]) -> float | None:
    for name in names:
        value = getattr(record, name, None)
        if isinstance(value, int | float):
            return float(value)
    return None


def _network_counters() -> dict:
    """Per-interface counters without the loopback, which carries the render's own talk to a
    server on the same host and is no network load."""
    counters = psutil.net_io_counters(pernic=True)
    return {name: value for name, value in counters.items() if not _loopback(name)}


def _loopback(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("loopback") or (lower.startswith("lo") and lower[2:].isdigit())


def _delta(before, after, name: str) -> float | None:
    """How much a counter grew between two readings of disk_io_counters() (one record) or
    _network_counters() (a record per interface: only interfaces present in both count, so an
    interface that comes or goes is no spike). None when the counter is missing."""
    if before is None or after is None:
        return None
    if isinstance(after, dict):
        pairs = [(before[nic], after[nic]) for nic in after.keys() & before.keys()]
    else:
        pairs = [(before, after)]
    total = 0.0
    for old, new in pairs:
        start, end = getattr(old, name, None), getattr(new, name, None)
        if not isinstance(start, int | float) or not isinstance(end, int | float):
            return None
        total += max(end - start, 0)  # a counter that went back (reset) counts as no change
    return total


def _rate(before, after, name: str, elapsed: float) -> float | None:
    """KB/s of a byte counter between two readings."""
    delta = _delta(before, after, name)
    return None if delta is None else round(delta / 1024 / elapsed, 1)


def _busy(before, after, elapsed: float) -> float | None:
    """% of the time the disks were doing I/O (busy_time is in ms; Linux and FreeBSD only).
    The disks' busy times add up, so two saturated disks read 100, not 200."""
    delta = _delta(before, after, "busy_time")
    return None if delta is None else round(min(delta / 10 / elapsed, 100.0), 1)


def _mb(record, name: str) -> int | None:
    value = getattr(record, name, None)
    return int(value // MB) if isinstance(value, int | float) else None


def _gb(record, name: str) -> float | None:
    value = getattr(record, name, None)
    return round(value / GB, 2) if isinstance(value, int | float) else None


def _number(text: str) -> float | int | None:
    """A number from nvidia-smi, or None for "[N/A]", "[Not Supported]" and the like."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def _safe(function: Callable):
    try:
        return function()
    except Exception:
        return None

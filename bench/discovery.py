"""How long finding the server on the local network takes (multicast DNS on loopback).

A real server with ``--announce`` and a farm name of its own; measured --repeats times: from its
first answer to its announcement (the probe for a unique name), a client's lookup of that farm
(app/discovery.py:server_url: the first answer and the settle time), the same lookup once the
server has stopped (the whole browse window, unless another farm answers), and the server's
stop with its goodbye against one that does not announce. Targets: a lookup < 1 s; the goodbye
< 0.5 s more on a stop.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from app.discovery import server_url
from bench.local_farm import LocalFarm
from bench.report import record

NAME = "discovery"


def _announced_after(farm: LocalFarm, started: float) -> float:
    log = farm.folder / "server.log"
    while "announced on the local network" not in log.read_text():
        if time.monotonic() - started > 30:
            raise RuntimeError(f"no announcement:\n{farm.logs()}")
        time.sleep(0.01)
    return time.monotonic() - started


def once(folder: Path) -> dict[str, float]:
    farm_name = f"bench-{uuid.uuid4().hex[:8]}"
    farm = LocalFarm(folder / "announced")
    farm.folder.mkdir()
    farm.start_server("--announce", "--farm-name", farm_name)
    figures = {"announced": _announced_after(farm, time.monotonic())}
    started = time.monotonic()
    if server_url(None, farm_name, fallback=None) != farm.url:
        raise RuntimeError("the lookup did not find the server")
    figures["lookup"] = time.monotonic() - started
    started = time.monotonic()
    farm.server.stop()
    figures["stop_announced"] = time.monotonic() - started
    started = time.monotonic()
    if server_url(None, farm_name, fallback=None) is not None:
        raise RuntimeError("the stopped server is still found")
    figures["nothing"] = time.monotonic() - started
    quiet = LocalFarm(folder / "quiet")
    quiet.folder.mkdir()
    quiet.start_server("--no-announce")
    started = time.monotonic()
    quiet.server.stop()
    figures["stop_quiet"] = time.monotonic() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
            runs.append(once(Path(folder)))
    column = {key: [run[key] for run in runs] for key in runs[0]}
    for key, values in column.items():
        spread = f"{min(values):.3f}..{max(values):.3f}"
        print(f"{key:15} median {statistics.median(values):.3f} s  ({spread})")
    record(NAME, "first answer to announcement", column["announced"], "s")
    lookup = statistics.median(column["lookup"])
    record(NAME, "lookup of an announced farm", column["lookup"], "s", "< 1 s", lookup < 1)
    record(NAME, "lookup when nothing answers", column["nothing"], "s")
    goodbye = [a - q for a, q in zip(column["stop_announced"], column["stop_quiet"], strict=True)]
    extra = statistics.median(goodbye)
    record(NAME, "stop: the goodbye's extra time", goodbye, "s", "< 0.5 s", extra < 0.5)


if __name__ == "__main__":
    main()

"""Slow clients (slowloris) against a real server: health's latency while N connections send
their request headers one byte a second, and how much the server's log grew.

The server runs with a given open-file limit (default 1024, soft and hard). The attacker keeps
--connections sockets open, each having sent the start of a request and then one more header
byte every second, and opens a new one for each the server closes. Meanwhile GET /health is
timed, one request after another, for --seconds.

    python -m bench.slowloris --connections 1100 --open-files 1024 --seconds 20
"""

from __future__ import annotations

import argparse
import selectors
import socket
import tempfile
import threading
import time

from app.api import Client, CorralError
from bench.local_farm import LocalFarm
from bench.report import machine, percentile, record

PARTIAL = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never ends


class Slowloris:
    """``count`` connections to 127.0.0.1:port that send their headers one byte every ``every``
    seconds, reopened as the server closes them (until ``stop_reopening``); in a thread of its
    own for the ``with`` block."""

    def __init__(self, port: int, count: int, every: float = 1.0) -> None:
        self.port = port
        self.count = count
        self.every = every
        self.opened = 0  # connections made
        self.closed = 0  # ... and closed by the server
        self.failed = 0  # connections the server did not accept
        self.reopen = True
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def open(self) -> int:
        """Connections made and not yet closed by the server."""
        return self.opened - self.closed

    def stop_reopening(self) -> None:
        self.reopen = False

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.reopen:
                self._fill()
            end = time.monotonic() + self.every
            while (left := end - time.monotonic()) > 0 and not self._stop.is_set():
                for key, _ in self._selector.select(left):
                    self._read(key.fileobj)
            for key in list(self._selector.get_map().values()):
                try:
                    key.fileobj.send(b"a")
                except OSError:
                    self._closed(key.fileobj)

    def _fill(self) -> None:
        while self.open < self.count and not self._stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                sock.sendall(PARTIAL)
            except OSError:
                self.failed += 1
                return
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
            self.opened += 1

    def _read(self, sock: socket.socket) -> None:
        """The server answered (a refusal) or closed the connection."""
        try:
            if sock.recv(4096):
                return  # an answer: its end comes next
        except BlockingIOError:
            return
        except OSError:
            pass
        self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        sock.close()
        self.closed += 1


def health_latencies(client: Client, seconds: float) -> tuple[list[float], int]:
    """Milliseconds of GET /health, one after another for `seconds`, and how many failed."""
    latencies, failed = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        try:
            client.health()
        except CorralError:
            failed += 1
            continue
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, failed


def measure(connections: int, open_files: int, seconds: float, header_timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server(
            "--header-timeout", str(header_timeout), open_files=(open_files, open_files)
        )
        client = Client(farm.url, timeout=30)
        try:
            quiet, _ = health_latencies(client, 1.0)
            before = farm.server.log.stat().st_size
            with Slowloris(farm.port, connections) as attack:
                while attack.opened < connections and not attack.failed:
                    time.sleep(0.05)
                loaded, failures = health_latencies(client, seconds)
                opened, closed, failed = attack.opened, attack.closed, attack.failed
            log = farm.server.log.read_bytes()[before:]
        finally:
            farm.stop()
    return {
        "quiet": quiet,
        "loaded": loaded,
        "failures": failures,
        "opened": opened,
        "closed": closed,
        "failed": failed,
        "log_lines": log.count(b"\n"),
        "log_bytes": len(log),
        "tracebacks": log.count(b"Traceback"),
        "log": log.decode(errors="replace"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--open-files", type=int, default=1024, help="the server's limit")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--header-timeout", type=float, default=15.0)
    args = parser.parse_args()
    print(machine())
    result = measure(args.connections, args.open_files, args.seconds, args.header_timeout)
    for name in ("quiet", "loaded"):
        values = result[name]
        print(
            f"health, {name}: p50 {percentile(values, 50):.2f} ms, p99 "
            f"{percentile(values, 99):.2f} ms, max {max(values):.2f} ms ({len(values)} requests)"
        )
    print(f"health requests failed under load: {result['failures']}")
    print(
        f"slow connections: {result['opened']} opened, {result['closed']} closed by the server,"
        f" {result['failed']} not accepted"
    )
    print(
        f"server log: {result['log_lines']} lines, {result['log_bytes']} bytes,"
        f" {result['tracebacks']} tracebacks in {args.seconds:g} s"
    )
    if result["log_lines"] <= 20:
        print(result["log"], end="")
    under = f"{args.connections} slow connections, {args.open_files} open files"
    record("slowloris", f"health p99 under {under}", percentile(result["loaded"], 99), "ms")
    record("slowloris", f"server log lines under {under}", result["log_lines"], "lines")


if __name__ == "__main__":
    main()

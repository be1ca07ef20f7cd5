"""Slow clients (slowloris) against a real server under a low open-file limit: health keeps
answering, the slow connections are closed, the log stays short, and a render connected before
the attack finishes its tasks. And the idle timeout of a keep-alive connection."""

from __future__ import annotations

import socket

from app.api import Client
from bench.slowloris import Slowloris
from tests.integration.scenarios import job, submit_running
from tests.polling import wait_until

HEADER_TIMEOUT = 2
SLOW = 400  # connections, against a limit of 512 open files (a cap of 320 connections)


def test_slow_connections_neither_starve_the_server_nor_flood_its_log(farm, gates):
    farm.start_server("--header-timeout", str(HEADER_TIMEOUT), open_files=(256, 512))
    assert "open files: up to 512; connections: up to 320" in farm.server.log.read_text()
    farm.start_renders({"steady": 1})
    job_id = submit_running(farm.client, job("under attack", gates.command(), 3), 1)
    health = Client(farm.url, timeout=5)
    log_before = farm.server.log.read_text().splitlines()

    with Slowloris(farm.port, SLOW) as attack:
        wait_until(lambda: attack.opened >= SLOW and attack.closed >= SLOW - 320)
        for _ in range(20):  # while slow clients fill the cap
            assert health.health()["ok"]
        gates.open_all()
        farm.wait_job_done(job_id, timeout=60)  # assigned and finished through the render's socket
        assert health.health()["ok"]
        attack.stop_reopening()
        wait_until(lambda: attack.open == 0, timeout=HEADER_TIMEOUT + 30)
        assert attack.failed == 0

    written = farm.server.log.read_text().splitlines()[len(log_before) :]
    assert "Traceback" not in "\n".join(written)
    assert not any("out of system resource" in line for line in written)  # under the limit
    assert len(written) < 20, "\n".join(written)
    assert any("no complete request headers within 2 s" in line for line in written)


def test_a_keep_alive_connection_slow_with_its_next_request_is_closed_when_idle_too_long(farm):
    farm.start_server("--idle-timeout", "1")
    with socket.create_connection(("127.0.0.1", farm.port), timeout=30) as sock:
        request = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        sock.sendall(request + b"\r\n" + request)  # the second one never ends
        answer = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.count(b"HTTP/1.1") == 1

"""Zero-configuration discovery on loopback with real multicast DNS: a render started without
``--server`` (and before its server) waits for the server's announcement, finds it and takes
work; the command line finds it too and ``corral servers`` lists it; two servers of one farm
are named rather than guessed between; a typed address always wins; a stopped server says
goodbye."""

from __future__ import annotations

import json
import uuid

import pytest

from app.api import numeric_job
from app.cli import main
from app.discovery import browse, server_url
from app.server.auth import load_or_create
from bench.local_farm import FarmProcess, LocalFarm
from tests.polling import wait_until


@pytest.fixture
def farm_name() -> str:
    """A farm name no other test (or engineer) on this network announces."""
    return f"test-{uuid.uuid4().hex[:8]}"


def start_announced(farm: LocalFarm, farm_name: str) -> None:
    """The farm's server, announcing itself as farm_name (the announcement follows the first
    answer by a second or two: the probe for a unique name)."""
    farm.start_server("--announce", "--farm-name", farm_name)
    wait_until(lambda: "announced on the local network" in (farm.folder / "server.log").read_text())


def test_a_render_without_an_address_waits_for_the_announced_server_and_takes_work(
    farm, farm_name, monkeypatch, capsys
):
    monkeypatch.delenv("CORRAL_SERVER", raising=False)
    monkeypatch.setenv("CORRAL_FARM_NAME", farm_name)
    farm.data.mkdir()
    load_or_create(farm.data)  # the farm secret the render joins with, before the server runs
    args = ["render", "--name", "found", "--max-tasks", "2"]
    args += ["--farm-secret-file", str(farm.farm_secret_file)]
    args += ["--token-file", str(farm.folder / "render-found.token")]
    render_log = farm.folder / "render-found.log"
    farm.renders["found"] = FarmProcess(args, render_log).start()  # no --server, no server yet
    wait_until(lambda: "looking for a Corral server of the farm" in render_log.read_text())

    start_announced(farm, farm_name)
    farm.wait_renders(1)
    job_id = farm.client.submit(numeric_job("found", "echo frame @#@", 1, 4, user_name="ann"))
    farm.wait_job_done(job_id)
    hosts = {farm.client.task(job_id, 0, t)["render"] for t in range(4)}
    assert hosts == {"found"}

    assert main(["--token", farm.admin_token, "--json", "jobs"]) == 0  # the CLI finds it too
    assert [job["id"] for job in json.loads(capsys.readouterr().out)] == [job_id]
    code = main(["servers", "--farm-name", farm_name, "--json", "--wait", "1"])
    listed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(s["farm"], s["url"], s["tls"], s["port"]) for s in listed] == [
        (farm_name, farm.url, False, farm.port)
    ]
    assert main(["servers", "--farm-name", farm_name, "--wait", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["FARM", "URL", "VERSION", "TLS", "ANNOUNCED", "AS"]
    assert table[1].split()[:4] == [farm_name, farm.url, listed[0]["version"], "no"]


def test_servers_of_one_farm_are_named_not_guessed_and_goodbye_is_said(
    farm, tmp_path, farm_name, monkeypatch, capsys
):
    start_announced(farm, farm_name)
    (tmp_path / "other").mkdir()
    other = LocalFarm(tmp_path / "other")
    try:
        start_announced(other, farm_name)
        found = browse(1, farm_name)
        assert sorted(s.url for s in found) == sorted([farm.url, other.url])

        monkeypatch.delenv("CORRAL_SERVER", raising=False)
        monkeypatch.setenv("CORRAL_FARM_NAME", farm_name)
        assert main(["jobs"]) == 1
        err = capsys.readouterr().err
        assert f"2 Corral servers answer on this network ('{farm_name}' at" in err
        assert farm.url in err and other.url in err and "give --server URL" in err
        typed = "http://127.0.0.1:9"
        assert server_url(typed, farm_name) == typed  # a typed address always wins
        assert main(["--server", farm.url, "--token", farm.admin_token, "jobs"]) == 0

        assert other.server.stop() == 0
        assert [s.url for s in browse(1, farm_name)] == [farm.url]  # the goodbye is heard
    finally:
        other.stop()

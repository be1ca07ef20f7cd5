"""The running server's settings and traffic on a real server: `corral server config` changes
settings at once, validated, admins only, kept over a restart; `corral server stats` counts
requests, socket messages, bytes and peers; retention removes old outputs and runs."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from app.api import Client, CorralError, numeric_job
from tests.integration.conftest import RENDER, in_process
from tests.polling import wait_until


def test_server_config_changes_settings_at_once_and_keeps_them_after_a_restart(farm, capsys):
    farm.start_server("--zombie-time", "40")
    run = in_process(farm.url, capsys, farm.admin_token)
    code, out, _ = run("server", "config")
    assert code == 0 and "zombie_time" in out and "40" in out

    code, out, err = run("server", "config", "zombie_time=12", "max_queued_tasks=5")
    assert code == 0, err
    assert farm.client.pools()["effective"]["/"]["zombie_time"] == 12
    with pytest.raises(CorralError, match="max_queued_tasks") as refused:
        farm.client.submit(numeric_job("big", "true", 1, 10, user_name="ann"))
    assert refused.value.status == 409

    for bad in ("zombie_time=-1", "log_level=LOUD", "max_queued_tasks=1.5", "nosuch=1"):
        code, _, err = run("server", "config", bad, "runs_days=3")
        assert code == 1 and "invalid" in err and bad.partition("=")[0] in err
    settings = farm.client.server_config()
    assert (settings["zombie_time"], settings["runs_days"]) == (12, 0)  # nothing changed

    ann = Client(farm.url, token=farm.client.add_user("ann")["token"])
    with pytest.raises(CorralError) as forbidden:
        ann.edit_server_config({"log_level": "DEBUG"})
    assert forbidden.value.status == 403
    with pytest.raises(CorralError):
        ann.server_config()

    farm.server.stop()
    farm.start_server("--zombie-time", "40")  # the stored change wins over the flag
    settings = farm.client.server_config()
    assert (settings["zombie_time"], settings["max_queued_tasks"]) == (12, 5)
    assert farm.client.pools()["effective"]["/"]["zombie_time"] == 12


def test_log_level_changes_what_the_server_logs(farm):
    farm.start_server()
    farm.client.edit_server_config({"log_level": "DEBUG"})
    farm.client.edit_server_config({"log_level": "WARNING"})
    assert farm.client.server_config()["log_level"] == "WARNING"
    farm.start_renders({RENDER: 1})  # "render NAME registered" is logged at INFO
    assert f"render {RENDER} registered" not in (farm.folder / "server.log").read_text()


def test_server_stats_count_requests_messages_bytes_and_peers(farm, capsys):
    farm.start_server()
    farm.start_renders({RENDER: 2})
    job_id = farm.client.submit(numeric_job("counted", "echo @#@", 1, 6, user_name="t"))
    farm.wait_job_done(job_id)

    async def with_a_monitor() -> dict:
        headers = {"Authorization": f"Bearer {farm.admin_token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.ws_connect(f"{farm.url}/api/v1/events") as ws,
        ):
            assert (await ws.receive_json(timeout=10))["type"] == "hello"
            await ws.send_json({"type": "watch_block", "job": job_id, "block": 0})
            await ws.send_json({"type": "no such kind"})
            assert (await ws.receive_json(timeout=10))["type"] in ("error", "tasks")

            def counted() -> dict | None:
                stats = farm.client.server_stats()
                return stats if stats["messages_in"].get("monitor other") else None

            return await asyncio.to_thread(wait_until, counted)

    stats = asyncio.run(with_a_monitor())
    assert (stats["renders"], stats["monitors"]) == (1, 1)
    assert stats["requests"]["POST /api/v1/jobs"] == 1
    assert stats["messages_in"]["render result"] == 6
    assert stats["messages_in"]["render register"] == 1
    assert stats["messages_in"]["monitor watch_block"] == 1
    assert stats["messages_out"]["render assign"] == 6 == stats["decisions"]
    assert stats["messages_out"]["monitor hello"] == 1
    assert stats["bytes_in"] > 6 * 50 and stats["bytes_out"] > 6 * 50
    assert stats["connections"] >= 2  # the render's and the monitor's sockets

    code, out, _ = in_process(farm.url, capsys, farm.admin_token)("server", "stats")
    assert code == 0 and "render result" in out and "POST /api/v1/jobs" in out


def test_retention_removes_old_outputs_then_old_runs(farm):
    farm.start_server()
    farm.start_renders({RENDER: 2})
    job_id = farm.client.submit(numeric_job("old", "echo frame @#@", 1, 4, user_name="t"))
    farm.wait_job_done(job_id)
    outputs = farm.data / "outputs" / str(job_id)
    assert len(list(outputs.glob("*.txt.gz"))) == 4

    farm.client.edit_server_config({"outputs_days": 1e-9, "retention_period": 1})
    wait_until(lambda: not list(outputs.glob("*.txt.gz")))
    run = farm.client.task(job_id, 0, 3)["runs"][0]
    assert (run["state"], run["output_size"]) == ("DON", 0)  # the run is kept

    farm.client.edit_server_config({"runs_days": 1e-9})
    wait_until(lambda: farm.client.task(job_id, 0, 3)["runs"] == [])
    assert farm.client.job(job_id)["tasks_done"] == 4  # the job and its tasks stay

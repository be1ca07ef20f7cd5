"""Schemathesis against a live server's own OpenAPI document: every operation, then the
stateful run along the document's links, with a bounded number of examples. No answer may be a
5xx, have a status, media type or body the document does not describe, refuse a request the
document calls valid (where the document can say all the server checks: schemathesis.toml) or
accept one it calls invalid. Afterwards the server is healthy and its state whole: every job
reads back, and a restart restores the same farm."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from app.api import numeric_job
from tests.integration.render_by_hand import hello, receive, render_socket

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 5  # per operation and phase
SEED = 1  # the same requests every run


LIVE_ONLY = ("jobs_last_minute",)  # a user's submissions in the last minute: not stored


def farm_state(client) -> dict:
    """What a restart must keep: the jobs (summaries and specs), users and pools."""
    jobs = client.jobs()
    users = [{k: v for k, v in user.items() if k not in LIVE_ONLY} for user in client.users()]
    return {
        "jobs": jobs,
        "specs": [client.job_spec(job["id"]) for job in jobs],
        "users": users,
        "pools": client.pools()["pools"],
    }


async def register_render(farm, name: str) -> None:
    """A render that registers and leaves: offline, it runs nothing the fuzzing submits."""
    async with render_socket(farm) as ws:
        await ws.send_json(hello(name))
        await receive(ws, "registered")


def test_the_server_answers_as_its_openapi_document_says(farm, tmp_path):
    farm.start_server()
    for n in range(2):  # jobs for the operations on existing ones (ids 1 and 2)
        farm.client.submit(numeric_job(f"seed{n}", "echo @#@", 1, 10, per_task=2))
    asyncio.run(register_render(farm, "fuzzed"))  # for the render operations (linked from the list)
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
        f"{farm.url}/api/v1/openapi.json",
        *("--header", f"Authorization: Bearer {farm.admin_token}"),
        *("--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1"),
        *("--continue-on-failure", "--no-color"),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:] + farm.logs()

    assert farm.client.health()["ok"]
    before = farm_state(farm.client)
    assert before["jobs"], "the fuzzing deleted every job: nothing left to compare"
    farm.server.stop()
    farm.start_server()
    assert farm_state(farm.client) == before

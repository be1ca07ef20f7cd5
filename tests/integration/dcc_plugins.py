"""Running a DCC plugin of dcc_plugins/ against the fakes of tests/dcc_fakes, and reading back
what the server made of the job it sent."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api import Client
from app.credentials import TOKEN_ENV
from app.services import get_service

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "dcc_fakes"


def load_plugin(monkeypatch: pytest.MonkeyPatch, folder: Path, token: str | None) -> Iterator:
    """The plugin's folder and the fakes importable, the farm's token in the environment (as
    the artist's shell would have it); afterwards, the modules imported meanwhile forgotten."""
    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.syspath_prepend(str(folder))
    if token:
        monkeypatch.setenv(TOKEN_ENV, token)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def blocks(client: Client, job_id: int) -> list[dict]:
    """The job's blocks as the server holds them, each with the frame spans and states of its
    tasks and why it waits for other blocks (``waiting``, "" when it does not)."""
    spec = client.job_spec(job_id)
    summaries = client.job(job_id)["blocks"]
    found = []
    for number, block in enumerate(spec["blocks"]):
        tasks = client.tasks(job_id, number)["tasks"]
        spans = [(task["frame_start"], task["frame_end"]) for task in tasks]
        states = [task["state"] for task in tasks]
        waiting = summaries[number]["waiting"]
        found.append(dict(block, spans=spans, states=states, waiting=waiting))
    return found


def service_command(service: str, scene: str, output: str = "", **options: str) -> str:
    """The command line the farm's service writes for a scene (on Linux)."""
    return get_service(service).batch_command(scene, output, "linux", **options)

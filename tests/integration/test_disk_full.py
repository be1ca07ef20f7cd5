"""The store on a full file system: the server's data folder on a small tmpfs, filled while
renders finish tasks. The server says it is degraded and refuses changes; results wait
unacknowledged; once space is back (in place, or across a restart) every task is done exactly
once, in the files the tasks wrote (outside the tmpfs), and in the store."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.api import CorralError, numeric_job
from app.core import states
from tests.integration.scenarios import SMALL, Gates
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="mounts a tmpfs: needs Linux and root",
)

TASKS = 12
SLOTS = {"r1": 2, "r2": 2}


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 16 MB tmpfs, unmounted after the test (requested before `farm`, so after it stops)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the file system is full, to its last page (called again, it takes
    what was freed since); returns it (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as out:
        for size in (65536, 4096):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


def gated_job(farm, gates: Gates, out: Path, output: str = "frame @#@") -> int:
    """TASKS tasks that wait for their gate, then append a line to their own file in `out` and
    print `output` (nothing: no output file to store, only rows)."""
    command = gates.command() + f"; echo done >> {out}/@#@.txt; printf '{output}'"
    spec = numeric_job("full", command, 1, TASKS, user_name="tester", block_extra=SMALL)
    job_id = farm.client.submit(spec)
    wait_until(lambda: farm.client.job(job_id)["tasks_running"] == sum(SLOTS.values()))
    return job_id


def degraded(farm) -> str:
    """Wait until the server says it is degraded; returns why (a full disk, in some words)."""
    why = wait_until(lambda: farm.client.health()["degraded"], timeout=30)
    assert re.search("full|no space", why, re.IGNORECASE), why
    return why


def stored(farm, query: str, *args) -> list[tuple]:
    """Rows of the server's database, read beside it."""
    db = sqlite3.connect(f"file:{farm.data / 'corral.db'}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def assert_done_once(farm, job_id: int, out: Path, output: str = "frame @#@") -> None:
    """Every task ran once (its file has one line), and the store, intact, holds (once the
    last commits are through) one finished run a task with its output, none left RUN."""
    assert {p.name for p in out.iterdir()} == {f"{n}.txt" for n in range(1, TASKS + 1)}
    assert all(p.read_text() == "done\n" for p in out.iterdir()), farm.logs()
    runs = "SELECT task, state FROM run_row WHERE job_id = ? ORDER BY task, run"
    wait_until(lambda: stored(farm, runs, job_id) == [(n, "DON") for n in range(TASKS)])
    tasks = "SELECT state, COUNT(*) FROM task_row WHERE job_id = ? GROUP BY state"
    assert stored(farm, tasks, job_id) == [(states.DON, TASKS)]
    assert stored(farm, "PRAGMA integrity_check") == [("ok",)]
    for n in range(TASKS):  # and each run's output, stored beside the database
        assert farm.client.task_output(job_id, 0, n, 1) == output.replace("@#@", str(n + 1))


def start_on(farm, disk: Path) -> None:
    farm.data = disk / "data"
    farm.start_server()
    farm.start_renders(SLOTS)


@pytest.mark.parametrize("output", ["frame @#@", ""], ids=["output files", "rows only"])
def test_a_full_disk_degrades_the_server_until_space_is_back(
    small_disk, farm, gates, tmp_path, output
):
    """With output, writing its file fails first; without, SQLite's commit (SQLITE_FULL)."""
    out = tmp_path / "out"
    out.mkdir()
    start_on(farm, small_disk)
    job_id = gated_job(farm, gates, out, output)
    filler = fill(small_disk)
    gates.open_all()  # results arrive that cannot be stored

    why = degraded(farm)
    fill(small_disk)  # what a failed commit gave back: a retry must not find room in it
    with pytest.raises(CorralError) as refused:
        farm.client.submit(numeric_job("later", "true", 1, 1, user_name="tester"))
    assert refused.value.status == 503 and "cannot store changes" in str(refused.value)
    assert why in str(refused.value)
    with pytest.raises(CorralError) as refused:
        farm.client.edit_job(job_id, {"priority": 10})
    assert refused.value.status == 503
    job = farm.client.job(job_id)  # reads go on
    assert job["state"] != "DON" and job["priority"] != 10  # no new task ran, nothing changed
    assert farm.client.jobs()[0]["id"] == job_id  # the refused job is nowhere

    filler.unlink()
    wait_until(lambda: farm.client.health()["degraded"] is None, timeout=30)
    farm.wait_job_done(job_id)
    assert_done_once(farm, job_id, out, output)
    later = farm.client.submit(numeric_job("later", "true", 1, 1, user_name="tester"))
    farm.wait_job_done(later)
    assert "the store cannot commit" in (tmp_path / "server.log").read_text()


def test_results_not_stored_when_the_server_stops_are_resent_after_it_restarts(
    small_disk, farm, gates, tmp_path
):
    """Stopped while degraded and started again on the still full disk: the renders resend what
    was never acknowledged, and it is all stored once space is back."""
    out = tmp_path / "out"
    out.mkdir()
    start_on(farm, small_disk)
    job_id = gated_job(farm, gates, out)
    filler = fill(small_disk)
    gates.open_all()
    degraded(farm)

    assert farm.server.stop() is not None, "the server did not stop while degraded"
    farm.start_server()  # the same data and port, the disk still full
    # the resent results cannot be stored, unless SQLite finds room in the space it holds
    wait_until(
        lambda: farm.client.health()["degraded"] or farm.client.job(job_id)["state"] == "DON"
    )
    filler.unlink()
    farm.wait_job_done(job_id)
    assert_done_once(farm, job_id, out)
    wait_until(lambda: farm.client.health()["degraded"] is None)

"""No task outlives its render: a render killed with SIGKILL takes its task process trees along."""

from __future__ import annotations

import sys
import uuid

import psutil
import pytest

from app.api import numeric_job
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def task_trees(marker: str) -> list[psutil.Process]:
    """The processes whose command line holds marker, with their descendants, each once (a
    shell holding the marker may run another that holds it too)."""
    found: dict[int, psutil.Process] = {}
    for process in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(process.info["cmdline"] or []):
                found.update((p.pid, p) for p in [process, *process.children(recursive=True)])
        except psutil.Error:
            pass
    return list(found.values())


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_a_render_killed_with_sigkill_leaves_no_task_process(farm):
    marker = f"corral-orphan-{uuid.uuid4().hex}"
    farm.start_server()
    farm.start_renders({"doomed": 2})
    command = f"sh -c 'sleep 300 & wait' {marker}"  # $0 marks the shell; sleep is its child
    farm.client.submit(numeric_job("orphans", command, 1, 2, user_name="tester"))

    def both_sleeping():
        tree = task_trees(marker)
        return tree if sum(p.name() == "sleep" for p in tree) == 2 else None

    tree = wait_until(both_sleeping, timeout=30)
    farm.renders["doomed"].kill()
    try:
        wait_until(lambda: not any(alive(p) for p in tree), timeout=10)
    finally:
        survivors = [p for p in tree if alive(p)]
        for process in survivors:
            process.kill()
    assert survivors == [], f"left running by the killed render: {survivors}"

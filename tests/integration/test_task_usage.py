"""A real render reports what its task used; the server keeps it with the run."""

from __future__ import annotations

import sys

import pytest

from app.api import tasks_job

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")

# 100 MB held while it sleeps, then the CPU time it used (its sleep costs none)
ALLOCATE = (
    'python3 -c "import time; b = bytearray(100 * 2**20); time.sleep(2.5); '
    'print(time.process_time())"'
)
# 400 MB at once, then gone: more than a render holds, too quick for a sample to see
INSTANT = 'python3 -c "b = bytearray(400 * 2**20)"'


def test_the_runs_of_a_task_show_its_memory_and_cpu(farm):
    farm.start_server()
    farm.start_renders({"usage": 1})
    job_id = farm.client.submit(
        tasks_job("usage", [("allocate", ALLOCATE), ("instant", INSTANT)], user_name="tester")
    )
    done = farm.wait_job_done(job_id)
    assert done["tasks_error"] == 0
    [run] = farm.client.task(job_id, 0, 0)["runs"]
    assert run["state"] == "DON"
    assert run["peak_rss_mb"] >= 90
    told = float(farm.client.task_output(job_id, 0, 0, 1))
    # at least its own count at the print, plus its exit, but not its 2.5 s sleep
    assert told - 0.05 <= run["cpu_seconds"] < told + 1.0
    wall = run["time_done"] - run["time_start"]
    assert run["cpu_avg_percent"] == pytest.approx(run["cpu_seconds"] / wall * 100, abs=0.2)
    [instant] = farm.client.task(job_id, 0, 1)["runs"]
    assert instant["peak_rss_mb"] >= 390  # from its exit (Linux), though no sample saw it


def test_migration_4_adds_the_columns(tmp_path):
    from app.server.persistence import migrate, open_database, schema_version

    db = open_database(f"sqlite:///{tmp_path / 'corral.db'}")
    try:
        assert schema_version() == migrate(db) >= 4
        columns = {column.name for column in db.get_columns("run_row")}
        assert {"peak_rss_mb", "cpu_seconds"} <= columns
    finally:
        db.close()

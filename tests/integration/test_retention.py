"""Retention on the real store, SQLite and PostgreSQL: aged records go a batch per journal
operation, newer and unfinished ones stay."""

from __future__ import annotations

import asyncio

from app.server.config import ServerConfig
from app.server.persistence import Journal, OutputStore, open_database, records, runs
from app.server.persistence.retention import DAY, KEPT, Retention
from app.server.persistence.schema import RunRow

NOW = 1_000_000_000.0
DONE = dict(
    state="DON",
    exit_code=0,
    signal=None,
    error=None,
    time_start=0.0,
    peak_rss_mb=None,
    cpu_seconds=None,
    warnings=0,
    files="[]",
)


async def test_aged_outputs_then_runs_go_in_batches(store_url, tmp_path):
    db = open_database(store_url)
    journal = Journal(db, asyncio.get_running_loop())
    outputs = OutputStore(tmp_path / "outputs")
    config = ServerConfig(tmp_path, outputs_days=2, runs_days=10)
    retention = Retention(journal, outputs, config, clock=lambda: NOW, batch=2)
    ages = {0: 1, 1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 11, 7: 12}  # task: days since it finished
    try:
        for task, days in ages.items():
            key = (1, 0, task, 1)
            journal.put(records.start_run(key, "r1", 0.0))
            done = {**DONE, "time_done": NOW - days * DAY}
            journal.put(records.finish_run(key, "r1", done, outputs, f"frame {task}\n", b"J"))
        journal.put(records.start_run((1, 0, 8, 1), "r1", 0.0))  # running: no age yet
        await journal.flush()
        before = journal.operations

        assert await retention.sweep() == {"outputs_days": 7, "runs_days": 2}
        assert journal.operations - before == 4 + 2  # 7 outputs in 4 batches, 2 runs in 1 + 1

        assert [outputs.read((1, 0, task, 1)) for task in (0, 1)] == ["frame 0\n", None]
        assert outputs.read_thumbnail((1, 0, 0, 1)) == b"J"
        assert outputs.read_thumbnail((1, 0, 5, 1)) is None
        assert runs.task_runs(1, 0, 5)[0]["output_size"] == 0  # kept, without its output
        assert runs.task_runs(1, 0, 6) == [] and runs.task_runs(1, 0, 7) == []
        assert sorted(row.task for row in RunRow.select()) == [0, 1, 2, 3, 4, 5, 8]
        assert await retention.sweep() == {"outputs_days": 0, "runs_days": 0}
    finally:
        journal.close()
        db.close()


def test_every_kept_table_has_its_setting_in_the_server_config(tmp_path):
    config = ServerConfig(tmp_path)
    for kept in KEPT:
        assert getattr(config, kept.setting) == 0  # kept for ever unless set

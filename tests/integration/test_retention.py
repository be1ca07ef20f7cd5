"""Retention on the real store, SQLite and PostgreSQL: aged records go a batch per journal
operation, newer and unfinished ones stay."""

from __future__ import annotations

import asyncio
import logging
import re

from peewee import SqliteDatabase

from app.server.config import ServerConfig
from app.server.persistence import Journal, OutputStore, open_database, records, runs
from app.server.persistence.retention import DAY, KEPT, Retention, remove_batch
from app.server.persistence.schema import RunRow, StatRun

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


def stat_run(task: int, time_done: float) -> dict:
    return dict(
        job_id=1,
        block=0,
        task=task,
        run=1,
        job_name="shot",
        block_name="main",
        user_name="ann",
        service="blender",
        render="r1",
        pool="/",
        project="moon",
        department="fx",
        state="DON",
        exit_code=0,
        signal=None,
        error_kind="",
        time_start=time_done - 60,
        time_done=time_done,
        run_time=60.0,
        peak_rss_mb=None,
        cpu_seconds=None,
        capacity=1000,
    )


def plan(db, sql: str, params) -> str:
    """How the database would run a statement: SQLite's query plan, or PostgreSQL's with
    sequential scans priced out (on a table this small it would prefer one to any index)."""
    if isinstance(db, SqliteDatabase):
        rows = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return "\n".join(row[-1] for row in rows)
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params).fetchall())


def test_each_batch_removes_its_rows_through_an_index(store_url, tmp_path, caplog):
    db = open_database(store_url)
    outputs = OutputStore(tmp_path / "outputs")
    try:
        aged = NOW - 20 * DAY
        run = dict(DONE, job_id=1, block=0, run=1, render="r1", time_done=aged, output_size=6)
        RunRow.insert_many([dict(run, task=task) for task in range(600)]).execute()
        records.upsert_stat_runs([stat_run(task, aged) for task in range(600)])
        caplog.set_level(logging.DEBUG, logger="peewee")
        for kept in KEPT[:3]:  # outputs, runs and statistics runs: all 600 go in one batch
            found: list[int] = []
            with db.atomic():
                remove_batch(kept, NOW, outputs, 1000, found)()
            assert found == [600]
        assert RunRow.select().count() == 0 and StatRun.select().count() == 0

        statements = [record.msg for record in caplog.records if record.name == "peewee"]
        changed = {"run_row": 0, "stat_run": 0}  # statements changing each table
        for sql, params in statements:
            table = re.match(r'(?:DELETE FROM|UPDATE) "(\w+)"', sql)
            if table is None or table[1] not in changed:
                continue  # a read, or the hours' sums (stat_sums), found by their own key
            changed[table[1]] += 1
            how = plan(db, sql, params)
            assert "SCAN" not in how and "Seq Scan" not in how, (sql[:60], how)
            assert "INDEX" in how.upper(), (sql[:60], how)
        # 250 keys a statement: outputs; runs (their outputs, then the rows); statistics
        assert changed == {"run_row": 3 + 3 + 3, "stat_run": 3}
    finally:
        db.close()

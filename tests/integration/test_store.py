"""The durable store on real SQLite and PostgreSQL (the fixtures store_url and postgres_url:
tests/conftest.py): migrations, group commit, restart."""

from __future__ import annotations

import asyncio

import pytest

from app.api import numeric_job
from app.server.auth import person, render
from app.server.auth.book import IssuedTokens
from app.server.persistence import (
    Journal,
    OutputStore,
    migrate,
    open_database,
    records,
    runs,
    schema_version,
)
from app.server.persistence.schema import JobRow, RunRow, SchemaVersion, TaskRow, TokenRow
from tests.integration.conftest import Farm
from tests.polling import wait_until
from tests.postgres import end_connections

# a finished run's outcome as the journal stores it (records.finish_run)
DONE = dict(
    state="DON",
    exit_code=0,
    signal=None,
    error=None,
    time_start=100.0,
    time_done=110.0,
    peak_rss_mb=None,
    cpu_seconds=None,
    warnings=0,
    files="[]",
)


async def test_migrations_and_group_commit(store_url):
    db = open_database(store_url)
    assert schema_version() == 9  # version 1's tables, then each migration
    assert migrate(db) == 9  # applying again changes nothing
    journal = Journal(db, asyncio.get_running_loop())
    try:
        futures = [
            journal.write(lambda i=i: TaskRow.insert(job_id=1, block=0, task=i, state=2).execute())
            for i in range(500)
        ]

        def broken():
            raise RuntimeError("disk on fire")

        failing = journal.write(broken)
        run = dict(job_id=1, block=0, task=0, run=1, render="r", state="DON", time_start=1.0)
        futures.append(journal.write(lambda: RunRow.insert(**run).execute()))
        await asyncio.gather(*futures)
        with pytest.raises(RuntimeError, match="disk on fire"):
            await failing
        assert TaskRow.select().count() == 500
        assert RunRow.select().count() == 1
        assert journal.batches < 500  # writes were grouped
    finally:
        journal.close()
        db.close()


async def test_issued_tokens_are_stored_as_hashes_and_restored(store_url):
    db = open_database(store_url)
    journal = Journal(db, asyncio.get_running_loop())
    try:
        tokens = IssuedTokens(journal, "crl_the-admin-token")
        first = await tokens.issue(person("ann"))
        ann = await tokens.issue(person("ann"))  # the first one ends
        await tokens.issue(render("host1"))
        assert await tokens.revoke("render:host1")
        rows = list(TokenRow.select().tuples())
        assert [(name, role) for _, name, role in rows] == [("ann", "user")]
        assert ann not in rows[0][0] and len(rows[0][0]) == 64  # its SHA-256 only

        restarted = IssuedTokens(journal, "crl_the-admin-token")
        restarted.restore()
        assert restarted.lookup(ann) == person("ann")
        assert restarted.lookup(first) is None
        assert restarted.lookup("crl_the-admin-token") == person("admin", "admin")
        assert restarted.identity("render:host1") is None
    finally:
        journal.close()
        db.close()


async def test_runs_read_back_as_the_api_shows_them(store_url, tmp_path):
    """What records write for a task's runs (finished, lost, running), task_runs reads back."""
    db = open_database(store_url)
    journal = Journal(db, asyncio.get_running_loop())
    outputs = OutputStore(tmp_path / "outputs")
    done = {
        **DONE,
        "peak_rss_mb": 512.0,
        "cpu_seconds": 15.0,
        "warnings": 2,
        "files": '["/out/a.0001.exr"]',
    }
    try:
        journal.put(records.start_run((1, 0, 3, 1), "r1", 100.0))
        journal.put(records.finish_run((1, 0, 3, 1), "r1", done, outputs, "frame 1\n", b"JPEG"))
        journal.put(records.start_run((1, 0, 3, 2), "r2", 120.0))
        journal.put(records.lose_run((1, 0, 3, 2), 130.0))
        journal.put(records.start_run((1, 0, 3, 3), "r1", 140.0))
        journal.put(records.start_run((1, 0, 4, 1), "r1", 140.0))  # another task
        await journal.flush()
        first, lost, running = runs.task_runs(1, 0, 3)
        assert first == {
            **done,
            "run": 1,
            "render": "r1",
            "output_size": 8,
            "cpu_avg_percent": 150.0,  # 15 s of CPU in 10 s
            "files": ["/out/a.0001.exr"],
            "thumbnail": True,
        }
        assert (lost["run"], lost["state"], lost["time_done"]) == (2, "LOST", 130.0)
        assert running["state"] == "RUN" and running["time_done"] is None
        assert running["cpu_avg_percent"] is None
        assert outputs.read((1, 0, 3, 1)) == "frame 1\n"
        assert outputs.read_thumbnail((1, 0, 3, 1)) == b"JPEG"
        assert outputs.read((1, 0, 3, 3)) is None
        assert runs.task_runs(1, 0, 5) == []
    finally:
        journal.close()
        db.close()


async def test_the_journal_connects_again_when_its_connection_is_lost(postgres_url):
    """A connection the database server ended (a restart, an administrator) is opened again
    and the write it failed is committed, not dropped."""
    db = open_database(postgres_url)
    journal = Journal(db, asyncio.get_running_loop())

    def task(n: int):
        return lambda: TaskRow.insert(job_id=1, block=0, task=n, state=2).execute()

    try:
        await journal.write(task(0))
        end_connections(postgres_url)
        await journal.write(task(1))
        assert journal.trouble is None
        db.close()  # this thread's connection was ended too
        assert sorted(row.task for row in TaskRow.select()) == [0, 1]
    finally:
        journal.close()
        db.close()


def float_columns(db, data_type: str) -> list[tuple[str, str]]:
    """The store's columns of a PostgreSQL type: [(table, column)]."""
    cursor = db.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND data_type = %s ORDER BY 1, 2",
        (data_type,),
    )
    return cursor.fetchall()


def test_times_keep_their_seconds_on_postgres(postgres_url):
    """A store made before every float was a double (REAL columns: an epoch time kept to
    about two minutes) gets double precision columns from its migration."""
    moment = 1_765_432_109.25
    db = open_database(postgres_url)
    try:
        doubles = float_columns(db, "double precision")
        assert ("job_row", "time_created") in doubles and ("run_row", "cpu_seconds") in doubles
        for table, column in doubles:  # as peewee's FloatField made them
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE real')
        SchemaVersion.delete().where(SchemaVersion.version == 8).execute()
        job = dict(id=1, name="j", user_name="u", priority=99, spec="{}")
        JobRow.insert(**job, time_created=moment).execute()
        assert JobRow.get_by_id(1).time_created != moment  # REAL lost its seconds

        migrate(db)
        assert float_columns(db, "real") == []
        assert float_columns(db, "double precision") == doubles
        JobRow.update(time_created=moment).execute()
        run = dict(job_id=1, block=0, task=0, run=1, render="r", state="DON")
        times = dict(time_start=moment, time_done=moment + 0.5, cpu_seconds=1e6 + 0.125)
        RunRow.insert(**run, **times).execute()
        stored = RunRow.get()
        assert (JobRow.get_by_id(1).time_created, stored.time_done) == (moment, moment + 0.5)
        assert stored.cpu_seconds == 1e6 + 0.125
    finally:
        db.close()


async def test_a_late_result_is_stored_only_on_its_render_s_run_without_one(store_url, tmp_path):
    db = open_database(store_url)
    journal = Journal(db, asyncio.get_running_loop())
    outputs = OutputStore(tmp_path / "outputs")
    done = DONE
    counted, lost, running = (1, 0, 0, 1), (1, 0, 0, 2), (1, 0, 0, 3)
    try:
        journal.put(records.start_run(counted, "r1", 100.0))
        journal.put(records.finish_run(counted, "r1", {**done, "state": "ERR"}, outputs, "1\n"))
        journal.put(records.start_run(lost, "r2", 100.0))
        journal.put(records.lose_run(lost, 105.0))
        journal.put(records.start_run(running, "r3", 120.0))
        for key, name in ((counted, "r1"), (lost, "r2"), (running, "r9")):  # r9: not its run
            journal.put(records.finish_late_run(key, name, done, outputs, f"late {name}\n", b"J"))
        await journal.flush()
        stored = [(run["state"], run["output_size"]) for run in runs.task_runs(1, 0, 0)]
        assert stored == [("ERR", 2), ("DON", 8), ("RUN", 0)]
        assert [outputs.read(key) for key in (counted, lost, running)] == ["1\n", "late r2\n", None]
        assert outputs.read_thumbnail(lost) == b"J" and outputs.read_thumbnail(running) is None
    finally:
        journal.close()
        db.close()


def test_farm_on_postgres_survives_a_restart(tmp_path, postgres_url):
    farm = Farm(tmp_path)
    try:
        farm.start_server("--db", postgres_url)
        farm.start_renders({"pg1": 2, "pg2": 2})
        job_id = farm.client.submit(numeric_job("pg", "echo frame @#@", 1, 40, user_name="t"))
        farm.wait_job_done(job_id)
        farm.server.stop()
        farm.start_server("--db", postgres_url)
        job = farm.client.job(job_id)
        assert job["state"] == "DON" and job["tasks_done"] == 40
        task = farm.client.task(job_id, 0, 39)
        assert task["runs"][0]["state"] == "DON"
        assert farm.client.task_output(job_id, 0, 39, 1).strip() == "frame 40"
    finally:
        farm.stop()
    db = open_database(postgres_url)
    try:
        assert JobRow.select().count() == 1
        assert RunRow.select().where(RunRow.state == "DON").count() == 40
    finally:
        db.close()


def test_reads_on_postgres_connect_again_after_the_database_ends_them(tmp_path, postgres_url):
    """Reads off the event loop borrow pooled connections; once the database server has ended
    them (a restart), the next read is answered on a fresh one, not refused."""
    farm = Farm(tmp_path)
    try:
        farm.start_server("--db", postgres_url)
        farm.start_renders({"pgr": 1})
        job_id = farm.client.submit(numeric_job("pg", "echo frame @#@", 1, 3, user_name="t"))
        farm.wait_job_done(job_id)
        assert farm.client.task_output(job_id, 0, 2, 1).strip() == "frame 3"
        end_connections(postgres_url)
        assert farm.client.task(job_id, 0, 0)["runs"][0]["state"] == "DON"
        assert farm.client.task_output(job_id, 0, 2, 1).strip() == "frame 3"
    finally:
        farm.stop()


def test_a_farm_on_postgres_keeps_every_result_when_the_database_ends_its_connections(
    tmp_path, postgres_url
):
    """As a database restart does, mid-job: the journal and the reads connect again, and every
    acknowledged result is stored."""
    farm = Farm(tmp_path)
    try:
        farm.start_server("--db", postgres_url)
        farm.start_renders({"pga": 2, "pgb": 2})
        job_id = farm.client.submit(numeric_job("pg", "sleep 0.05", 1, 60, user_name="t"))
        for done in (10, 30):
            wait_until(lambda n=done: farm.client.job(job_id)["tasks_done"] >= n)
            end_connections(postgres_url)
        farm.wait_job_done(job_id)
    finally:
        farm.stop()
    db = open_database(postgres_url)
    try:
        assert RunRow.select().where(RunRow.state == "DON").count() == 60
    finally:
        db.close()


def test_an_output_file_that_cannot_be_written_leaves_no_partial_file(tmp_path):
    outputs = OutputStore(tmp_path / "outputs")
    key = (1, 0, 0, 1)
    outputs.thumbnail_path(key).mkdir(parents=True)  # in the way, as a full disk would be
    with pytest.raises(OSError):
        outputs.write_thumbnails([{"key": key, "data": b"JPEG"}])
    assert sorted(p.name for p in (tmp_path / "outputs" / "1").iterdir()) == ["0-0-1.jpg"]

"""Statistics on real SQLite and PostgreSQL: the queries behind GET /api/v1/stats/... and the SQL
of docs/statistics.md over a populated store, and a real farm's runs read back through the API
after their job is deleted."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from app.protocol import RUN_DONE, RUN_ERROR, RUN_LOST, RUN_SKIPPED, RUN_STOPPED
from app.server.persistence import migrate, open_database, records, stat_sums, statistics
from app.server.persistence.retention import KEPT, remove_batch
from app.server.persistence.schema import RenderRow, SchemaVersion, StatJob, StatRun, StatSum
from tests.integration.scenarios import fails_until, job, start_farm
from tests.polling import wait_until

DOC = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"

# (render, project, service, user, state, error_kind, run_time, peak_rss_mb, capacity)
RUNS = [
    ("r1", "moon", "blender", "ann", RUN_DONE, "", 3600.0, 2048.0, 1000),
    ("r1", "moon", "blender", "ann", RUN_DONE, "", 1800.0, 4096.0, 1000),
    ("r1", "moon", "blender", "ann", RUN_ERROR, "exit", 60.0, None, 1000),
    ("r2", "sun", "nuke", "bob", RUN_DONE, "", 600.0, 512.0, 500),
    ("r2", "sun", "nuke", "bob", RUN_SKIPPED, "", 0.0, None, 500),
    ("r2", "sun", "nuke", "bob", RUN_STOPPED, "stopped", 30.0, None, 500),
    ("r2", "sun", "nuke", "bob", RUN_LOST, "lost", 90.0, None, 500),
    ("r2", "sun", "nuke", "bob", RUN_ERROR, "signal", 120.0, 300.0, 500),
]
HOUR = 3600
# a failed task is tried again at once on the same render
RETRY_HERE = {"errors_retries": 1, "errors_avoid_host": 0, "errors_task_same_host": 0}


def populate(now: float) -> tuple[float, float]:
    """The RUNS, ended in the 10 minutes before now (run n in minute n), one of last year, two
    renders of capacity 1000 and a job row; returns the range [10 minutes ago, now)."""
    start = now - 600
    rows = []
    for n, (render, project, service, user, state, kind, run_time, peak, cap) in enumerate(RUNS):
        done = start + 60 * n + 30
        rows.append(
            dict(
                job_id=1 if project == "moon" else 2,
                block=0,
                task=n,
                run=1,
                job_name=f"{project}_shot",
                block_name="main",
                user_name=user,
                service=service,
                render=render,
                pool="/",
                project=project,
                department="fx",
                state=state,
                exit_code=None,
                signal=None,
                error_kind=kind,
                time_start=done - run_time,
                time_done=done,
                run_time=run_time,
                peak_rss_mb=peak,
                cpu_seconds=run_time / 2,
                capacity=cap,
            )
        )
    last_year = now - 400 * 86400  # outside the range, and not of this month
    rows.append({**rows[0], "task": 99, "time_start": last_year, "time_done": last_year})
    records.upsert_stat_runs(rows)  # as the server writes them, with their hours' sums
    for n in (1, 2):
        RenderRow.create(id=n, name=f"r{n}", capacity=1000, max_tasks=4)
    StatJob.create(
        job_id=1,
        name="moon_shot",
        user_name="ann",
        project="moon",
        department="fx",
        blocks=1,
        tasks=3,
        tasks_done=2,
        tasks_error=1,
        run_time=5460,
        time_submit=start,
        time_deleted=now,
    )
    return start, now


@pytest.fixture
def store(store_url):
    db = open_database(store_url)
    yield db
    db.close()


def test_the_stats_queries_answer_the_same_on_both_backends(store, monkeypatch):
    start, end = populate(time.time() // 60 * 60)  # buckets are whole minutes
    assert statistics.step_for(start, end) == 60

    by_project = statistics.over_time(start, end, "project")
    assert by_project["step"] == 60
    assert [(row["key"], row["render_hours"], row["runs"]) for row in by_project["rows"]] == [
        ("moon", 1.0, 1),
        ("moon", 0.5, 1),
        ("moon", round(60 / HOUR, 4), 1),
        *[("sun", round(s / HOUR, 4), 1) for s in (600, 0, 30, 90, 120)],
    ]
    assert by_project["rows"][0]["time"] == start  # the first run ended in the first minute

    monkeypatch.setattr(statistics, "TOP_GROUPS", 1)  # past the busiest host, the rest summed
    by_host = statistics.over_time(start, end, "host")["rows"]
    assert [row["key"] for row in by_host] == ["r1"] * 3 + [statistics.OTHER] * 5

    hosts = {row["key"]: row for row in statistics.breakdown(start, end, "host")}
    assert list(hosts) == ["r1", "r2"]  # the busiest first
    r1, r2 = hosts["r1"], hosts["r2"]
    assert (r1["runs"], r1["done"], r1["errors"], r1["other"]) == (3, 2, 1, 0)
    assert (r2["runs"], r2["done"], r2["errors"], r2["skipped"], r2["other"]) == (5, 1, 1, 1, 2)
    assert (r1["error_rate"], r1["render_hours"], r1["cpu_hours"]) == (0.3333, 1.5167, 0.7583)
    assert (r1["longest_run"], r1["peak_rss_mb"], r2["peak_rss_mb"]) == (3600.0, 4096.0, 512.0)

    slowest = statistics.slowest(start, end, 2)
    assert [(run["task"], run["run_time"], run["project"]) for run in slowest] == [
        (0, 3600.0, "moon"),
        (1, 1800.0, "moon"),
    ]

    use = statistics.utilisation(start, end)
    assert use["capacity"] == 2000
    assert use["rows"][0] == {"time": start, "busy": 60000.0, "free": 0}  # 1000 for an hour
    assert use["rows"][3] == {"time": start + 180, "busy": 5000.0, "free": 0}
    assert use["rows"][4] == {"time": start + 240, "busy": 0.0, "free": 2000}
    assert len(use["rows"]) == 10  # every minute of the range, idle ones too
    assert use["rows"][9] == {"time": start + 540, "busy": 0.0, "free": 2000}


EPOCH = 1_765_000_000.0  # a fixed time: the same rows, hours and answers on every run
# ranges whose ends fall inside hours, on whole hours, inside one hour, and around them all
RANGES = [
    (EPOCH + 1234.5, EPOCH + 2 * 86400 + 77),
    (EPOCH, EPOCH + 3 * 86400),
    (EPOCH - 5000, EPOCH + 4 * 86400),
    (EPOCH + 100, EPOCH + 3000),
    (EPOCH + 1800, EPOCH + 9 * HOUR),
]


def random_runs(count: int, seed: int = 3) -> list[dict]:
    """Runs ending over three days from EPOCH, with times in microseconds' fractions (as epoch
    differences have), some never measured."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        done = EPOCH + rng.uniform(0, 3 * 86400)
        run_time = rng.uniform(0, 7200)
        state = rng.choice(STATES)
        rows.append(
            dict(
                job_id=n // 10,
                block=0,
                task=n % 10,
                run=1,
                job_name="shot",
                block_name="main",
                user_name=f"user{rng.randrange(5)}",
                service=f"service{rng.randrange(3)}",
                render=f"r{rng.randrange(20)}",
                pool=rng.choice(["/", "/gpu"]),
                project=f"project{rng.randrange(4)}",
                department="fx",
                state=state,
                exit_code=None,
                signal=None,
                error_kind="",
                time_start=done - run_time,
                time_done=done,
                run_time=run_time,
                peak_rss_mb=rng.choice([None, rng.uniform(1, 5000)]),
                cpu_seconds=rng.choice([None, run_time * rng.random()]),
                capacity=rng.choice([250, 1000]),
            )
        )
    return rows


STATES = [RUN_DONE, RUN_DONE, RUN_ERROR, RUN_SKIPPED, RUN_STOPPED, RUN_LOST]


def answers(start: float, end: float) -> list:
    """Every statistics answer but the slowest runs (read from the runs alone) for a range."""
    found = [statistics.utilisation(start, end)]
    for by in statistics.GROUPS:
        found += [statistics.over_time(start, end, by), statistics.breakdown(start, end, by)]
    return found


def from_runs_alone(monkeypatch) -> None:
    """The statistics read from the runs only, never their hours' sums."""
    monkeypatch.setattr(statistics, "SPANS", ())


def sums() -> list[tuple]:
    return sorted(StatSum.select().tuples())


def test_the_sums_by_period_answer_as_the_runs_do(store, monkeypatch):
    rows = random_runs(3000)
    for first in range(0, len(rows), 250):  # a batch a tick, as the server writes them
        records.upsert_stat_runs(rows[first : first + 250])
    # rows written again: late results of lost runs, moved to later hours and other hosts
    again = [
        {**row, "state": RUN_DONE, "render": "r99", "time_done": row["time_done"] + 5000}
        for row in rows[:40]
    ]
    records.upsert_stat_runs([*again, *random_runs(30, seed=4)[20:]])  # with 10 new ones
    # retention removes the runs of the first hours
    kept = next(kept for kept in KEPT if kept.model is StatRun)
    found: list[int] = []
    remove_batch(kept, EPOCH + 4 * HOUR + 1, None, 10_000, found)()
    assert found[0] > 0
    hours = StatSum.select().where((StatSum.grouping == stat_sums.ALL) & (StatSum.span == HOUR))
    assert min(row.period for row in hours) == stat_sums.hour_of(EPOCH + 4 * HOUR)

    kept_up = sums()
    with_sums = [answers(start, end) for start, end in RANGES]
    stat_sums.resum_all()
    assert sums() == kept_up  # what each write added is what the rows add up to
    from_runs_alone(monkeypatch)
    assert [answers(start, end) for start, end in RANGES] == with_sums
    assert any(row["key"] == "r99" for row in with_sums[1][-3])  # by host, the moved runs


def test_the_migration_sums_the_runs_stored_before_it(store, monkeypatch):
    rows = random_runs(500)
    StatRun.insert_many(rows).execute()  # without their sums, as the version before stored them
    store.drop_tables([StatSum])
    SchemaVersion.delete().where(SchemaVersion.version == 9).execute()  # stat_sum's
    migrate(store)
    assert StatSum.select().count() > 0
    with_sums = [answers(start, end) for start, end in RANGES]
    from_runs_alone(monkeypatch)
    assert [answers(start, end) for start, end in RANGES] == with_sums


def doc_queries(dialect: str) -> list[str]:
    """The SQL blocks of docs/statistics.md that run on this dialect."""
    blocks = re.findall(r"```(sql|sqlite|postgresql)\n(.*?)```", DOC.read_text(), re.S)
    return [text for kind, text in blocks if kind in ("sql", dialect)]


def test_the_docs_sql_runs_on_both_backends(store):
    populate(time.time())
    dialect = "sqlite" if isinstance(store, SqliteDatabase) else "postgresql"
    queries = doc_queries(dialect)
    assert len(queries) == 7
    answers = [store.execute_sql(query).fetchall() for query in queries]
    assert all(answers), "a query found nothing in the populated store"
    sums, hours, failures, kinds, shots, memory, jobs = answers
    assert [(project, round(float(h), 4), runs) for project, h, runs in sums] == [
        ("moon", round(9060 / HOUR, 4), 4),  # last year's run too
        ("sun", round(840 / HOUR, 4), 5),
    ]
    assert [(project, float(h)) for project, h in hours] == [("moon", 1.52), ("sun", 0.23)]
    assert [(host, runs, errors, float(rate)) for host, runs, errors, rate in failures] == [
        ("r2", 2, 1, 50.0),
        ("r1", 4, 1, 25.0),  # last year's run too
    ]
    assert ("r2", "lost", 1) in kinds and ("r1", "exit", 1) in kinds
    assert shots[0][:4] == (1, "moon_shot", "moon", 3600.0)
    assert [(service, highest) for service, _, _, highest in memory] == [
        ("blender", 4096.0),
        ("nuke", 512.0),
    ]
    assert jobs[0][:6] == (1, "moon_shot", "ann", 3, 2, 1) and jobs[0][7]


def test_a_farm_run_s_statistics_outlive_its_job(farm):
    start_farm(farm, {"s1": 2})
    client = farm.client
    spec = job("shot", fails_until(2), count=3, project="moon", block=RETRY_HERE)
    job_id = client.submit(spec)
    farm.wait_job_done(job_id)
    client.delete_job(job_id)
    wait_until(lambda: job_id not in [j["id"] for j in client.jobs()])

    def runs():
        rows = client.stats("breakdown", by="project")["rows"]
        return rows if rows and rows[0]["runs"] == 6 else None

    (moon,) = wait_until(runs)
    assert (moon["key"], moon["done"], moon["errors"]) == ("moon", 3, 3)
    slow = client.stats("slowest", limit=10)["rows"]
    assert {(row["job_id"], row["render"], row["user_name"]) for row in slow} == {
        (job_id, "s1", "tester")
    }
    over = client.stats("over-time", by="host")
    assert sum(row["runs"] for row in over["rows"]) == 6 and over["rows"][0]["key"] == "s1"
    assert client.stats("utilisation")["capacity"] == 1000
    with pytest.raises(Exception, match="from: expected a time before to"):
        client.stats("slowest", start=10, end=5)

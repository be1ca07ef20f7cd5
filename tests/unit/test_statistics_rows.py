"""Statistics rows (persistence/schema.py StatRun, StatJob) written by the server's Farm as runs
end: done, error, skipped, stopped and lost runs, kept after their job is deleted."""

from app.core.jobspec import parse_job
from app.protocol import RUN_DONE, RUN_ERROR, RUN_LOST, RUN_SKIPPED, RUN_STOPPED
from app.server.farm import Farm
from app.server.persistence import restore, stat_sums
from app.server.persistence.schema import StatJob, StatRun, StatSum
from tests.unit import test_lifecycle_server
from tests.unit.lifecycle_farm import Clock
from tests.unit.test_lifecycle_server import connect, report_of, wait

farm = test_lifecycle_server.farm  # the fixture: a Farm on a real SQLite store, a fake clock


async def submit(farm: Farm, tasks: int):
    block = {
        "name": "beauty",
        "service": "generic",
        "numeric": True,
        "frame_first": 1,
        "frame_last": tasks,
        "command": "echo @#@",
        "capacity": 250,
        "errors_retries": 0,
    }
    job = {"name": "shot", "user_name": "ann", "project": "moon", "department": "fx"}
    submitted, _ = await farm.submit(parse_job({**job, "blocks": [block]}))
    return submitted


async def stored(farm: Farm) -> None:
    """The statistics rows pending for the next tick, and all else queued, committed."""
    farm.flush_stats()
    await farm.journal.flush()


def stat_runs(job_id: int) -> dict[int, StatRun]:
    return {row.task: row for row in StatRun.select().where(StatRun.job_id == job_id)}


async def test_each_way_a_run_ends_leaves_a_statistics_row(farm):
    job = await submit(farm, tasks=5)
    for name in ("r1", "r2", "r3", "r4", "r5"):
        connect(farm, name)
    farm.clock.advance(10)
    results = {
        "r1": report_of(farm, "ok\n", peak_rss_mb=512.0, cpu_seconds=7.5),
        "r2": report_of(farm, "bad\n", exit_code=3),
        "r3": report_of(farm, "there\n", skipped="its files exist"),
    }
    written = [
        farm.result(farm.render(name), (job.id, 0, n, 1), results[name])
        for n, name in enumerate(results)
    ]
    farm.task_action(job.id, 0, "suspend", [3])
    written.append(farm.result(farm.render("r4"), (job.id, 0, 3, 1), report_of(farm, "")))
    for future in written:
        await future
    farm.disconnected(farm.render("r5"), farm.links[farm.render("r5").id])
    wait(farm, 61)  # r5 and its run are lost
    await stored(farm)

    rows = stat_runs(job.id)
    seen = {n: (row.state, row.error_kind, row.render) for n, row in rows.items()}
    assert seen == {
        0: (RUN_DONE, "", "r1"),
        1: (RUN_ERROR, "exit", "r2"),
        2: (RUN_SKIPPED, "", "r3"),
        3: (RUN_STOPPED, "stopped", "r4"),
        4: (RUN_LOST, "lost", "r5"),
    }
    done = rows[0]
    assert (done.user_name, done.project, done.department) == ("ann", "moon", "fx")
    assert (done.job_name, done.block_name, done.service, done.pool) == (
        "shot",
        "beauty",
        "generic",
        "/",
    )
    assert (done.run_time, done.peak_rss_mb, done.cpu_seconds, done.capacity) == (
        5.0,
        512.0,
        7.5,
        250,
    )
    assert rows[1].exit_code == 3
    assert rows[4].run_time == 71.0  # from its start to when it was found lost


async def test_statistics_stay_after_the_job_is_deleted_and_its_id_is_not_reused(farm):
    job = await submit(farm, tasks=1)
    connect(farm)
    farm.clock.advance(10)
    await farm.result(farm.render("r1"), (job.id, 0, 0, 1), report_of(farm, "ok\n"))
    await stored(farm)
    finished = StatJob.get_by_id(job.id)
    assert (finished.tasks, finished.tasks_done, finished.run_time) == (1, 1, 5.0)
    assert finished.time_done == farm.clock() and finished.time_deleted == 0

    farm.job_action(job.id, "delete")
    await stored(farm)
    assert len(stat_runs(job.id)) == 1
    deleted = StatJob.get_by_id(job.id)
    assert (deleted.project, deleted.run_time, deleted.time_deleted) == ("moon", 5.0, farm.clock())

    again = Farm(farm.config, farm.journal, farm.outputs, clock=Clock())
    restore(again)
    assert again.next_job_id == job.id + 1  # its statistics keep the id


async def test_a_late_copy_of_a_result_leaves_the_counted_statistics(farm):
    job = await submit(farm, tasks=1)
    connect(farm)
    key = (job.id, 0, 0, 1)
    farm.job_action(job.id, "stop")
    written = farm.result(farm.render("r1"), key, report_of(farm, "first\n"))
    copy = farm.result(farm.render("r1"), key, report_of(farm, "copy\n", exit_code=1))
    await written
    await copy
    await stored(farm)
    assert stat_runs(job.id)[0].state == RUN_STOPPED


async def test_statistics_rows_are_written_together_by_the_next_tick(farm):
    """A result commits as before; its statistics row goes with the others at the next tick."""
    job = await submit(farm, tasks=2)
    connect(farm)
    await farm.result(farm.render("r1"), (job.id, 0, 0, 1), report_of(farm, "ok\n"))
    await farm.journal.flush()
    assert stat_runs(job.id) == {}
    farm.tick()
    await farm.journal.flush()
    assert list(stat_runs(job.id)) == [0]


def sums() -> list[tuple]:
    return sorted(StatSum.select().tuples())


async def test_a_lost_run_s_late_result_replaces_its_row_and_its_sums(farm):
    job = await submit(farm, tasks=1)
    connect(farm, "r1")
    farm.disconnected(farm.render("r1"), farm.links[farm.render("r1").id])
    wait(farm, 61)  # r1 and its run are lost
    await stored(farm)
    assert stat_runs(job.id)[0].state == RUN_LOST
    everything = StatSum.get((StatSum.grouping == stat_sums.ALL) & (StatSum.span == 3600))
    assert (everything.runs, everything.done) == (1, 0)

    connect(farm, "r1")  # back, with the run's result
    await farm.result(farm.render("r1"), (job.id, 0, 0, 1), report_of(farm, "late\n"))
    await stored(farm)
    assert stat_runs(job.id)[0].state == RUN_DONE
    kept_up = sums()
    stat_sums.resum_all()
    assert sums() == kept_up  # the replaced row's sums were taken out, the new one's added
    everything = StatSum.get((StatSum.grouping == stat_sums.ALL) & (StatSum.span == 3600))
    assert (everything.runs, everything.done, everything.run_us) == (1, 1, 5_000_000)

"""The life cycle inside the server's Farm (app/server/farm.py, controls.py): its Changes, edits
and results, on a real SQLite store and a fake clock; a render is a link that keeps what it is
sent."""

import asyncio
import errno
import json
import threading

import pytest

from app.core.jobspec import parse_job
from app.core.lifecycle import Changes
from app.core.quotas import QuotaExceeded
from app.core.states import RUN, WRC
from app.protocol import RUN_DONE, RUN_ERROR, RUN_RUNNING, RUN_STOPPED
from app.server.config import ServerConfig
from app.server.farm import Farm, FarmChanges
from app.server.persistence import Journal, OutputStore, open_database, restore, runs
from app.server.persistence.schema import JobRow, UserRow
from tests.polling import until
from tests.unit.lifecycle_farm import Clock, Recorder


class FailingOutputs(OutputStore):
    """Output files that fail to be written while `failure` is set (the exception raised)."""

    failure: Exception | None = None

    def write_many(self, rows: list[dict]) -> None:
        if self.failure is not None:
            raise self.failure
        super().write_many(rows)


class Link:
    """A render's end of its connection: what the farm sent it."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.closed = False

    def send(self, message: dict) -> None:
        self.sent.append(message)

    def close(self) -> None:
        self.closed = True

    def assigned(self) -> list[int]:
        return [message["task"]["task"] for message in self.sent if message["type"] == "assign"]


@pytest.fixture
async def farm(tmp_path):
    config = ServerConfig(tmp_path)
    db = open_database(config.database_url)
    journal = Journal(db, asyncio.get_running_loop())
    farm = Farm(config, journal, FailingOutputs(tmp_path / "outputs"), clock=Clock())
    yield farm
    await journal.flush()
    journal.close()
    db.close()


def connect(farm: Farm, name: str = "r1") -> Link:
    link = Link()
    hello = {"name": name, "capacity": None, "max_tasks": 1, "host": {}}
    farm.register(link, {**hello, "running": [], "finished": []})
    return link


async def submit(farm: Farm, tasks: int = 1):
    block = {"numeric": True, "frame_first": 1, "frame_last": tasks, "command": "echo @#@"}
    spec = parse_job({"name": "j", "user_name": "ann", "blocks": [block]})
    job, _ = await farm.submit(spec)
    return job


def wait(farm: Farm, seconds: float) -> None:
    """Time passes, the renders heartbeat, then the once-a-second tick."""
    farm.clock.advance(seconds)
    for render in farm.renders.values():
        farm.heard_from(render)
    farm.tick()


def public(cls) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def test_farm_changes_implements_exactly_changes():
    assert public(FarmChanges) == public(Changes)
    assert public(Recorder) - {"names"} == public(Changes)


async def test_a_job_edited_to_wait_starts_when_its_time_wait_passes(farm):
    job = await submit(farm)
    farm.edit_job(job.id, {"time_wait": int(farm.clock()) + 50})
    link = connect(farm)
    assert link.assigned() == []
    wait(farm, 49)
    assert link.assigned() == []
    wait(farm, 2)  # the edit's wait ends: the job starts at once, not at the next unrelated fill
    assert link.assigned() == [0]


async def test_a_result_is_stored_before_the_next_task_of_its_render(farm):
    job = await submit(farm, tasks=2)
    link = connect(farm)
    report = report_of(farm, "frame 1\n")
    written = farm.result(farm.render("r1"), (job.id, 0, 0, 1), report)
    assert link.assigned() == [0, 1]
    await written
    first, *_ = runs.task_runs(job.id, 0, 0)
    assert (first["state"], first["error"], first["output_size"]) == (RUN_DONE, None, 8)


async def test_submits_committing_together_share_the_queue_quota(farm):
    farm.edit_user("ann", {"max_queued_tasks": 10}, create=True)
    answers = await asyncio.gather(submit(farm, 6), submit(farm, 6), return_exceptions=True)
    assert sorted(type(answer).__name__ for answer in answers) == ["Job", "QuotaExceeded"]
    assert farm.users["ann"].queued_tasks == 6
    assert len(farm.jobs) == 1
    with pytest.raises(QuotaExceeded):
        await submit(farm, 5)
    assert farm.users["ann"].queued_tasks == 6


async def test_a_result_whose_commit_failed_is_written_again_when_resent(farm):
    """Not acknowledged without being stored: the resent copy brings a commit of its own."""
    job = await submit(farm)
    connect(farm)
    key, report = (job.id, 0, 0, 1), report_of(farm, "frame 1\n")
    farm.outputs.failure = RuntimeError("a bug in writing outputs")
    with pytest.raises(RuntimeError):
        await farm.result(farm.render("r1"), key, report)
    farm.outputs.failure = None
    resent = farm.result(farm.render("r1"), key, report)
    assert resent is not None, "a resent copy of an unstored result would be acknowledged"
    await resent
    assert [run["state"] for run in runs.task_runs(job.id, 0, 0)] == [RUN_DONE]


async def test_no_task_starts_while_the_store_cannot_commit(farm):
    job = await submit(farm, tasks=3)
    link = connect(farm)
    farm.outputs.failure = OSError(errno.ENOSPC, "No space left on device")
    first = farm.result(farm.render("r1"), (job.id, 0, 0, 1), report_of(farm, "frame 1\n"))
    assert link.assigned() == [0, 1]  # decided before the journal tried the commit
    await until(lambda: farm.journal.trouble is not None)
    second = farm.result(farm.render("r1"), (job.id, 0, 1, 1), report_of(farm, "frame 1\n"))
    assert link.assigned() == [0, 1] and not first.done()

    farm.outputs.failure = None  # space again: both commit, in order, and work goes on
    await asyncio.gather(first, second)
    await until(lambda: link.assigned() == [0, 1, 2])
    assert [run["state"] for run in runs.task_runs(job.id, 0, 1)] == [RUN_DONE]


async def test_renders_wait_while_the_journal_is_behind_then_start_in_turn(farm):
    """Above `journal_backlog` uncommitted operations no task starts; as batches commit, the
    renders held back start again, the longest waiting first."""
    job = await submit(farm, tasks=10)
    r1, r2, r3 = (connect(farm, name) for name in ("r1", "r2", "r3"))
    assert (r1.assigned(), r2.assigned(), r3.assigned()) == ([0], [1], [2])
    await farm.journal.flush()
    farm.config.journal_backlog = 1  # any operation not committed yet holds dispatch back
    writer = threading.Event()
    farm.journal.put(writer.wait)  # the writer thread is stuck until set
    try:
        assert farm.journal.backlog == 1
        for render, n in (("r3", 2), ("r1", 0)):
            farm.result(farm.render(render), (job.id, 0, n, 1), report_of(farm, "frame 1\n"))
        assert (r1.assigned(), r2.assigned(), r3.assigned()) == ([0], [1], [2])
        assert list(farm.held_back) == [farm.render("r3").id, farm.render("r1").id]
    finally:
        writer.set()  # batch by batch, each start holding the next render back again
    await until(lambda: r1.assigned() == [0, 4])
    assert r3.assigned() == [2, 3] and r2.assigned() == [1]
    await farm.journal.flush()
    assert farm.journal.backlog == 0 and not farm.held_back


def report_of(farm: Farm, output: str, **fields) -> dict:
    """A render's successful result with this output, fields overriding."""
    now = farm.clock()
    return {
        "exit_code": 0,
        "signal": None,
        "error": None,
        "time_start": now - 5,
        "time_done": now,
        "output": output,
        "success": False,
        **fields,
    }


async def test_a_resent_copy_is_acknowledged_once_stored_and_keeps_the_counted_result(farm):
    job = await submit(farm)
    link = connect(farm)
    key = (job.id, 0, 0, 1)
    farm.job_action(job.id, "stop")  # the run is stopped by order: its result counts as STOPPED
    written = farm.result(farm.render("r1"), key, report_of(farm, "first\n"))
    copy = farm.result(farm.render("r1"), key, report_of(farm, "copy\n"))  # a resend
    assert copy is not None and copy is not written
    await copy
    assert [run["state"] for run in runs.task_runs(job.id, 0, 0)] == [RUN_STOPPED]
    assert farm.outputs.read(key) == "first\n" and link.sent


async def test_a_late_result_is_stored_on_its_render_s_lost_run_only(farm):
    job = await submit(farm)
    first, second = (job.id, 0, 0, 1), (job.id, 0, 0, 2)
    link = connect(farm, "r1")
    farm.disconnected(farm.render("r1"), link)
    wait(farm, 61)  # r1's run is lost
    assert connect(farm, "r2").assigned() == [0]  # run again
    connect(farm, "r1")  # back, with the lost run's result
    forged = farm.result(farm.render("r2"), first, report_of(farm, "forged\n"))
    late = farm.result(farm.render("r1"), first, report_of(farm, "late\n", exit_code=3))
    await asyncio.gather(forged, late)
    stored = [(run["run"], run["render"], run["state"]) for run in runs.task_runs(job.id, 0, 0)]
    assert stored == [(1, "r1", RUN_ERROR), (2, "r2", RUN_RUNNING)]
    assert farm.outputs.read(first) == "late\n"
    assert farm.outputs.read(second) is None and farm.job(job.id).blocks[0].tasks.state(0) == RUN


async def test_deleting_an_offline_render_removes_it(farm):
    link = connect(farm)
    render = farm.render("r1")
    farm.disconnected(render, link)
    farm.render_action("r1", "delete")
    assert "r1" not in farm.renders
    with pytest.raises(ValueError, match="unknown job action"):
        farm.act_on_job(await submit(farm), "sleep")


async def test_restore_leaves_out_what_an_older_version_stored_unchecked(farm, caplog):
    """A job or user setting stored before its check existed (a regex mask that does not
    compile) must not stop the server from starting: the rest comes back, the id stays taken."""
    good = await submit(farm)
    await farm.journal.flush()
    spec = json.loads(JobRow.get_by_id(good.id).spec)
    spec.update(hosts_mask_type="regex", hosts_mask="(")
    JobRow.create(
        id=7, name="old", user_name="ann", priority=99, spec=json.dumps(spec), time_created=1.0
    )
    UserRow.create(name="bob", settings=json.dumps({"hosts_mask_type": "regex", "hosts_mask": "("}))
    again = Farm(farm.config, farm.journal, farm.outputs, clock=Clock())
    restore(again)
    assert set(again.jobs) == {good.id}
    assert again.next_job_id == 8
    assert again.users["bob"].hosts_mask == ""
    assert "job 7 'old' left out" in caplog.text and "user bob" in caplog.text


async def test_a_stopping_server_closes_its_renders_links_and_expects_them_back(farm):
    """A graceful stop is no render's leaving: the next start waits for them as after a crash,
    and a result read while the sockets close starts nothing the render would never hear of."""
    job = await submit(farm, tasks=2)
    link = connect(farm)
    render = farm.render("r1")
    farm.shut_down()
    assert link.closed
    written = farm.result(render, (job.id, 0, 0, 1), report_of(farm, "1\n"))
    farm.disconnected(render, link)  # the socket's end
    assert link.assigned() == [0]
    await written
    again = Farm(farm.config, farm.journal, farm.outputs, clock=Clock())
    restore(again)
    assert again.expected_renders == {"r1"} and again.hold_until


async def test_restore_expects_a_render_stored_offline_whose_run_waits_for_it(farm):
    job = await submit(farm)
    link = connect(farm)
    farm.disconnected(farm.render("r1"), link)  # offline, its run its own until zombie_time
    await farm.journal.flush()
    again = Farm(farm.config, farm.journal, farm.outputs, clock=Clock())
    restore(again)
    assert again.job(job.id).blocks[0].tasks.numbers_in(WRC) == [0]
    assert again.expected_renders == {"r1"} and again.hold_until

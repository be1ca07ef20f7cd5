"""TaskRunner with real shell commands (POSIX)."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from app.core.path_maps import PathMap
from app.protocol import KEY_FIELDS, RESULT_FIELDS
from app.render import runner as runner_module
from app.render.config import RenderConfig
from app.render.runner import OutputCapture, TaskRunner
from tests.unit.test_process import live_with, new_marker

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")

RESULT_MESSAGE = {"type", *KEY_FIELDS, *RESULT_FIELDS}  # what a runner emits as its result


def make_task(command: str, **fields) -> dict:
    task: dict = {
        "job": 7,
        "block": 1,
        "task": 3,
        "run": 2,
        "job_name": "job",
        "block_name": "block",
        "task_name": "task",
        "user_name": "tester",
        "command": command,
        "working_directory": None,
        "environment": {},
        "frame_start": 10,
        "frame_end": 12,
        "frames_inc": 1,
        "capacity": 1000,
        "service": "generic",
        "parser": "none",
    }
    task.update(fields)
    return task


@pytest.fixture
def config(tmp_path: Path) -> RenderConfig:
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    return RenderConfig(server_url="http://127.0.0.1:1", stop_grace=2.0, tmp_dir=tmp_dir)


async def run_task(task: dict, config: RenderConfig) -> tuple[list[dict], dict]:
    """Run a task to its end; return all its messages and the result."""
    messages: list[dict] = []
    runner = TaskRunner(task, config, messages.append)
    runner.start()
    await asyncio.wait_for(runner.wait(), 30)
    assert [m["type"] for m in messages].count("result") == 1
    result = messages[-1]
    assert result["type"] == "result"
    assert set(result) == RESULT_MESSAGE
    assert (result["job"], result["block"], result["task"], result["run"]) == (7, 1, 3, 2)
    assert result["time_start"] <= result["time_done"]
    return messages, result


def output_of(messages: list[dict]) -> str:
    return "".join(m["data"] for m in messages if m["type"] == "output")


async def test_environment_has_task_variables_and_corral_ids(config, tmp_path):
    out = tmp_path / "env.txt"
    command = (
        'printf "%s\\n" "$CORRAL_JOB_ID" "$CORRAL_BLOCK" "$CORRAL_TASK" "$CORRAL_RUN"'
        ' "$CORRAL_FRAME_START" "$CORRAL_FRAME_END" "$MY_VAR" "$PATH" > "$OUT"'
    )
    task = make_task(command, environment={"OUT": str(out), "MY_VAR": "hello world"})
    _, result = await run_task(task, config)
    assert result["exit_code"] == 0 and result["error"] is None
    lines = out.read_text().splitlines()
    assert lines[:7] == ["7", "1", "3", "2", "10", "12", "hello world"]
    assert lines[7] == os.environ["PATH"]  # the render's own environment is kept


async def test_environment_has_afanasy_variables(config, tmp_path):
    """Scripts written for Afanasy read the task's identity from AF_* variables."""
    out = tmp_path / "env.txt"
    names = [
        "AF_JOB_ID",
        "AF_JOB_NAME",
        "AF_BLOCK_ID",
        "AF_BLOCK_NAME",
        "AF_TASK_ID",
        "AF_TASK_NAME",
        "AF_USER_NAME",
        "AF_CAPACITY",
        "AF_TASK_FRAME_START",
        "AF_TASK_FRAME_END",
    ]
    command = 'printf "%s\\n" ' + " ".join(f'"${name}"' for name in names) + ' > "$OUT"'
    task = make_task(command, environment={"OUT": str(out)}, capacity_coeff=2, capacity=2000)
    _, result = await run_task(task, config)
    assert result["exit_code"] == 0, result["output"]
    assert out.read_text().splitlines() == [
        "7", "job", "1", "block", "3", "task", "tester", "2000", "10", "12"
    ]  # fmt: skip


async def test_working_directory_is_used(config, tmp_path):
    _, result = await run_task(make_task("pwd > here.txt", working_directory=str(tmp_path)), config)
    assert result["exit_code"] == 0
    assert Path((tmp_path / "here.txt").read_text().strip()) == tmp_path


async def test_path_map_applies_to_working_directory_command_and_environment(config, tmp_path):
    """A job submitted from Windows runs on this (POSIX) render in the mapped places."""
    shows = tmp_path / "shows"
    (shows / "abc").mkdir(parents=True)
    config.path_map = PathMap.parse(f"P:/shows={shows}", "linux")
    command = (
        r'printf "%s\n" "$(pwd -P)" "$SCENE" "$SEARCH" "P:\shows\abc\x.exr" > P:\shows\got.txt'
    )
    environment = {"SCENE": r"P:\shows\abc\sh010.ma", "SEARCH": r"P:\shows\lib;Q:\other"}
    task = make_task(command, working_directory=r"p:\Shows\abc", environment=environment)
    _, result = await run_task(task, config)
    assert result["exit_code"] == 0, result["output"]
    assert (shows / "got.txt").read_text().splitlines() == [
        os.path.realpath(shows / "abc"),
        f"{shows}/abc/sh010.ma",
        f"{shows}/lib;Q:\\other",
        f"{shows}/abc/x.exr",
    ]


async def test_missing_working_directory_gives_a_removed_temp_dir(config, tmp_path):
    where = tmp_path / "where.txt"
    task = make_task(f"pwd > {where}; touch junk", working_directory=str(tmp_path / "missing"))
    _, result = await run_task(task, config)
    assert result["exit_code"] == 0
    used = Path(where.read_text().strip())
    assert used.parent == config.tmp_dir
    assert not used.exists()


async def test_stdout_and_stderr_are_captured(config):
    messages, result = await run_task(make_task("echo out; echo err >&2"), config)
    assert result["output"] == "out\nerr\n"
    assert output_of(messages) == "out\nerr\n"


async def test_started_is_sent_only_for_a_task_that_outlives_the_delay(config, monkeypatch):
    monkeypatch.setattr(runner_module, "STARTED_AFTER", 1.5)  # far above a loaded machine's start
    short, _ = await run_task(make_task("true"), config)
    assert "started" not in [m["type"] for m in short]
    long, _ = await run_task(make_task("sleep 2"), config)
    started = [m for m in long if m["type"] == "started"]
    assert len(started) == 1 and started[0]["pid"] > 0 and long[0] is started[0]


async def test_output_is_sent_in_batches(config):
    messages, result = await run_task(make_task("seq 1 30000"), config)
    expected = "".join(f"{n}\n" for n in range(1, 30001))  # about 170 KB
    assert result["output"] == expected
    assert output_of(messages) == expected
    assert len([m for m in messages if m["type"] == "output"]) <= 10


async def test_invalid_utf8_is_replaced(config):
    _, result = await run_task(make_task("printf 'a\\377b'"), config)
    assert result["output"] == "a\ufffdb"


async def test_non_zero_exit_is_not_an_error(config):
    _, result = await run_task(make_task("exit 3"), config)
    assert (result["exit_code"], result["signal"], result["error"]) == (3, None, None)


async def test_death_by_signal_is_reported_as_signal(config):
    _, result = await run_task(make_task("kill -9 $$"), config)
    assert (result["exit_code"], result["signal"], result["error"]) == (None, 9, None)


async def test_output_limit_keeps_head_and_tail(config):
    config.output_limit = 1000
    command = "printf HEAD; head -c 100000 /dev/zero | tr '\\0' x; printf TAIL"
    messages, result = await run_task(make_task(command), config)
    output = result["output"]
    assert output.startswith("HEADxxx") and output.endswith("xxxTAIL")
    assert f"\n[... {100008 - 1000} bytes cut ...]\n" in output
    assert len(output) == 1000 + len(f"\n[... {100008 - 1000} bytes cut ...]\n")
    assert len(output_of(messages)) == 100008  # live output is not cut


def test_output_capture_without_cut():
    capture = OutputCapture(10)
    for chunk in (b"0123", b"4567", b"89"):
        capture.add(chunk)
    assert capture.text() == "0123456789"
    capture.add(b"abc")
    assert capture.text() == "01234\n[... 3 bytes cut ...]\n89abc"


async def test_stop_kills_the_tree_and_reports_stopped(config):
    marker = new_marker()
    task = make_task(f"sleep {marker} & sleep {marker}; wait")
    messages: list[dict] = []
    runner = TaskRunner(task, config, messages.append)
    runner.start()
    try:
        for _ in range(100):
            if len(live_with(marker)) == 3:  # the shell and its two sleeps
                break
            await asyncio.sleep(0.05)
        runner.stop()
        await asyncio.wait_for(runner.wait(), 10)
    finally:
        for process in live_with(marker):
            process.kill()
    result = messages[-1]
    assert (result["error"], result["signal"], result["exit_code"]) == (
        "stopped",
        signal.SIGTERM,
        None,
    )
    assert live_with(marker) == []


async def test_stop_right_after_start_still_stops(config):
    messages: list[dict] = []
    runner = TaskRunner(make_task("sleep 30"), config, messages.append)
    runner.start()
    runner.stop()
    await asyncio.wait_for(runner.wait(), 10)
    assert messages[-1]["error"] == "stopped"


async def test_leftover_background_process_is_killed_at_exit(config):
    marker = new_marker()
    try:
        _, result = await run_task(make_task(f"sleep {marker} & echo started"), config)
    finally:
        survivors = live_with(marker)
        for process in survivors:
            process.kill()
    assert (result["exit_code"], result["error"], result["output"]) == (0, None, "started\n")
    assert survivors == []


async def test_failed_start_is_reported(config):
    config.tmp_dir = config.tmp_dir / "missing"
    _, result = await run_task(make_task("true"), config)
    assert result["error"].startswith("failed to start: ")
    assert (result["exit_code"], result["signal"]) == (None, None)


async def test_nul_byte_in_environment_fails_to_start(config):
    _, result = await run_task(make_task("true", environment={"BAD": "a\0b"}), config)
    assert result["error"].startswith("failed to start: ")


@pytest.mark.parametrize(
    "fields",
    [{"job": "7"}, {"run": None}, {"command": 5}, {"environment": {"A": 1}}, {"frame_start": "1"}],
)
def test_malformed_task_is_rejected(config, fields):
    with pytest.raises(ValueError):
        TaskRunner({**make_task("true"), **fields}, config, lambda message: None)


async def test_many_short_tasks_are_cheap(config):
    messages: list[dict] = []
    runners = [TaskRunner(make_task("true", task=n), config, messages.append) for n in range(200)]
    loop = asyncio.get_running_loop()
    began = loop.time()
    for runner in runners:
        runner.start()
    await asyncio.wait_for(asyncio.gather(*(runner.wait() for runner in runners)), 60)
    results = [m for m in messages if m["type"] == "result"]
    assert len(results) == 200 and all(r["exit_code"] == 0 for r in results)
    assert loop.time() - began < 20

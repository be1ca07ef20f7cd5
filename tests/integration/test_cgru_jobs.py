"""Jobs shaped as CGRU's af.py shapes them behave as Afanasy runs them, on a real farm.

The documents are written here from CGRU's job keys: ``{"job": {...}}`` around the job, every
block with its name, capacity, working directory, service, parser and ``numeric`` flag, a
non-numeric block without ``frame_first``, tasks that may have no name.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from app.api import CorralError
from tests.integration.conftest import in_process
from tests.integration.scenarios import (
    USER,
    add_renders,
    finish,
    reason,
    runs,
    start_farm,
    states,
    tasks,
    wait_output,
    wait_running,
    wait_state,
)
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")


def cgru_block(name: str, command: str = "", **keys: object) -> dict:
    """A block as af.py's Block fills it before keys are set."""
    return {
        "name": name,
        "capacity": 100,
        "working_directory": "/tmp",
        "service": "generic",
        "parser": "generic",
        "numeric": False,
        "flags": 0,
        "command": command,
        **keys,
    }


def cgru_numeric(
    name: str, command: str, first: int, last: int, per_task: int = 1, **keys: object
) -> dict:
    """af.py's Block.setNumeric(first, last, per_task, 1)."""
    keys["flags"] = keys.get("flags", 0) | 1
    return cgru_block(
        name,
        command,
        numeric=True,
        frame_first=first,
        frame_last=last,
        frames_per_task=per_task,
        frames_inc=1,
        **keys,
    )


def cgru_job(name: str, *blocks: dict) -> dict:
    """A job as af.py's Job.send wraps it."""
    return {
        "job": {
            "name": name,
            "user_name": USER,
            "host_name": "workstation",
            "priority": 99,
            "time_creation": 1_700_000_000,
            "blocks": list(blocks),
        }
    }


def _done_before(client, job_id: int, earlier: tuple[int, int], later: tuple[int, int]) -> bool:
    """Task later (block, task) started only after task earlier (block, task) was done."""
    done = tasks(client, job_id, earlier[0])[earlier[1]]["time_done"]
    return tasks(client, job_id, later[0])[later[1]]["time_start"] >= done


def test_houdini_tiles_wait_for_their_ifd_and_the_join_for_its_tiles(farm, gates):
    """CGRU's Houdini tiles: IFDs of frames 1-2, three tiles a frame in a non-numeric block
    (frames_per_task -3, no frame_first), a numeric join of frames 1-2."""
    start_farm(farm, {"r1": 8})
    tiles = [{"name": f"tile {n}", "command": "true"} for n in range(6)]
    spec = cgru_job(
        "tiles",
        cgru_numeric("ifd", gates.command(), 1, 2),
        cgru_block("tiles", "", frames_per_task=-3, tasks_depend_mask="ifd", tasks=tiles),
        cgru_numeric("join", "true", 1, 2, tasks_depend_mask="tiles"),
    )
    job_id = farm.client.submit(spec)
    wait_running(farm.client, job_id, 2)
    assert states(farm.client, job_id, 1) == ["WDP"] * 6
    assert states(farm.client, job_id, 2) == ["WDP"] * 2

    gates.open(2)  # frame 2's IFD: its three tiles, then its join
    wait_state(farm.client, job_id, 2, 1, "DON")
    assert states(farm.client, job_id, 1) == ["WDP"] * 3 + ["DON"] * 3
    assert states(farm.client, job_id, 2)[0] == "WDP"

    finish(farm, gates, job_id)
    for tile in range(6):
        assert _done_before(farm.client, job_id, (0, tile // 3), (1, tile))
        assert _done_before(farm.client, job_id, (1, tile), (2, tile // 3))


def test_tasks_after_the_source_range_wait_for_its_last_task(farm, gates):
    """Frames of the dependent block beyond the source's range wait for its last task (Afanasy
    clamps them to it) and start when it is done."""
    start_farm(farm, {"r1": 8})
    spec = cgru_job(
        "beyond",
        cgru_numeric("sim", gates.command(), 1, 2),
        cgru_numeric("render", "true", 1, 4, tasks_depend_mask="sim"),
    )
    job_id = farm.client.submit(spec)
    wait_running(farm.client, job_id, 2)
    assert states(farm.client, job_id, 1) == ["WDP"] * 4
    gates.open(2)
    wait_until(lambda: states(farm.client, job_id, 1) == ["WDP", "DON", "DON", "DON"])
    finish(farm, gates, job_id)


def test_small_rules_commands_names_padding_and_blender_parser_names(farm, gates):
    start_farm(farm, {"r1": 4})
    cycles = gates.command("echo 'Fra:1 Mem:1M | Sample 30/100'; ")
    spec = cgru_job(
        "rules",
        cgru_block(
            "joined", "echo pre-", tasks=[{"name": "", "command": "one"}, {"command": "two"}]
        ),
        cgru_numeric("negative", "echo frame @####@", -5, -5),
        cgru_numeric("cycles", cycles, 1, 1, parser="blender_cycles"),
    )
    job_id = farm.client.submit(spec)
    wait_until(lambda: farm.client.task(job_id, 2, 0)["percent"] == 30)
    finish(farm, gates, job_id)
    assert [t["name"] for t in tasks(farm.client, job_id, 0)] == ["", ""]
    assert wait_output(farm.client, job_id, 0, 0, 1).endswith("pre-one")
    assert wait_output(farm.client, job_id, 0, 1, 1).endswith("pre-two")
    assert wait_output(farm.client, job_id, 1, 0, 1).endswith("frame -005")


def test_depend_sub_task_flag_lets_frames_start_while_the_source_runs(farm, gates):
    """Block flag 16 (dependsubtask): the sim's one task of frames 1-4 has reported frame 3, so
    the renders of frames 1 and 2 run while it goes on."""
    start_farm(farm, {"r1": 8})
    sim = gates.command("echo FRAME: 1; echo FRAME: 2; echo FRAME: 3; ")
    spec = cgru_job(
        "sub",
        cgru_numeric("sim", sim, 1, 4, 4, flags=16),
        cgru_numeric("render", "true", 1, 4, tasks_depend_mask="sim"),
    )
    job_id = farm.client.submit(spec)
    wait_until(lambda: states(farm.client, job_id, 1) == ["DON", "DON", "WDP", "WDP"])
    assert states(farm.client, job_id, 0) == ["RUN"]
    finish(farm, gates, job_id)


def test_suspend_new_tasks_flag_suspends_appended_tasks(farm):
    """Block flag 1024: tasks appended to the block arrive suspended; the first ones run."""
    start_farm(farm, {"r1": 2})
    spec = cgru_job("grow", cgru_block("list", flags=1024, tasks=[{"command": "true"}]))
    job_id = farm.client.submit(spec)
    wait_until(lambda: states(farm.client, job_id) == ["DON"])
    farm.client.append_tasks(job_id, 0, [{"command": "true"}, {"command": "true"}])
    assert states(farm.client, job_id) == ["DON", "SUS", "SUS"]
    farm.client.task_actions(job_id, 0, "continue")
    farm.wait_job_done(job_id)


def test_cpu_frequency_needs(farm):
    """need_cpu_freq_mgz (MHz) and need_cpu_freq_cores (MHz times cores) keep a render out."""
    start_farm(farm, {"r1": 1})
    spec = cgru_job(
        "fast",
        cgru_numeric("mhz", "true", 1, 1, need_cpu_freq_mgz=10**7),
        cgru_numeric("total", "true", 1, 1, need_cpu_freq_cores=10**9),
    )
    job_id = farm.client.submit(spec)
    why = reason(farm.client, job_id, "r1")
    assert "block 0: need_cpu_freq_mgz 10000000 MHz: render has" in why
    assert "block 1: need_cpu_freq_cores 1000000000 MHz: render has" in why
    farm.client.edit_job(job_id, {"need_cpu_freq_mgz": -1}, block=0)
    wait_until(lambda: states(farm.client, job_id, 0) == ["DON"])
    assert "block 1: need_cpu_freq_cores 1000000000 MHz:" in reason(farm.client, job_id, "r1")
    farm.client.edit_job(job_id, {"need_cpu_freq_cores": 0}, block=1)
    farm.wait_job_done(job_id)


def test_try_this_tasks_first(farm):
    """try_this_blocks_num / try_this_tasks_num: those tasks start before the others."""
    start_farm(farm, {"r1": 1})
    spec = cgru_job("first", cgru_numeric("frames", "true", 1, 5), cgru_numeric("b", "true", 1, 2))
    spec["job"].update(try_this_blocks_num=[1, 0], try_this_tasks_num=[1, 3])
    job_id = farm.client.submit(spec)
    farm.wait_job_done(job_id)
    starts = [(t["time_start"], 0, n) for n, t in enumerate(tasks(farm.client, job_id, 0))]
    starts += [(t["time_start"], 1, n) for n, t in enumerate(tasks(farm.client, job_id, 1))]
    assert {(block, n) for _, block, n in sorted(starts)[:2]} == {(1, 1), (0, 3)}


def test_try_this_tasks_of_no_task_is_refused(farm):
    farm.start_server()
    spec = cgru_job("wrong", cgru_numeric("frames", "true", 1, 5))
    spec["job"].update(try_this_blocks_num=[0], try_this_tasks_num=[5])
    with pytest.raises(CorralError, match="no task 5 in block 0"):
        farm.client.submit(spec)
    assert farm.client.jobs() == []


def test_parser_coeff_counts_each_frames_rounds(farm, gates):
    """parser_coeff 2 (af.py's setParserCoeff): a frame rendered in two rounds of 0-100 % is
    half done after the first round, not done and then back to the start."""
    start_farm(farm, {"r1": 1})
    rounds = "echo ALF_PROGRESS 100%; echo ALF_PROGRESS 50%; "
    block = cgru_numeric("layers", gates.command(rounds), 1, 1, parser="mantra", parser_coeff=2)
    answer = farm.client.submit_job(cgru_job("coeff", block))
    assert answer["warnings"] == []

    def running_at(percent: int) -> bool:
        task = tasks(farm.client, answer["id"], 0)[0]
        return task["state"] == "RUN" and task["percent"] == percent

    wait_until(lambda: running_at(75), 30)  # (100 + 50) / 2 rounds; 50 without the coeff
    finish(farm, gates, answer["id"])


def multihost_block(command: str, **keys: object) -> dict:
    """af.py's Block.setMultiHost(2, 2, 20, service=...): one task on two hosts and a master."""
    multihost = {
        "multihost_min": 2,
        "multihost_max": 2,
        "multihost_max_wait": 20,
        "multihost_service": "echo serving for @AF_HOSTS@; exec sleep 60",
        **keys,
    }
    return cgru_numeric("mh", command, 1, 1, flags=1 | 4, errors_retries=0, **multihost)


def test_multihost_task_runs_its_master_with_its_hosts(farm, gates, capsys):
    """The master's command gets the hosts' names; each host serves while the master runs;
    the task ends with the master, and the hosts' services are stopped then."""
    start_farm(farm, {"r1": 1, "r2": 1, "r3": 1})
    block = multihost_block(gates.command("echo master with @AF_HOSTS@; "))
    answer = farm.client.submit_job(cgru_job("mh", block))
    assert answer["warnings"] == []
    job_id = answer["id"]
    wait_until(lambda: len(runs(farm.client, job_id, 0, 0)) == 3)
    first, second, master = runs(farm.client, job_id, 0, 0)
    hosts = [first["render"], second["render"]]
    assert sorted([*hosts, master["render"]]) == ["r1", "r2", "r3"]
    assert {run["state"] for run in (first, second, master)} == {"RUN"}
    wait_until(lambda: all(r["capacity_used"] for r in farm.client.renders()))
    finish(farm, gates, job_id)
    assert wait_output(farm.client, job_id, 0, 0, 3) == f"master with {' '.join(hosts)}"
    assert wait_output(farm.client, job_id, 0, 0, 1) == f"serving for {' '.join(hosts)}"
    stopped = wait_until(
        lambda: (
            [r["state"] for r in runs(farm.client, job_id, 0, 0)] == ["STOPPED", "STOPPED", "DON"]
        )
    )
    assert stopped and states(farm.client, job_id) == ["DON"]
    wait_until(lambda: not any(r["capacity_used"] for r in farm.client.renders()))
    code, out, _ = in_process(farm.url, capsys, farm.admin_token)(
        "task", "show", str(job_id), "0", "0"
    )
    shown = [line.split() for line in out.splitlines()]
    assert code == 0
    for render, state in (*((host, "STOPPED") for host in hosts), (master["render"], "DON")):
        assert any(render in words and state in words for words in shown), out


def test_multihost_service_ending_first_fails_the_task(farm, gates):
    start_farm(farm, {"r1": 1, "r2": 1, "r3": 1})
    block = multihost_block(gates.command(), multihost_service="exit 0")
    job_id = farm.client.submit(cgru_job("mh", block))
    wait_state(farm.client, job_id, 0, 0, "ERR")
    wait_until(lambda: not any(r["capacity_used"] for r in farm.client.renders()))
    found = runs(farm.client, job_id, 0, 0)
    errors = [run["error"] for run in found[:2]]
    assert "multihost service ended before the master" in errors  # the first to end
    assert "multihost host" in found[2]["error"] and found[2]["state"] == "ERR"


def commands_job(folder: Path, task_command: str = "true", **block_keys: str) -> dict:
    """A job whose commands (af.py's setCmdPre/setCmdPost on the job and its block) each
    write a file named after itself in folder, with $AF_JOB_ID in it."""
    block = cgru_numeric(
        "b",
        task_command,
        1,
        1,
        working_directory=str(folder),
        command_pre="echo $AF_JOB_ID > block-pre",
        command_post="echo $AF_JOB_ID > block-post",
        **block_keys,
    )
    spec = cgru_job("commands", block)
    spec["job"].update(command_pre="env > job-pre", command_post="echo $AF_JOB_ID > job-post")
    return spec


def test_job_commands_are_not_run_unless_the_server_allows_them(farm, tmp_path):
    start_farm(farm, {"r1": 1})
    folder = tmp_path / "work"
    folder.mkdir()
    answer = farm.client.submit_job(commands_job(folder))
    not_run = "kept, not run: the server runs job commands only when started with --job-commands"
    assert answer["warnings"] == [
        f"{path}: {not_run} (SECURITY.md)"
        for path in (
            "command_pre",
            "blocks[0].command_pre",
            "command_post",
            "blocks[0].command_post",
        )
    ]
    farm.wait_job_done(answer["id"])
    farm.client.delete_job(answer["id"])
    time.sleep(1)  # a post command would have run by now
    assert list(folder.iterdir()) == []


def test_job_commands_run_on_the_server_before_the_tasks_and_after_deletion(farm, tmp_path):
    """With --job-commands: the pre commands have run when the submit answers (the task finds
    their files), without the server's secrets in their environment; the post commands run
    once the job is deleted; a failure and a timeout are named in the answer and logged, and
    the job runs anyway, as in Afanasy."""
    farm.start_server("--job-commands", "--job-commands-timeout", "2")
    add_renders(farm, {"r1": 1})
    folder = tmp_path / "work"
    folder.mkdir()
    answer = farm.client.submit_job(commands_job(folder, "test -f job-pre && test -f block-pre"))
    job_id = answer["id"]
    assert answer["warnings"] == []
    assert (folder / "block-pre").read_text() == f"{job_id}\n"
    environment = (folder / "job-pre").read_text()
    assert f"AF_JOB_ID={job_id}\n" in environment and "CORRAL_" not in environment
    assert farm.admin_token not in environment
    farm.wait_job_done(job_id)
    assert not (folder / "job-post").exists()
    farm.client.delete_job(job_id)
    wait_until(lambda: (folder / "job-post").exists() and (folder / "block-post").exists())
    assert (folder / "job-post").read_text() == f"{job_id}\n"

    spec = commands_job(folder)
    spec["job"]["command_pre"] = "echo half way; exit 3"
    spec["job"]["blocks"][0]["command_pre"] = "sleep 30"
    started = time.monotonic()
    answer = farm.client.submit_job(spec)
    assert time.monotonic() - started < 10  # the timeout, not the 30 s sleep
    assert answer["warnings"] == [
        "command_pre: failed with exit status 3",
        "blocks[0].command_pre: stopped after the timeout of 2 s",
    ]
    farm.wait_job_done(answer["id"])
    log = (farm.folder / "server.log").read_text()
    assert f"job {answer['id']} command_pre| half way" in log
    assert f"job {answer['id']} command_pre: failed with exit status 3" in log

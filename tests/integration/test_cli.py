"""The `corral` command against a real server (and real renders) on loopback.

Processes are started with bench.local_farm.LocalFarm, like the other integration tests: a
module-scoped server for the client verbs, and the `farm` fixture (tests/integration/conftest.py)
where a test needs an empty farm or a render. The CLI runs in this process through main(), or as
``python -m app`` in a subprocess where the real entry point, stdin or a clean stderr matter.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app import api
from app.cli import main
from app.credentials import TOKEN_ENV
from app.server.auth import ADMIN_TOKEN_FILE, read_secret
from bench.local_farm import FarmProcess, free_port
from tests.integration.auth_calls import call
from tests.integration.conftest import RENDER, in_process
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = 987654  # a job id no test creates


def corral(
    url: str, token: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """Run the `corral` command in a subprocess against the server at url, with token."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "CORRAL_SERVER": url, TOKEN_ENV: token},
    )


def submitted_id(out: str) -> int:
    match = re.fullmatch(r"Job (\d+) submitted\n", out)
    assert match, out
    return int(match[1])


# -- one server for the client verbs -----------------------------------------------------------


def test_submit_prints_the_id(cli, server):
    code, out, err = cli("submit", "--frames", "1-2", "--", "echo", "frame @#@")
    assert (code, err) == (0, "")
    job_id = submitted_id(out)
    job = server.client.job(job_id)
    assert (job["name"], job["tasks_total"]) == ("echo", 2)
    # the words were quoted for the shell, the frame pattern left for the server to fill
    assert server.client.task(job_id, 0, 1)["command"] == "echo 'frame '2"

    code, out, err = cli("submit", "--json", "--frames", "1-10", "--", "echo", "@#@")
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert answer["warnings"] == []
    assert server.client.job(answer["id"])["tasks_total"] == 10


def test_submit_from_file(server, tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps(api.numeric_job("cli-file", "echo frame @#@", 1, 6, per_task=2)))
    done = corral(server.url, server.admin_token, "submit", str(path))
    assert done.returncode == 0, done.stderr
    job_id = submitted_id(done.stdout)

    table = corral(server.url, server.admin_token, "jobs")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "USER", "STATE", "PRI", "DONE/TOTAL", "RUN", "ERR"]
    row = next(r.split() for r in rows if r.split()[0] == str(job_id))
    assert row[1] == "cli-file"
    assert row[-3:] == ["0/3", "0", "0"]

    raw = corral(server.url, server.admin_token, "--json", "job", "show", str(job_id))
    job = json.loads(raw.stdout)
    assert (job["id"], job["name"], job["tasks_total"]) == (job_id, "cli-file", 3)
    assert len(job["blocks"]) == 1


def test_submit_from_stdin(server):
    job = api.tasks_job("cli-stdin", [("one", "echo one"), ("two", "echo two")])
    done = corral(server.url, server.admin_token, "submit", "-", "--json", stdin=json.dumps(job))
    assert done.returncode == 0, done.stderr
    job_id = json.loads(done.stdout)["id"]
    assert server.client.job(job_id)["tasks_total"] == 2


def test_submit_command(cli, server):
    code, out, err = cli(
        "submit",
        "--json",
        "--name",
        "cli-cmd",
        "--frames",
        "1-10",
        "--fpt",
        "2",
        "--paused",
        "--priority",
        "50",
        "--",
        "echo",
        "frame",
        "@#@",
    )
    assert (code, err) == (0, "")
    job_id = json.loads(out)["id"]
    job = server.client.job(job_id)
    assert (job["name"], job["priority"], job["tasks_total"]) == ("cli-cmd", 50, 5)
    assert "OFF" in job["state"].split()

    code, out, err = cli("task", "show", str(job_id), "0", "1", "--json")
    assert code == 0, err
    task = json.loads(out)
    assert task == server.client.task(job_id, 0, 1)
    assert (task["frame_start"], task["frame_end"]) == (3, 4)
    assert "echo frame 3" in task["command"]

    code, out, _ = cli("task", "show", str(job_id), "0", "1")
    assert code == 0
    assert out.startswith(f"Task {job_id}/0/1: ")
    assert "echo frame 3" in out

    code, out, err = cli("task", "log", str(job_id), "0", "1")
    assert (code, out) == (1, "")
    assert err == f"corral: task {job_id}/0/1 has not run yet\n"


def test_invalid_job_file(server, tmp_path):
    count = len(server.client.jobs())
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(api.numeric_job("cli-bad", "echo @#@", 1, 10, per_task=0)))
    done = corral(server.url, server.admin_token, "submit", str(path))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "corral: invalid job: blocks[0].frames_per_task: must be >= 1\n"

    done = corral(server.url, server.admin_token, "submit", "-", stdin='{"name": "no blocks"}')
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("corral: invalid job: ")
    assert len(done.stderr.splitlines()) == 1
    assert len(server.client.jobs()) == count


def test_submit_names_misspelt_keys_and_refuses_them_when_strict(cli, server, tmp_path):
    path = tmp_path / "typo.json"
    job = api.numeric_job("cli-typo", "echo @#@", 1, 2, prioirty=120, custom_data="kept")
    path.write_text(json.dumps(job))
    code, out, err = cli("submit", str(path))
    assert code == 0
    submitted_id(out)
    assert err == "warning: prioirty: unknown key, ignored (did you mean 'priority'?)\n"
    count = len(server.client.jobs())
    code, out, err = cli("submit", "--strict", str(path))
    assert (code, out) == (1, "")
    assert err == "corral: invalid job: prioirty: unknown key, ignored (did you mean 'priority'?)\n"
    assert len(server.client.jobs()) == count


def test_submit_refuses_an_unknown_service(cli, server):
    count = len(server.client.jobs())
    code, out, err = cli("submit", "--service", "blendr", "--", "echo", "hi")
    assert (code, out) == (1, "")
    assert err.startswith(
        "corral: invalid job: blocks[0].service: unknown service 'blendr' (known: "
    )
    assert "blender" in err and "ffmpeg" in err and "generic" in err
    assert len(server.client.jobs()) == count


def test_job_actions(cli, server):
    code, out, _ = cli("submit", "--name", "cli-actions", "--frames", "1-3", "--", "echo", "@#@")
    job_id = submitted_id(out)

    assert cli("job", "pause", str(job_id)) == (0, f"Job {job_id} paused\n", "")
    code, out, _ = cli("job", "show", str(job_id), "--json")
    assert "OFF" in json.loads(out)["state"].split()

    assert cli("job", "start", str(job_id)) == (0, f"Job {job_id} started\n", "")
    assert "OFF" not in server.client.job(job_id)["state"].split()

    code, out, _ = cli("jobs", "--json")
    assert job_id in [j["id"] for j in json.loads(out)]

    # one good id and one unknown: the good one is done, the bad one reported, exit 1
    code, out, err = cli("job", "delete", str(job_id), str(UNKNOWN), "--json")
    assert code == 1
    assert json.loads(out) == [
        {"id": job_id, "ok": True},
        {"id": UNKNOWN, "ok": False, "error": f"no job with id {UNKNOWN}"},
    ]
    assert err == f"corral: no job with id {UNKNOWN}\n"
    assert job_id not in [j["id"] for j in server.client.jobs()]
    code, out, err = cli("job", "show", str(job_id))
    assert (code, out, err) == (1, "", f"corral: no job with id {job_id}\n")


def test_unknown_id(cli, server):
    assert cli("job", "show", str(UNKNOWN)) == (1, "", f"corral: no job with id {UNKNOWN}\n")
    assert cli("job", "pause", str(UNKNOWN)) == (1, "", f"corral: no job with id {UNKNOWN}\n")
    for args in (
        ["job", "show", str(UNKNOWN)],
        ["job", "pause", str(UNKNOWN)],
        ["task", "log", str(UNKNOWN), "0", "0"],
        ["task", "show", str(UNKNOWN), "0", "0"],
    ):
        done = corral(server.url, server.admin_token, *args)
        assert (done.returncode, done.stdout) == (1, ""), args
        assert done.stderr.startswith("corral: ")
        assert len(done.stderr.splitlines()) == 1, done.stderr  # one line, no traceback


def wrong_path(path: str) -> str:
    return (
        f"no route GET {path}: the Corral API is under /api/v1 (GET /api/v1/health answers "
        "without a token; /api/v1/openapi.json lists every route)"
    )


def test_a_wrong_path_answers_a_json_404_naming_it(server, capsys):
    """A URL with a path in front of /api/v1 reaches the real server, whose 404 names the path
    and where the API is; the CLI prints it."""
    wrong = f"{server.url}/not-corral"
    with pytest.raises(api.CorralError) as caught:
        api.Client(wrong).task(1, 2, 3)
    path = "/not-corral/api/v1/jobs/1/blocks/2/tasks/3"
    assert (caught.value.status, str(caught.value)) == (404, wrong_path(path))
    printed = in_process(wrong, capsys, server.admin_token)("jobs")
    assert printed == (1, "", f"corral: {wrong_path('/not-corral/api/v1/jobs')}\n")


def test_a_wrong_path_without_a_token_is_404_json(server):
    for path in ("/index.html", "/api/v2/jobs", "/api/v1/jobz"):  # "/" is the farm view
        assert call(server.url, "GET", path) == (404, {"error": wrong_path(path), "path": path})


# -- a farm of its own: exact tables, renders --------------------------------------------------


def test_tables_on_an_empty_farm(farm, capsys):
    farm.start_server()
    cli = in_process(farm.url, capsys, farm.admin_token)
    assert cli("jobs") == (0, "No jobs.\n", "")
    assert cli("renders") == (0, "No renders.\n", "")

    code, out, _ = cli(
        "submit",
        "--name",
        "shot010",
        "--user",
        "ann",
        "--priority",
        "99",
        "--frames",
        "1-10",
        "--paused",
        "--",
        "echo",
        "@#@",
    )
    job_id = submitted_id(out)

    code, out, err = cli("jobs")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ID  NAME     USER  STATE    PRI  DONE/TOTAL  RUN  ERR",
        f"{job_id:>2}  shot010  ann   RDY OFF   99        0/10    0    0",
    ]
    code, out, _ = cli("jobs", "--json")
    assert json.loads(out) == farm.client.jobs()

    code, out, err = cli("job", "show", str(job_id))
    assert (code, err) == (0, "")
    assert out.startswith(f"Job {job_id}: shot010\n")
    assert f"ann@{socket.gethostname()}" in out
    assert "0/10 done, 0 running, 0 error, 0 skipped, 10 ready" in out
    assert out.endswith(
        "\n\nBLOCK  NAME     SERVICE  STATE  DONE/TOTAL  RUN  ERR\n"
        "    0  shot010  generic  RDY          0/10    0    0\n"
    )
    code, out, _ = cli("job", "show", str(job_id), "--json")
    assert json.loads(out) == farm.client.job(job_id)


def test_renders_table(farm_cli, farm):
    render = farm.client.render(RENDER)  # capacity from its pool, user from its host
    capacity, user = f"0/{render['capacity']}", render["user_name"] or "-"
    width = max(len("CAPACITY"), len(capacity))
    assert farm_cli("renders") == (
        0,
        f"NAME        STATE  TASKS  {'CAPACITY':>{width}}  NIMBY  PAUSED  POOL  USER\n"
        f"cli-render  ONL      0/2  {capacity:>{width}}  free   no      /     {user}\n",
        "",
    )
    code, out, _ = farm_cli("renders", "--json")
    assert [r["name"] for r in json.loads(out)] == [RENDER]


def test_a_job_failing_on_the_only_render_shows_avd_its_errors_and_a_hint(farm_cli, farm):
    """`sh -c 'exit 1'` on a one-render farm: once the block avoids the render, `corral jobs`
    says AVD with the failed tasks counted and why it is stuck; `job show` names the host."""
    code, out, _ = farm_cli(
        "submit", "--name", "fails", "--frames", "1-2", "--", "sh", "-c", "exit 1"
    )
    job_id = submitted_id(out)
    wait_until(lambda: farm.client.job(job_id)["state"] == "AVD")

    code, out, err = farm_cli("jobs")
    assert (code, err) == (0, "")
    row, hint = out.splitlines()[1:]
    assert row.split()[3:] == ["AVD", "99", "0/2", "0", "2"]
    assert hint == (
        f"job {job_id} is stuck ({RENDER}: block 0: block avoids {RENDER} after errors there"
        f" (errors_avoid_host)): see 'corral job why {job_id}'; 'corral job reset-error-hosts"
        f" {job_id}' tries those renders again"
    )
    code, out, _ = farm_cli("job", "show", str(job_id))
    assert re.search(rf"error hosts +{RENDER} \(\d errors, avoided\)\n", out), out
    assert "0/2 done, 0 running, 0 error, 0 skipped, 2 ready (2 to retry)" in out


def test_a_program_not_found_fails_its_task_at_once(farm_cli, farm):
    code, out, _ = farm_cli("submit", "--name", "typo", "--", "no-such-program-corral")
    job_id = submitted_id(out)
    wait_until(lambda: farm.client.job(job_id)["state"] == "ERR")
    task = farm.client.task(job_id, 0, 0)
    assert (task["starts"], task["errors"]) == (1, 1)
    assert task["runs"][0]["error"] == "exit code 127: command not found"


def test_task_log_and_show_after_a_retry(farm_cli, farm, tmp_path):
    """Each task fails once (printing 'oops' with no newline), then the server retries it."""
    work = tmp_path / "work"
    work.mkdir()
    script = "if [ -e done.@#@ ]; then echo frame @#@; else touch done.@#@; printf oops; exit 1; fi"
    code, out, err = farm_cli(
        "submit", "--name", "flaky", "--frames", "1-2", "--cwd", str(work), "--", "sh", "-c", script
    )
    assert (code, err) == (0, "")
    job_id = submitted_id(out)
    farm.wait_job_done(job_id)
    key = (str(job_id), "0", "1")

    assert farm_cli("task", "log", *key) == (0, "frame 2\n", "")  # the latest run
    assert farm_cli("task", "log", *key, "--run", "1") == (0, "oops\n", "")
    code, out, _ = farm_cli("task", "log", *key, "--run", "2", "--json")
    assert json.loads(out) == {
        "job": job_id,
        "block": 0,
        "task": 1,
        "run": 2,
        "output": "frame 2\n",
    }

    code, out, err = farm_cli("task", "show", *key)
    assert (code, err) == (0, "")
    assert out.startswith(f"Task {job_id}/0/1: frame 2\n")
    assert "sh -c 'if [ -e done.'2' ]; then echo frame '2';" in out
    assert f"directory  {work}\n" in out
    header, run1, run2 = out.split("\n\n")[-1].splitlines()
    assert header == "RUN  RENDER      STATE  EXIT  SIGNAL  STARTED              TIME  ERROR"
    assert run1.split()[:5] == ["1", RENDER, "ERR", "1", "-"]
    assert run2.split()[:5] == ["2", RENDER, "DON", "0", "-"]
    code, out, _ = farm_cli("task", "show", *key, "--json")
    assert json.loads(out) == farm.client.task(job_id, 0, 1)

    farm.stop()
    codes = [farm.server.proc.returncode, farm.renders[RENDER].proc.returncode]
    assert codes == [0, 0], farm.logs()


# -- corral up ---------------------------------------------------------------------------------


def test_up_runs_a_farm_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "up.log"
    up = FarmProcess(
        ["up", "--port", str(port), "--data", str(tmp_path / "data"), "--max-tasks", "2"], log
    ).start()
    try:
        wait_until(lambda: "Corral is up" in log.read_text() or not up.running())
        assert up.running(), log.read_text()
        assert url in log.read_text()
        token = read_secret(tmp_path / "data" / ADMIN_TOKEN_FILE)
        done = corral(url, token, "submit", "--frames", "1-3", "--", "echo", "frame", "@#@")
        job_id = submitted_id(done.stdout)
        client = api.Client(url, timeout=10, token=token)
        wait_until(lambda: client.job(job_id)["state"] == "DON", 60)
        up.proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = up.proc.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"corral up ignored Ctrl-C:\n{log.read_text()[-3000:]}")
        assert code == 0, log.read_text()[-3000:]
    finally:
        up.kill()


@pytest.mark.parametrize("same_folder", [True, False])
def test_a_second_up_on_a_busy_port_names_the_farm_there_and_starts_nothing(
    farm, tmp_path, capsys, same_folder
):
    """`corral up` where a farm already serves: it says which farm runs there before it
    creates or restores anything, and never claims to be up."""
    farm.start_server()
    data = farm.data if same_folder else tmp_path / "other-data"
    before = sorted(p.name for p in farm.data.iterdir())

    code = main(["up", "--headless", "--port", str(farm.port), "--data", str(data)])

    out, err = capsys.readouterr()
    assert code == 1
    assert "Corral is up" not in out + err
    whose = f"this data folder's, {data}" if same_folder else "another data folder's"
    assert f"another Corral farm ({whose}; Corral " in err
    assert (
        f"is already running at {farm.url}: stop it first, or start this one with --port N" in err
    )
    assert sorted(p.name for p in farm.data.iterdir()) == before
    assert same_folder or not data.exists()

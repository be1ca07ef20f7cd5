"""The `corral` command line: parsing, the submit builder, output formatting, error exits.

No Corral server is needed: "server down" uses a closed port, and "a wrong URL" the standard
library's file server. The client verbs against the real server are in
tests/integration/test_cli.py.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app import api
from app.cli import main
from app.cli.command import parse_args
from app.cli.farm import format_pool, format_pools, pool_key, pool_list
from app.cli.jobs import format_explain
from app.cli.output import format_table, table
from app.cli.parsing import UsageError, parse_frames, parse_setting, settings_dict
from app.cli.submit import build_command, make_submit_job
from app.core.quotas import DEFAULT_MAX_JOBS_PER_MINUTE, DEFAULT_MAX_QUEUED_TASKS
from app.credentials import ADMIN_TOKEN_FILE, TOKEN_ENV, default_data_dir
from app.server.auth import server_context
from tests.auth_stub import ADMIN_TOKEN, AuthStub
from tests.python37 import PYTHON37, needs_python37

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- frames and commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1-100", (1, 100, 1)),
        ("1-100x2", (1, 100, 2)),
        ("7", (7, 7, 1)),
        ("-5--1", (-5, -1, 1)),
        (" 10 - 20 x 5 ", (10, 20, 5)),
    ],
)
def test_parse_frames(text, expected):
    assert parse_frames(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1-", "1-100x", "1-100x0", "100-1", "1..10", "1-2-3"])
def test_parse_frames_rejects(text):
    with pytest.raises(Exception, match="invalid frame range"):
        parse_frames(text)


@pytest.mark.parametrize(
    "words, expected",
    [
        (["echo", "frame", "@#@"], "echo frame @#@"),
        (["echo", "frame @#@"], "echo 'frame '@#@"),
        (
            ["render", "-o", "out.@####@.exr", "-s", "@#@", "-e", "@#@"],
            "render -o out.@####@.exr -s @#@ -e @#@",
        ),
        (["sh", "-c", "echo $HOME; ls"], "sh -c 'echo $HOME; ls'"),
        (["printf", ""], "printf ''"),
        (["echo", "it's"], "echo 'it'\"'\"'s'"),
        (["echo", "@#@-@#@"], "echo @#@-@#@"),
    ],
)
def test_build_command(words, expected):
    assert build_command(words) == expected


# -- parsing -----------------------------------------------------------------------------------


def submit_job(*argv: str) -> dict:
    return make_submit_job(parse_args(["submit", *argv]))


OPENJD = Path(__file__).resolve().parents[1] / "fixtures" / "openjd"


def test_submit_a_template_with_its_parameters_and_the_job_options(tmp_path):
    job = submit_job(
        str(OPENJD / "pipeline.yaml"), "-p", "OutDir=out", "-p", "Shot=sh020", "--priority", "7"
    )
    assert (job["name"], job["priority"]) == ("Pipeline sh020", 7)
    session = json.loads(job["blocks"][2]["tasks"][0]["command"])
    assert f"ls '{Path.cwd() / 'out'}'" in session["run"]["args"][2]  # relative: from here


def test_submit_a_template_without_the_openjd_extra_says_what_to_install(monkeypatch):
    import app.services.openjd

    monkeypatch.setitem(sys.modules, "openjd.model", None)  # import openjd.model fails
    monkeypatch.delitem(sys.modules, "app.services.openjd.template", raising=False)
    monkeypatch.delattr(app.services.openjd, "template", raising=False)
    with pytest.raises(api.CorralError, match=r"pip install 'corral\[openjd\]'"):
        submit_job(str(OPENJD / "fail.yaml"))


def test_submit_numeric_job():
    job = submit_job(
        "--name",
        "shot",
        "--frames",
        "1-100x2",
        "--fpt",
        "10",
        "--service",
        "blender",
        "--priority",
        "120",
        "--user",
        "ann",
        "--cwd",
        "/proj",
        "--paused",
        "--",
        "blender",
        "-b",
        "a b.blend",
        "-f",
        "@#@",
    )
    assert job["name"] == "shot"
    assert job["user_name"] == "ann"
    assert job["priority"] == 120
    assert job["offline"] is True
    (block,) = job["blocks"]
    assert block == {
        "name": "shot",
        "service": "blender",
        "working_directory": "/proj",
        "command": "blender -b 'a b.blend' -f @#@",
        "numeric": True,
        "frame_first": 1,
        "frame_last": 100,
        "frames_per_task": 10,
        "frames_inc": 2,
    }


def test_submit_defaults():
    job = submit_job("--frames", "1-10", "--", "/usr/bin/echo", "frame", "@#@")
    assert job["name"] == "echo"
    assert job["user_name"]
    assert "priority" not in job and "offline" not in job
    block = job["blocks"][0]
    assert block["service"] == "generic"
    assert (block["frames_per_task"], block["frames_inc"]) == (1, 1)
    assert block["working_directory"] == os.getcwd()


def test_submit_without_frames_is_one_task():
    job = submit_job("--name", "once", "--", "make", "-j8")
    block = job["blocks"][0]
    assert "numeric" not in block
    assert block["tasks"] == [{"name": "once", "command": "make -j8"}]


def test_submit_words_after_dashes_are_not_options():
    args = parse_args(["--json", "submit", "--frames", "1-2", "--", "tool", "--json", "--name"])
    assert args.command == ["tool", "--json", "--name"]
    assert args.json is True
    assert args.name is None


def test_submit_file_with_overrides(tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"job": {"name": "a", "blocks": []}}))
    job = submit_job(str(path), "--name", "b", "--priority", "5", "--paused")
    assert job == {"name": "b", "blocks": [], "priority": 5, "offline": True}


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "give a job FILE"),
        (["job.json", "--", "echo"], "not both"),
        (["--frames", "1-3", "--"], "empty"),
        (["--", "echo", "@#@"], "give --frames"),
        (["--fpt", "2", "--", "echo"], "--fpt needs --frames"),
        (["job.json", "--frames", "1-3"], "--frames only apply"),
    ],
)
def test_submit_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        submit_job(*argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["submit", "--frames", "10-1", "--", "echo"],
        ["submit", "--frames", "1-100x", "--", "echo"],
        ["submit", "--", "echo", "@#@"],
        ["submit"],
        ["job", "pause", "abc"],
        ["job", "explode", "1"],
        ["task", "log", "1", "0"],
        ["server", "--port", "70000"],
        ["server", "--plugins", "/no/such/dir"],
        ["server", "--afanasy-port", "70000"],
        ["server", "--afanasy-port", "51000"],  # the REST port's default
        ["server", "--afanasy-trust", "10.0.0.0/8,10.0.0.300/24"],
        ["render", "--max-tasks", "0"],
        ["server", "--max-queued-tasks-per-user", "-1"],
        ["up", "--max-jobs-per-minute-per-user", "many"],
        ["nosuchverb"],
        [],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert "error:" in err


def test_json_flag_before_or_after_the_verb():
    assert parse_args(["--json", "jobs"]).json is True
    assert parse_args(["jobs", "--json"]).json is True
    assert parse_args(["jobs"]).json is False
    assert parse_args(["job", "show", "3", "--json"]).json is True
    assert parse_args(["--json", "job", "show", "3"]).json is True
    assert parse_args(["task", "log", "1", "2", "3", "--json", "--run", "2"]).json is True


def test_token_and_ca_file_before_or_after_the_verb():
    args = parse_args(["--token", "crl_a", "--ca-file", "/ca.pem", "jobs"])
    assert (args.token, args.ca_file) == ("crl_a", "/ca.pem")
    args = parse_args(["job", "show", "3", "--token", "crl_b", "--ca-file", "/b.pem"])
    assert (args.token, args.ca_file) == ("crl_b", "/b.pem")
    assert parse_args(["--token", "crl_a", "jobs", "--token", "crl_c"]).token == "crl_c"
    args = parse_args(["jobs"])
    assert (args.token, args.ca_file) == (None, None)  # app/credentials.py finds one
    for verb in (["monitor"], ["tray"], ["users", "add", "ann"]):
        assert parse_args([*verb, "--token", "crl_d", "--ca-file", "/d"]).token == "crl_d"


def test_users_verbs_parse():
    assert parse_args(["users"]).func.__name__ == "cmd_users"  # alone, it lists them
    args = parse_args(["users", "add", "ann"])
    assert (args.func.__name__, args.name, args.role) == ("cmd_users_add", "ann", "user")
    args = parse_args(["users", "add", "bob", "--role", "admin", "--json"])
    assert (args.name, args.role, args.json) == ("bob", "admin", True)
    args = parse_args(["users", "token", "ann", "--json"])
    assert (args.func.__name__, args.name, args.json) == ("cmd_users_token", "ann", True)
    args = parse_args(["users", "revoke", "ann"])
    assert (args.func.__name__, args.name) == ("cmd_users_revoke", "ann")


def test_server_option_before_or_after_the_verb():
    assert parse_args(["--server", "http://a:1", "jobs"]).server == "http://a:1"
    assert parse_args(["jobs", "--server", "http://b:2"]).server == "http://b:2"
    assert parse_args(["render", "--server", "http://c:3"]).server == "http://c:3"
    assert parse_args(["jobs"]).server is None


def test_long_running_verbs_parse():
    args = parse_args(
        [
            "server",
            "--host",
            "0.0.0.0",
            "--port",
            "5100",
            "--data",
            "/d",
            "--db",
            "sqlite:///x",
            "--zombie-time",
            "60",
            "--heartbeat",
            "2.5",
            "--reconnect-grace",
            "0",
        ]
    )
    assert (args.host, args.port, args.data, args.db) == ("0.0.0.0", 5100, "/d", "sqlite:///x")
    assert (args.zombie_time, args.heartbeat, args.reconnect_grace) == (60, 2.5, 0)
    args = parse_args(["render", "--name", "r1", "--max-tasks", "4", "--capacity", "500"])
    assert (args.name, args.max_tasks, args.capacity, args.heartbeat) == ("r1", 4, 500, None)
    args = parse_args(["up", "--port", "5200", "--max-tasks", "2"])
    assert (args.port, args.max_tasks, args.data) == (5200, 2, None)
    assert (args.max_queued_tasks_per_user, args.max_jobs_per_minute_per_user) == (
        DEFAULT_MAX_QUEUED_TASKS,
        DEFAULT_MAX_JOBS_PER_MINUTE,
    )
    args = parse_args(["server", "--max-queued-tasks-per-user", "0"])
    assert args.max_queued_tasks_per_user == 0  # no limit


def test_job_actions_parse():
    for action in api.JOB_ACTIONS:
        args = parse_args(["job", action, "1", "2"])
        assert (args.action, args.ids) == (action, [1, 2])


# -- control verbs: key=value settings, job set/move/why, task do, users, renders --------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("priority=120", ("priority", 120)),
        ("priority=-1", ("priority", -1)),
        ("hosts_mask=gpu", ("hosts_mask", "gpu")),
        ('pools={"/gpu/":10}', ("pools", {"/gpu/": 10})),
        ("offline=true", ("offline", True)),
        ("paused=false", ("paused", False)),
        ("services_disabled=[]", ("services_disabled", [])),
        ("annotation=", ("annotation", "")),
        ("annotation=a=b", ("annotation", "a=b")),
        ("annotation=two words", ("annotation", "two words")),
        ('annotation="120"', ("annotation", "120")),  # quoted JSON: a string
        ("hosts_mask=r[0-9]+", ("hosts_mask", "r[0-9]+")),  # not JSON: the text
        ("annotation=NaN", ("annotation", "NaN")),  # not a JSON constant we send
        ("annotation=" + "[" * 100_000, ("annotation", "[" * 100_000)),
    ],
)
def test_parse_setting(text, expected):
    assert parse_setting(text) == expected


@pytest.mark.parametrize("text", ["priority", "", "=5", "1x=2", "pri ority=1", "-p=1"])
def test_parse_setting_rejects(text):
    with pytest.raises(Exception, match="expected KEY=VALUE"):
        parse_setting(text)


def test_settings_dict():
    pairs = [parse_setting("priority=5"), parse_setting("hosts_mask=gpu")]
    assert settings_dict(pairs) == {"priority": 5, "hosts_mask": "gpu"}
    with pytest.raises(UsageError, match="priority is given twice"):
        settings_dict([("priority", 5), ("priority", 6)])


def test_job_set_parses():
    args = parse_args(["job", "set", "7", "priority=120", 'pools={"/gpu/":10}', "--json"])
    assert (args.id, args.block, args.json) == (7, None, True)
    assert settings_dict(args.settings) == {"priority": 120, "pools": {"/gpu/": 10}}
    args = parse_args(["job", "set", "7", "--block", "1", "capacity=500"])
    assert (args.id, args.block, args.settings) == (7, 1, [("capacity", 500)])


def test_control_verbs_parse():
    assert parse_args(["job", "move", "3", "top"]).to == "top"
    assert parse_args(["job", "why", "3"]).id == 3
    args = parse_args(["job", "reset-error-hosts", "3"])
    assert (args.action, args.ids) == ("reset-error-hosts", [3])
    args = parse_args(["task", "do", "skip", "3", "0", "1", "5"])
    assert (args.action, args.job, args.block, args.tasks) == ("skip", 3, 0, [1, 5])
    assert parse_args(["task", "do", "restart-errors", "3", "1"]).tasks == []
    assert parse_args(["users", "--json"]).json is True
    args = parse_args(["user", "set", "ann", "priority=150", "paused=true"])
    assert (args.name, args.settings) == ("ann", [("priority", 150), ("paused", True)])
    args = parse_args(["render-ctl", "NIMBY", "r1", "r2"])
    assert (args.action, args.names) == ("NIMBY", ["r1", "r2"])
    args = parse_args(["render", "set", "r1", "pool=/gpu", 'services_disabled=["nuke"]'])
    assert (args.name, args.settings) == ("r1", [("pool", "/gpu"), ("services_disabled", ["nuke"])])
    assert args.func.__name__ == "cmd_render_set"
    # without "set", "render" still runs a render client
    args = parse_args(["render", "--name", "r1", "--max-tasks", "2"])
    assert (args.func.__name__, args.name, args.max_tasks) == ("cmd_render", "r1", 2)


@pytest.mark.parametrize("action", api.TASK_ACTIONS)
def test_task_actions_parse(action):
    assert parse_args(["task", "do", action, "1", "0"]).action == action


@pytest.mark.parametrize("action", api.RENDER_ACTIONS)
def test_render_actions_parse(action):
    assert parse_args(["render-ctl", action, "r1"]).action == action


@pytest.mark.parametrize(
    "argv, message",
    [
        (["job", "set", "1", "priority"], "expected KEY=VALUE"),
        (["job", "set", "1"], "required"),
        (["job", "set", "1", "--block", "-1", "capacity=5"], "block number"),
        (["job", "set", "1", "priority=1", "priority=2"], "priority is given twice"),
        (["job", "move", "1", "sideways"], "invalid choice"),
        (["job", "why"], "required"),
        (["task", "do", "explode", "1", "0"], "invalid choice"),
        (["task", "do", "skip", "1", "0", "x"], "invalid task number"),
        (["user", "set", "ann"], "required"),
        (["user", "set", "ann", "=1"], "expected KEY=VALUE"),
        (["render-ctl", "dance", "r1"], "invalid choice"),
        (["render-ctl", "free"], "required: NAME (or --mask REGEX)"),
        (["render", "set", "r1", "nimby"], "expected KEY=VALUE"),
        (["render", "set", "r1", "paused=true", "paused=false"], "paused is given twice"),
        (["users", "add"], "required: NAME"),
        (["users", "add", "ann", "--role", "boss"], "invalid choice"),
        (["users", "token"], "required: NAME"),
        (["users", "revoke"], "required: NAME"),
        (["users", "forget", "ann"], "invalid choice"),
    ],
)
def test_control_usage_errors_exit_2(argv, message, capsys):
    """Usage errors are found before any request: the server here is down, yet exit 2."""
    code = main(["--server", f"http://127.0.0.1:{closed_port()}", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "usage:" in err
    assert message in err


def test_format_explain():
    answer = {
        "job": 4,
        "running": 1,
        "state": "RUN",
        "renders": [
            {"render": "r1", "reason": "can run here"},
            {"render": "gpu-07", "reason": "render is NIMBY"},
        ],
    }
    assert format_explain(answer).splitlines() == [
        "Job 4: RUN, 1 running",
        "",
        "RENDER  REASON",
        "r1      can run here",
        "gpu-07  render is NIMBY",
    ]
    assert format_explain({"job": 4, "running": 0, "state": "RDY", "renders": []}) == (
        "Job 4: RDY, 0 running\nNo online renders.\n"
        "fix: start a render on a farm host: corral render --server URL"
    )


# -- pools, and actions by name mask ------------------------------------------------------------


def test_pool_verbs_parse():
    assert parse_args(["pools"]).func.__name__ == "cmd_pools"
    assert parse_args(["pools", "--json"]).json is True
    args = parse_args(["pool", "add", "/gpu/", "pattern=gpu.*", "capacity_host=2000"])
    assert args.func.__name__ == "cmd_pool_add"
    assert (args.path, args.settings) == ("/gpu/", [("pattern", "gpu.*"), ("capacity_host", 2000)])
    assert parse_args(["pool", "add", "/gpu/big/"]).settings == []
    args = parse_args(["pool", "set", "/gpu/", 'services=["blender"]', "paused=true", "--json"])
    assert args.func.__name__ == "cmd_pool_set"
    assert args.settings == [("services", ["blender"]), ("paused", True)]
    assert args.json is True
    args = parse_args(["pool", "delete", "/gpu/"])
    assert (args.func.__name__, args.path) == ("cmd_pool_delete", "/gpu/")


def test_actions_by_mask_parse():
    args = parse_args(["job", "pause", "--mask", "shot_.*"])
    assert (args.action, args.ids, args.mask) == ("pause", [], "shot_.*")
    args = parse_args(["job", "delete", "3", "4"])  # ids still work, without --mask
    assert (args.action, args.ids, args.mask) == ("delete", [3, 4], None)
    args = parse_args(["render-ctl", "NIMBY", "--mask", "farm0[12]", "--json"])
    assert (args.action, args.names, args.mask, args.json) == ("NIMBY", [], "farm0[12]", True)
    assert parse_args(["render-ctl", "free", "r1"]).mask is None


@pytest.mark.parametrize("action", api.JOB_ACTIONS)
def test_bulk_job_actions_parse(action):
    assert parse_args(["job", action, "--mask", "a.*"]).mask == "a.*"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["job", "pause"], "required: ID (or --mask REGEX)"),
        (["job", "pause", "1", "--mask", "a"], "give IDs or --mask, not both"),
        (["job", "pause", "--mask", "(["], "invalid regular expression '(['"),
        (["job", "pause", "--mask", ""], "invalid regular expression"),
        (["render-ctl", "free", "r1", "--mask", "r2"], "give NAMEs or --mask, not both"),
        (["render-ctl", "free", "--mask", "*"], "invalid regular expression"),
        (["pools", "extra"], "unrecognized arguments"),
        (["pool"], "required"),
        (["pool", "add"], "required"),
        (["pool", "add", "/gpu/", "capacity"], "expected KEY=VALUE"),
        (["pool", "add", "/gpu/", "path=/cpu/"], "the pool's path is PATH"),
        (["pool", "set", "/gpu/"], "required"),
        (["pool", "set", "/gpu/", "paused=true", "paused=false"], "paused is given twice"),
        (["pool", "delete"], "required"),
        (["pool", "rename", "/gpu/"], "invalid choice"),
    ],
)
def test_pool_and_mask_usage_errors_exit_2(argv, message, capsys):
    code = main(["--server", f"http://127.0.0.1:{closed_port()}", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "usage:" in err
    assert message in err


POOLS_ANSWER = {
    "pools": {
        "/": {"pattern": "", "capacity_host": 1100, "max_tasks_host": 4, "annotation": ""},
        "/gpu/": {
            "pattern": "gpu.*",
            "capacity_host": 2000,
            "max_tasks_host": -1,
            "heartbeat_period": -1,
            "zombie_time": -1,
            "annotation": "GPUs",
        },
        "/gpu/big/": {"pattern": "", "capacity_host": -1, "max_tasks_host": -1},
        "/cpu/": {"pattern": "cpu.*", "capacity_host": -1, "max_tasks_host": -1},
    },
    "effective": {
        "/": {
            "capacity_host": 1100,
            "max_tasks_host": 4,
            "priority": 99,
            "paused": False,
            "services": [],
            "services_disabled": [],
            "renders": [],
        },
        "/gpu/": {
            "capacity_host": 2000,
            "max_tasks_host": 4,
            "priority": 99,
            "paused": False,
            "services": ["blender", "nuke"],
            "services_disabled": [],
            "heartbeat_period": 5.0,
            "zombie_time": 60.0,
            "renders": ["gpu01", "gpu02", "gpu03", "gpu04", "gpu05", "gpu06"],
        },
        "/gpu/big/": {
            "capacity_host": 2000,
            "max_tasks_host": 4,
            "priority": 99,
            "paused": True,
            "services": [],
            "services_disabled": ["nuke"],
            "renders": ["gpu99"],
        },
        "/cpu/": {
            "capacity_host": 1100,
            "max_tasks_host": 4,
            "priority": 50,
            "paused": False,
            "services": [],
            "services_disabled": [],
            "renders": ["cpu01"],
        },
    },
    "tickets": {},
}


def test_format_pools():
    """Subtrees stay together; a pool with many renders shows a few and how many more."""
    lines = format_pools(pool_list(POOLS_ANSWER)).splitlines()
    assert lines == [
        "PATH       CAPACITY  MAX_TASKS  PRIORITY  PAUSED  SERVICES      DISABLED  RENDERS",
        "/              1100          4        99  no      -             -         -",
        "/cpu/          1100          4        50  no      -             -         cpu01",
        "/gpu/          2000          4        99  no      blender nuke  -         " + GPU_RENDERS,
        "/gpu/big/      2000          4        99  yes     -             nuke      gpu99",
    ]


GPU_RENDERS = "gpu01 gpu02 gpu03 gpu04 +2"


def pool_of(path: str) -> dict:
    return next(pool for pool in pool_list(POOLS_ANSWER) if pool["path"] == path)


def test_format_pool():
    lines = format_pool(pool_of("/gpu/")).splitlines()
    assert lines[0] == "Pool /gpu/"
    fields = {line[2:15].strip(): line[15:] for line in lines[1:]}
    assert fields["pattern"] == "gpu.*"
    assert fields["capacity"] == "2000"
    assert fields["max tasks"] == "4 (inherited)"
    assert fields["zombie time"] == "60.0 (inherited)"
    assert fields["services"] == "blender nuke"
    assert fields["renders"] == "gpu01 gpu02 gpu03 gpu04 gpu05 gpu06"
    assert fields["annotation"] == "GPUs"
    assert "(inherited)" not in format_pool(pool_of("/"))  # the root inherits nothing
    assert format_pool({"path": "/none/"}) == "Pool /none/"


@pytest.mark.parametrize(
    "path, key", [("/", "/"), ("gpu", "/gpu/"), ("/gpu", "/gpu/"), ("gpu/big/", "/gpu/big/")]
)
def test_pool_key(path, key):
    assert pool_key(path) == key


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: corral")
    assert main(["submit", "--help"]) == 0
    assert "@#@" in capsys.readouterr().out


def test_help_does_not_import_the_server():
    code = (
        "import sys, app.cli\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'peewee', 'PyQt6')"
        " or m.startswith(('app.server', 'app.render', 'app.ui', 'app.cli.up'))]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


# -- formatting --------------------------------------------------------------------------------


def test_format_table():
    text = format_table(
        ["ID", "NAME", "DONE/TOTAL", "STATE"],
        [
            (1, "short", "5/10", "RUN"),
            (12, "a longer name", "10/100", None),
            (3, "x", "0/1", ["A", "B"]),
        ],
    )
    assert text.splitlines() == [
        "ID  NAME           DONE/TOTAL  STATE",
        " 1  short                5/10  RUN",
        "12  a longer name      10/100  -",
        " 3  x                     0/1  A B",
    ]


def test_format_table_empty():
    assert format_table(["A", "BB"], []) == "A  BB"


def test_table_columns_by_key_or_getter():
    items = [{"name": "r1", "tasks": 2, "max": 4}, {"name": "render02", "max": 1}]
    columns = (("NAME", "name"), ("TASKS", lambda r: f"{r.get('tasks', 0)}/{r['max']}"))
    assert table(items, columns).splitlines() == [
        "NAME      TASKS",
        "r1          2/4",
        "render02    0/1",
    ]


# -- errors ------------------------------------------------------------------------------------


def test_server_down(capsys, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}"
    assert main(["--server", url, "jobs"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"corral: cannot reach the Corral server at {url}: ")
    assert len(err.splitlines()) == 1

    monkeypatch.setenv("CORRAL_SERVER", url)
    assert main(["submit", "--frames", "1-3", "--", "echo", "@#@"]) == 1
    assert f"cannot reach the Corral server at {url}" in capsys.readouterr().err


def test_client_server_down_error():
    client = api.Client(f"127.0.0.1:{closed_port()}", timeout=5)
    with pytest.raises(api.CorralError) as caught:
        client.health()
    assert caught.value.status is None
    assert caught.value.field is None
    assert str(caught.value).startswith("cannot reach the Corral server at http://127.0.0.1:")


def test_client_default_server(monkeypatch):
    monkeypatch.delenv("CORRAL_SERVER", raising=False)
    assert api.Client().server == "http://127.0.0.1:51000"
    monkeypatch.setenv("CORRAL_SERVER", "http://farm:51000/")
    assert api.Client().server == "http://farm:51000"
    assert api.Client("http://other:1").server == "http://other:1"


def test_job_builders():
    job = api.tasks_job(
        "maint",
        [("a", "echo a"), ("b", "echo b")],
        user_name="u",
        priority=10,
        block_extra={"capacity": 10},
        max_running_tasks=1,
    )
    assert job["user_name"] == "u"
    assert job["priority"] == 10
    assert job["max_running_tasks"] == 1
    assert job["host_name"]
    assert job["blocks"] == [
        {
            "name": "maint",
            "service": "generic",
            "capacity": 10,
            "tasks": [{"name": "a", "command": "echo a"}, {"name": "b", "command": "echo b"}],
        },
    ]


# -- client verbs without a server -------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_unreadable_file(capsys, tmp_path):
    (tmp_path / "broken.json").write_text("{nope")
    code, _, err = run(capsys, "submit", str(tmp_path / "broken.json"))
    assert code == 1
    assert err.startswith("corral: invalid job: ") and "not valid JSON" in err
    code, _, err = run(capsys, "submit", str(tmp_path / "missing.json"))
    assert code == 1
    assert "cannot read job file" in err


@pytest.fixture
def other_web_server(tmp_path):
    """The standard library's file server on an empty folder: some web server that is not
    Corral, as when CORRAL_SERVER points at the wrong port. Yields its URL."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_http_error_without_json(other_web_server):
    """Something that is not Corral answers 404 with an HTML page: the client raises a
    CorralError with the status and a one-line message, not a traceback or the whole page."""
    with pytest.raises(api.CorralError) as caught:
        api.Client(other_web_server, timeout=10).task(1, 2, 3)
    assert caught.value.status == 404
    assert caught.value.field is None
    assert len(str(caught.value).splitlines()) == 1


def test_http_error_from_html_page_is_readable(other_web_server):
    """The message for an HTML error page should say what happened, not quote markup."""
    with pytest.raises(api.CorralError) as caught:
        api.Client(other_web_server, timeout=10).task(1, 2, 3)
    assert "<" not in str(caught.value)
    assert "404" in str(caught.value) or "not found" in str(caught.value).lower()


# -- credentials, against an authenticating stand-in server (tests/auth_stub.py) -----------------

# api.Client(token=, ca_file=) and its user methods come with the server side of authentication


@pytest.fixture
def auth_stub(tmp_path, monkeypatch):
    """The stand-in server; no token in the environment, the keyring or the data folder."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with AuthStub() as server:
        yield server
    keyring.set_keyring(previous)


def test_users_add_token_and_revoke(capsys, auth_stub):
    admin = ("--server", auth_stub.url, "--token", ADMIN_TOKEN)
    code, out, err = run(capsys, *admin, "users", "add", "ann", "--json")
    assert code == 0, err
    added = json.loads(out)
    assert added == {"name": "ann", "role": "user", "token": added["token"]}
    assert run(capsys, "users", "--server", auth_stub.url, "--token", added["token"])[0] == 0

    code, out, _ = run(capsys, "users", "add", "bob", "--role", "admin", *admin)
    assert code == 0
    assert out.splitlines()[0] == "User bob (role admin) added."
    assert out.splitlines()[-1].startswith("crl_")  # the token alone on the last line
    code, _, err = run(capsys, *admin, "users", "add", "bob")
    assert code == 1 and "bob" in err  # 409: bob has a token

    code, out, _ = run(capsys, *admin, "users", "token", "ann", "--json")
    issued = json.loads(out)
    assert code == 0 and issued["name"] == "ann" and issued["token"] != added["token"]
    assert run(capsys, "users", "--server", auth_stub.url, "--token", added["token"])[0] == 1
    assert run(capsys, "users", "--server", auth_stub.url, "--token", issued["token"])[0] == 0

    code, out, _ = run(capsys, *admin, "users", "revoke", "ann")
    assert (code, out) == (0, "Token of ann revoked\n")
    assert run(capsys, "users", "--server", auth_stub.url, "--token", issued["token"])[0] == 1
    code, _, err = run(capsys, *admin, "users", "revoke", "ann", "--json")
    assert code == 1 and "no token" in err  # 404


def test_a_refused_request_says_how_to_give_a_token(capsys, auth_stub, monkeypatch):
    code, _, err = run(capsys, "--server", auth_stub.url, "jobs")
    assert code == 1 and "--token" in err and TOKEN_ENV in err
    monkeypatch.setenv(TOKEN_ENV, ADMIN_TOKEN)
    assert run(capsys, "--server", auth_stub.url, "jobs") == (0, "No jobs.\n", "")
    assert auth_stub.authorizations("/api/v1/jobs") == [None, f"Bearer {ADMIN_TOKEN}"]


def test_on_this_machine_the_local_servers_admin_token_serves(capsys, auth_stub):
    """The README tour: `corral up` wrote its admin-token in the default data folder; the
    same user's commands to a loopback server find it with no question."""
    folder = default_data_dir()
    folder.mkdir(parents=True)
    (folder / ADMIN_TOKEN_FILE).write_text(ADMIN_TOKEN + "\n")
    assert run(capsys, "--server", auth_stub.url, "users", "--json") == (0, "[]\n", "")


def test_ca_file_verifies_an_https_server(capsys, tmp_path, auth_stub):
    from tests.unit.test_tls import _self_signed  # skips when no tool makes certificates

    cert, key = _self_signed(tmp_path, "farm")
    with AuthStub(server_context(cert, key)) as https:
        argv = ("--server", https.url, "--token", ADMIN_TOKEN, "jobs")
        assert run(capsys, *argv, "--ca-file", str(cert))[0] == 0
        code, _, err = run(capsys, *argv)
        assert code == 1 and "certificate" in err.lower()


def test_up_banner_says_how_to_reach_a_farm_other_than_the_default(tmp_path):
    from app.cli.up import banner

    assert "export" not in banner(api.DEFAULT_SERVER, "r1", default_data_dir())
    lines = banner("http://127.0.0.1:5200", "r1", tmp_path / "my farm").splitlines()
    assert "  for the commands below:  export CORRAL_SERVER=http://127.0.0.1:5200" in lines
    token_file = tmp_path / "my farm" / ADMIN_TOKEN_FILE
    assert f"""  for the commands below:  export CORRAL_TOKEN="$(cat '{token_file}')\"""" in lines


# -- app.api stays usable inside DCCs (Python 3.7+) ---------------------------------------------


@pytest.mark.parametrize("module", ["api.py", "protocol.py"])
def test_api_syntax_is_python37(module):
    source = (ROOT / "app" / module).read_text()
    ast.parse(source, feature_version=(3, 7))


@needs_python37
def test_api_runs_on_python37():
    code = (
        "from app import api\n"
        "job = api.numeric_job('a', 'echo @#@', 1, 10, per_task=2, paused=True)\n"
        "assert job['blocks'][0]['frames_per_task'] == 2 and job['offline']\n"
        "built = api.Job('b', priority=5)\n"
        "built.add_block(api.Block('r', command='x @#@')).frames(1, 4)\n"
        "assert api.check_job(built)['blocks'][0]['frame_last'] == 4\n"
        f"c = api.Client('http://127.0.0.1:{closed_port()}', timeout=5)\n"
        "try:\n    c.jobs()\nexcept api.CorralError as e:\n    print(e.status, e)\n"
    )
    out = subprocess.run([PYTHON37, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("None cannot reach the Corral server at")


def test_submit_makes_paths_absolute_and_runs_where_it_was_submitted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cube.blend").write_bytes(b"BLENDER")
    command = submit_job("--frames", "1-2", "--", "echo", "@#@")
    assert command["blocks"][0]["working_directory"] == str(tmp_path)
    scene = submit_job(
        "--service", "blender", "--scene", "cube.blend", "--output", "out/f_####", "--frames", "1"
    )
    (block,) = scene["blocks"]
    assert block["working_directory"] == str(tmp_path)
    assert f"{tmp_path}/cube.blend" in block["command"]
    assert f"{tmp_path}/out/f_####" in block["command"]
    assert scene["name"] == "cube.blend"
    given = submit_job("--cwd", "/proj", "--frames", "1", "--", "echo", "@#@")
    assert given["blocks"][0]["working_directory"] == "/proj"


def test_submit_keeps_a_windows_scene_path_for_windows_renders():
    job = submit_job(
        "--service",
        "nuke",
        "--scene",
        r"C:\shots\a.nk",
        "--frames",
        "1",
        "--platform",
        "windows",
        "--option",
        "write=Write1",
    )
    assert r"C:\shots\a.nk" in job["blocks"][0]["command"]

"""The `corral` control verbs against a real server (and real renders) on loopback: job set,
move, why and reset-error-hosts, task do, users and user set, render-ctl and render set.

Like tests/integration/test_cli.py: a module-scoped server for the verbs that need no render,
the `farm` fixture (tests/integration/conftest.py) where a render must run tasks. The CLI runs in
this process through main(). Each test submits as its own user, so tests sharing the server do
not meet in the users table or in a user's queue.
"""

from __future__ import annotations

import json

import pytest

from app import api
from tests.integration.conftest import RENDER, CliRun
from tests.polling import wait_until


def submit(client: api.Client, user: str, name: str = "ctl", frames: int = 4, **extra) -> int:
    return client.submit(api.numeric_job(name, "echo @#@", 1, frames, user_name=user, **extra))


def table_rows(table: str) -> list[dict[str, str]]:
    """The rows of a format_table() text as {header: cell}. Columns are split where every line
    has two or more spaces, so cells may hold single spaces ("ONL NBY", "render is NIMBY")."""
    lines = table.splitlines()
    width = max(len(line) for line in lines)
    lines = [line.ljust(width) for line in lines]
    blank = [all(line[i] == " " for line in lines) for i in range(width)] + [True, True]
    spans, start = [], None
    for i in range(width + 1):
        if start is None and not blank[i]:
            start = i
        elif start is not None and blank[i] and blank[i + 1]:
            spans.append((start, i))
            start = None
    cells = [[line[a:b].strip() for a, b in spans] for line in lines]
    return [dict(zip(cells[0], row, strict=True)) for row in cells[1:]]


def row_of(table: str, first_cell: str) -> dict[str, str]:
    """The row of a format_table() text whose first cell is first_cell."""
    rows = [row for row in table_rows(table) if next(iter(row.values())) == first_cell]
    assert len(rows) == 1, table
    return rows[0]


# -- job set -----------------------------------------------------------------------------------


def test_job_set_priority_then_show(cli, server):
    job_id = submit(server.client, "setter", paused=True)
    code, out, err = cli("job", "set", str(job_id), "priority=120", "hosts_mask=gpu")
    assert (code, err) == (0, "")
    assert out.startswith(f"Job {job_id}: ctl\n")
    assert "  priority    120\n  hosts_mask  gpu\n" in out

    code, out, err = cli("job", "show", str(job_id))
    assert (code, err) == (0, "")
    assert "  priority    120\n  hosts_mask  gpu\n" in out
    assert server.client.job(job_id)["priority"] == 120

    code, out, err = cli("job", "set", str(job_id), "--json", 'pools={"/":10}', "offline=false")
    assert (code, err) == (0, "")
    job = json.loads(out)
    assert job == server.client.job(job_id)
    assert (job["offline"], job["priority"]) == (False, 120)


def test_job_set_block(cli, server):
    job_id = submit(server.client, "setter", paused=True)
    code, out, err = cli("job", "set", str(job_id), "--block", "0", "--json", "capacity=500")
    assert (code, err) == (0, "")
    assert json.loads(out)["blocks"][0]["capacity"] == 500


@pytest.mark.parametrize(
    "args, message",
    [
        (["priority=300"], "corral: invalid: priority: must be <= 250\n"),
        (["priority=high"], "corral: invalid: priority: must be an integer, not "),
        (["name=other"], "corral: invalid: name: is not editable"),
        (["--block", "0", "capacity=0"], "corral: invalid: blocks[0].capacity: must be >= 1\n"),
    ],
)
def test_job_set_invalid_value(cli, server, args, message):
    job_id = submit(server.client, "setter", paused=True)
    before = server.client.job(job_id)
    code, out, err = cli("job", "set", str(job_id), *args)
    assert (code, out) == (1, "")
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1
    assert server.client.job(job_id) == before  # nothing changed


def test_job_set_unknown_job(cli):
    assert cli("job", "set", "987654", "priority=1") == (1, "", "corral: no job with id 987654\n")


# -- job move ----------------------------------------------------------------------------------


def test_job_move_changes_the_order(cli, server):
    a, b, c = (submit(server.client, "mover", name, paused=True) for name in "abc")

    def queue() -> list[int]:
        orders = {job_id: server.client.job(job_id)["order"] for job_id in (a, b, c)}
        return sorted(orders, key=orders.get)

    assert queue() == [a, b, c]
    assert cli("job", "move", str(c), "top") == (0, f"Job {c} moved to the top\n", "")
    assert queue() == [c, a, b]
    assert cli("job", "move", str(c), "down") == (0, f"Job {c} moved down\n", "")
    assert queue() == [a, c, b]
    assert cli("job", "move", str(a), "bottom") == (0, f"Job {a} moved to the bottom\n", "")
    assert queue() == [c, b, a]
    code, out, err = cli("job", "move", str(b), "up", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"id": b, "ok": True}
    assert queue() == [b, c, a]


# -- task do -----------------------------------------------------------------------------------


def test_task_do_skip_some_then_all(cli, server):
    job_id = submit(server.client, "skipper", frames=5, paused=True)
    assert cli("task", "do", "skip", str(job_id), "0", "1", "3") == (0, "2 tasks changed\n", "")
    states = [t["state"] for t in server.client.tasks(job_id, 0)["tasks"]]
    assert states == ["RDY", "SKP", "RDY", "SKP", "RDY"]

    # no task numbers: every task of the block; those already skipped do not change
    assert cli("task", "do", "skip", str(job_id), "0") == (0, "3 tasks changed\n", "")
    states = [t["state"] for t in server.client.tasks(job_id, 0)["tasks"]]
    assert states == ["SKP"] * 5

    code, out, err = cli("task", "do", "restart-skipped", str(job_id), "0", "2", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["count"] == 1
    assert server.client.task(job_id, 0, 2)["state"] == "RDY"

    code, out, err = cli("task", "do", "skip", str(job_id), "0", "99")
    assert (code, out) == (1, "")
    assert err.startswith("corral: ") and "99" in err


# -- users -------------------------------------------------------------------------------------


def test_users_table_and_user_set(cli, server):
    submit(server.client, "ulla", paused=True)
    code, out, err = cli("users")
    assert (code, err) == (0, "")
    header = ["NAME", "PRI", "RUN", "MAX_RUN", "QUEUED", "JOBS/MIN", "SOLVE", "NEED"]
    assert out.splitlines()[0].split() == header
    row = row_of(out, "ulla")
    assert (row["PRI"], row["RUN"], row["MAX_RUN"], row["SOLVE"]) == ("99", "0", "-", "order")

    code, out, err = cli("user", "set", "ulla", "priority=150", "max_running_tasks=4")
    assert (code, err) == (0, "")
    assert out.startswith("User ulla\n")
    assert "  priority " in out
    code, out, _ = cli("users")
    row = row_of(out, "ulla")
    assert (row["PRI"], row["MAX_RUN"]) == ("150", "4")
    code, out, _ = cli("users", "--json")
    ulla = next(u for u in json.loads(out) if u["name"] == "ulla")
    assert (ulla["priority"], ulla["max_running_tasks"]) == (150, 4)

    code, out, err = cli("user", "set", "ulla", "priority=999")
    assert (code, out) == (1, "")
    assert err.startswith("corral: invalid: priority: ")
    assert cli("user", "set", "nobody-here", "priority=1")[0] == 1


# -- with a render -----------------------------------------------------------------------------


def why_reason(cli: CliRun, job_id: int) -> str:
    code, out, err = cli("job", "why", str(job_id))
    assert (code, err) == (0, ""), err
    lines = out.split("\n\n", 1)[1].splitlines()
    return row_of("\n".join(x for x in lines if not x.startswith("fix: ")), RENDER)["REASON"]


def test_job_why_names_the_hosts_mask(farm_cli, farm):
    job_id = submit(farm.client, "masked", hosts_mask="gpu-only")
    code, out, err = farm_cli("job", "why", str(job_id))
    assert (code, err) == (0, "")
    head, table = out.split("\n\n")
    assert head == f"Job {job_id}: RDY, 0 running"
    assert table.splitlines()[0].split() == ["RENDER", "REASON"]
    assert table.splitlines()[-1] == f"fix: corral job set {job_id} hosts_mask=REGEX (a " + (
        "regular expression of render names)"
    )
    assert "gpu-only" in why_reason(farm_cli, job_id)

    code, out, _ = farm_cli("job", "why", str(job_id), "--json")
    answer = json.loads(out)
    assert (answer["job"], answer["running"]) == (job_id, 0)
    assert [r["render"] for r in answer["renders"]] == [RENDER]
    assert "gpu-only" in answer["renders"][0]["reason"]

    # the mask changed to one that matches: the job runs
    assert farm_cli("job", "set", str(job_id), f"hosts_mask={RENDER}")[0] == 0
    farm.wait_job_done(job_id)


def test_reset_error_hosts(farm_cli, farm):
    job = api.tasks_job(
        "fails",
        [("fail", "exit 1")],
        user_name="erring",
        block_extra={"errors_avoid_host": 1, "errors_retries": 5},
    )
    job_id = farm.client.submit(job)
    wait_until(lambda: farm.client.job(job_id)["blocks"][0]["error_hosts"])
    assert "avoids" in why_reason(farm_cli, job_id)

    assert farm_cli("job", "pause", str(job_id))[0] == 0
    assert farm_cli("job", "reset-error-hosts", str(job_id)) == (
        0,
        f"Job {job_id} error hosts reset\n",
        "",
    )
    assert farm.client.job(job_id)["blocks"][0]["error_hosts"] == []
    assert why_reason(farm_cli, job_id) == "job is paused"


def test_render_nimby_then_free(farm_cli, farm):
    assert farm_cli("render-ctl", "NIMBY", RENDER) == (0, f"Render {RENDER} set to NIMBY\n", "")
    code, out, err = farm_cli("renders")
    assert (code, err) == (0, "")
    header = out.splitlines()[0].split()
    assert header == ["NAME", "STATE", "TASKS", "CAPACITY", "NIMBY", "PAUSED", "POOL", "USER"]
    assert row_of(out, RENDER)["NIMBY"] == "NIMBY"

    job_id = submit(farm.client, "nimbytest", frames=3)  # offered to the render before the answer
    job = farm.client.job(job_id)
    assert (job["tasks_running"], job["tasks_done"]) == (0, 0), job
    assert "NIMBY" in why_reason(farm_cli, job_id)

    assert farm_cli("render-ctl", "free", RENDER) == (0, f"Render {RENDER} set free\n", "")
    farm.wait_job_done(job_id)
    code, out, _ = farm_cli("renders")
    assert row_of(out, RENDER)["NIMBY"] == "free"


def test_render_ctl_unknown_name(farm_cli):
    code, out, err = farm_cli("render-ctl", "pause", RENDER, "no-such-render", "--json")
    assert code == 1
    assert json.loads(out) == [
        {"name": RENDER, "ok": True},
        {"name": "no-such-render", "ok": False, "error": "no render named 'no-such-render'"},
    ]
    assert err == "corral: no render named 'no-such-render'\n"
    code, out, _ = farm_cli("renders")
    assert row_of(out, RENDER)["PAUSED"] == "yes"
    assert farm_cli("render-ctl", "unpause", RENDER) == (0, f"Render {RENDER} unpaused\n", "")


def test_render_set(farm_cli, farm):
    code, out, err = farm_cli("render", "set", RENDER, "user_name=ann", "paused=true")
    assert (code, err) == (0, "")
    assert out.startswith(f"Render {RENDER}\n")
    code, out, _ = farm_cli("renders")
    row = row_of(out, RENDER)
    assert (row["USER"], row["PAUSED"], row["POOL"]) == ("ann", "yes", "/")

    code, out, err = farm_cli("render", "set", RENDER, "--json", "paused=false", "priority=50")
    assert (code, err) == (0, "")
    render = json.loads(out)
    assert (render["paused"], render["priority"], render["user_name"]) == (False, 50, "ann")
    fresh = farm.client.render(RENDER)  # heartbeats may change these between the two answers
    assert render == fresh | {"last_seen": render["last_seen"], "resources": render["resources"]}

    code, out, err = farm_cli("render", "set", RENDER, "pool=/no-such-pool")
    assert (code, out) == (1, "")
    assert err.startswith("corral: invalid: pool: ")
    assert farm.client.render(RENDER)["pool"] == "/"

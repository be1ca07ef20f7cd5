"""`corral pools` / `corral pool add|set|delete`, and job and render actions by name mask,
against a real server (and a real render) on loopback.

Like tests/integration/test_cli_controls.py: the CLI runs in this process through main().
"""

from __future__ import annotations

import json

import pytest

from app import api
from tests.integration.conftest import CliRun, in_process
from tests.integration.test_cli_controls import row_of, table_rows
from tests.polling import wait_until

POOLS_HEADER = [
    "PATH",
    "CAPACITY",
    "MAX_TASKS",
    "PRIORITY",
    "PAUSED",
    "SERVICES",
    "DISABLED",
    "RENDERS",
]


def pools_table(cli: CliRun) -> str:
    code, out, err = cli("pools")
    assert (code, err) == (0, ""), err
    assert out.splitlines()[0].split() == POOLS_HEADER
    return out


# -- pools -------------------------------------------------------------------------------------


def test_pool_add_set_render_joins_then_delete(farm, capsys):
    farm.start_server()
    cli = in_process(farm.url, capsys, farm.admin_token)
    assert [row["PATH"] for row in table_rows(pools_table(cli))] == ["/"]

    code, out, err = cli("pool", "add", "/gpu/", "pattern=gpu.*")
    assert (code, err) == (0, ""), err
    assert out.startswith("Pool /gpu/\n")
    assert "  capacity     1100 (inherited)\n" in out
    row = row_of(pools_table(cli), "/gpu/")  # the root's farm defaults, inherited
    assert (row["CAPACITY"], row["MAX_TASKS"], row["PAUSED"], row["RENDERS"]) == (
        "1100",
        "4",
        "no",
        "-",
    )

    code, out, err = cli("pool", "set", "/gpu/", "capacity_host=2000")
    assert (code, err) == (0, ""), err
    assert "  capacity     2000\n" in out
    assert row_of(pools_table(cli), "/gpu/")["CAPACITY"] == "2000"
    assert row_of(pools_table(cli), "/")["CAPACITY"] == "1100"

    farm.start_renders({"gpu01": None, "cpu01": None})
    code, out, err = cli("renders")
    assert (code, err) == (0, "")
    assert row_of(out, "gpu01")["POOL"] == "/gpu/"
    assert row_of(out, "cpu01")["POOL"] == "/"
    assert farm.client.render("gpu01")["capacity"] == 2000
    table = pools_table(cli)
    assert row_of(table, "/gpu/")["RENDERS"] == "gpu01"
    assert row_of(table, "/")["RENDERS"] == "cpu01"

    code, out, err = cli("pools", "--json")
    assert (code, err) == (0, "")
    [gpu] = [pool for pool in json.loads(out) if pool["path"] == "/gpu/"]
    assert gpu["settings"]["pattern"] == "gpu.*"
    assert gpu["renders"] == ["gpu01"]

    # renders by mask: only gpu01 matches the whole of "gpu.*"
    assert cli("render-ctl", "pause", "--mask", "gpu.*") == (0, "Render gpu01 paused\n", "")
    assert {r["name"]: r["paused"] for r in farm.client.renders()} == {
        "gpu01": True,
        "cpu01": False,
    }
    code, out, err = cli("render-ctl", "unpause", "--mask", "(gpu|cpu)01", "--json")
    assert (code, err) == (0, "")
    assert sorted(json.loads(out), key=str) == sorted(
        [{"name": "gpu01", "ok": True}, {"name": "cpu01", "ok": True}], key=str
    )
    assert not any(r["paused"] for r in farm.client.renders())

    assert cli("pool", "delete", "/gpu/") == (0, "Pool /gpu/ deleted\n", "")
    assert [row["PATH"] for row in table_rows(pools_table(cli))] == ["/"]
    wait_until(lambda: farm.client.render("gpu01")["pool"] == "/", timeout=10)
    code, out, _ = cli("renders")
    assert row_of(out, "gpu01")["POOL"] == "/"


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["pool", "set", "/", "capacity_host=lots"],
            "corral: invalid: capacity_host: must be an integer, not a string\n",
        ),
        (["pool", "set", "/", "max_tasks_host=-5"], "corral: invalid: max_tasks_host: must be "),
        (["pool", "set", "/", "colour=red"], "corral: invalid: colour: is not a pool setting"),
        (
            ["pool", "add", "/bad/", "pattern=(["],
            "corral: invalid: pattern: not a valid regular expression",
        ),
        (["pool", "add", "/a b/"], "corral: invalid: path: bad pool path"),
        (["pool", "add", "/no/parent/"], "corral: invalid: path: parent pool /no/ does not exist"),
        (["pool", "set", "/nope/", "paused=true"], "corral: no pool '/nope/'"),
        (["pool", "delete", "/nope/"], "corral: no pool '/nope/'"),
    ],
)
def test_pool_refused_exits_1_with_the_field(cli, server, argv, message):
    before = server.client.pools()
    code, out, err = cli(*argv)
    assert (code, out) == (1, "")
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1
    assert server.client.pools() == before  # nothing changed


def test_pool_add_twice_and_delete_a_parent(cli, server):
    assert cli("pool", "add", "/farm/", "--json")[0] == 0
    code, out, err = cli("pool", "add", "farm/big", "priority=120")
    assert (code, err) == (0, "")
    assert out.startswith("Pool /farm/big/\n")
    code, out, err = cli("pool", "add", "/farm/")
    assert (code, out) == (1, "")
    assert err == "corral: invalid: path: pool /farm/ already exists\n"
    code, out, err = cli("pool", "delete", "/farm/")  # it has a child pool
    assert (code, out) == (1, "")
    assert err.startswith("corral: ")
    assert cli("pool", "delete", "/farm/big/") == (0, "Pool /farm/big/ deleted\n", "")
    assert cli("pool", "delete", "farm") == (0, "Pool /farm/ deleted\n", "")
    assert list(server.client.pools()["pools"]) == ["/"]


# -- jobs by mask ------------------------------------------------------------------------------


def test_job_pause_by_mask(cli, server):
    jobs = {
        name: server.client.submit(api.numeric_job(name, "true", 1, 2, user_name="masker"))
        for name in ("shot_010", "shot_020", "asset_chair", "myshot_030")
    }

    def paused() -> dict[str, bool]:
        return {name: server.client.job(i)["offline"] for name, i in jobs.items()}

    code, out, err = cli("job", "pause", "--mask", "shot_.*")
    assert (code, err) == (0, "")
    assert out == f"Job {jobs['shot_010']} paused\nJob {jobs['shot_020']} paused\n"
    assert paused() == {
        "shot_010": True,
        "shot_020": True,
        "asset_chair": False,
        "myshot_030": False,
    }

    code, out, err = cli("job", "start", "--mask", "shot_0[1]0", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [{"id": jobs["shot_010"], "ok": True}]
    assert paused()["shot_010"] is False

    assert cli("job", "pause", "--mask", "nothing_.*") == (
        0,
        "No job name matches 'nothing_.*'\n",
        "",
    )
    assert cli("job", "pause", "--mask", "nothing_.*", "--json") == (0, "[]\n", "")

    # IDs still work, one by one
    assert cli("job", "pause", str(jobs["asset_chair"])) == (
        0,
        f"Job {jobs['asset_chair']} paused\n",
        "",
    )
    assert paused()["asset_chair"] is True

    code, out, err = cli("job", "delete", "--mask", "shot_.*|asset_chair|myshot_030")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 4
    assert not set(jobs.values()) & {job["id"] for job in server.client.jobs()}

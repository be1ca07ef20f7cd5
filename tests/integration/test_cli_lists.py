"""The `corral` list verbs against a real server on loopback: `jobs` and its filters, `job show`
with the job's settings, `task list`, and the one JSON shape of every list (--json).

Like tests/integration/test_cli_controls.py: a module-scoped server for the verbs that need no
render (each test submits as its own users), the `farm_cli` fixture where tasks must run.
"""

from __future__ import annotations

import json

import pytest

from app import api
from tests.integration.conftest import RENDER
from tests.integration.test_cli_controls import row_of, submit, table_rows
from tests.polling import wait_until


def ids(out: str) -> list[int]:
    return [job["id"] for job in json.loads(out)]


# -- corral jobs --user --state --name ---------------------------------------------------------


def test_jobs_filters(cli, server):
    light = submit(server.client, "flt-ana", "flt_shot010_light", paused=True)
    comp = submit(server.client, "flt-ana", "flt_shot020_comp")
    other = submit(server.client, "flt-bob", "flt_shot010_comp", paused=True)

    assert ids(cli("jobs", "--json", "--user", "flt-ana")[1]) == [light, comp]
    assert ids(cli("jobs", "--json", "--user", "flt-ana", "--state", "off")[1]) == [light]
    assert ids(cli("jobs", "--json", "--name", "^flt_shot010")[1]) == [light, other]
    assert ids(cli("jobs", "--json", "--name", "comp$", "--state", "OFF")[1]) == [other]
    code, out, err = cli("jobs", "--user", "flt-bob")
    assert (code, err) == (0, "")
    assert [row["ID"] for row in table_rows(out)] == [str(other)]
    assert cli("jobs", "--user", "flt-nobody") == (0, "No jobs.\n", "")

    # the stdlib client filters the same way
    assert [j["id"] for j in server.client.jobs(user="flt-ana", state="RDY")] == [light, comp]
    assert [j["id"] for j in server.client.jobs(name="flt_shot0[12]0_c")] == [comp, other]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--state", "done"], "argument --state: invalid choice: 'DONE'"),
        (["--name", "(unclosed"], "argument --name: invalid regular expression '(unclosed'"),
    ],
)
def test_jobs_bad_filters_are_usage_errors(cli, argv, message):
    code, out, err = cli("jobs", *argv)
    assert (code, out) == (2, "")
    assert message in err


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"state": "DONE"}, "state: expected one of RDY, AVD, RUN, DON, ERR"),
        ({"name": "(unclosed"}, "name: not a valid regular expression"),
    ],
)
def test_the_server_refuses_bad_filters(server, query, message):
    with pytest.raises(api.CorralError) as caught:
        server.client.jobs(**query)
    assert caught.value.status == 400
    assert message in caught.value.detail()


# -- corral job show ---------------------------------------------------------------------------


def test_job_show_shows_the_settings_edited_after_submit(cli, server):
    job_id = submit(server.client, "shower", paused=True)
    code, out, err = cli(
        "job", "set", str(job_id), "hosts_mask=gpu.*", "max_running_tasks=3", "priority=140"
    )
    assert (code, err) == (0, "")
    server.client.edit_job(job_id, {"pools": {"/gpu/": 10}})

    code, out, err = cli("job", "show", str(job_id))
    assert (code, err) == (0, "")
    for line in (
        "  priority           140",
        "  hosts_mask         gpu.*",
        "  max_running_tasks  3",
        '  pools              {"/gpu/": 10}',
    ):
        assert line + "\n" in out, out
    code, out, _ = cli("job", "show", "--json", str(job_id))
    settings = json.loads(out)["settings"]
    assert settings == {"hosts_mask": "gpu.*", "max_running_tasks": 3, "pools": {"/gpu/": 10}}


# -- corral task list --------------------------------------------------------------------------

ALLOCATE = 'python3 -c "b = bytearray(400 * 2**20)"'  # more than its render holds


def test_task_list_shows_progress_render_memory_and_cpu(farm_cli, farm):
    job_id = farm.client.submit(
        api.tasks_job(
            "listed",
            [("allocate", ALLOCATE), ("quick", "true"), ("held", "true")],
            user_name="lister",
            paused=True,
        )
    )
    farm.client.task_actions(job_id, 0, "suspend", [2])  # the job is never done while it stays
    farm.client.job_action(job_id, "start")
    wait_until(lambda: farm.client.job(job_id)["tasks_done"] == 2, timeout=60, every=0.2)

    code, out, err = farm_cli("task", "list", str(job_id), "0")
    assert (code, err) == (0, "")
    rows = table_rows(out)
    assert list(rows[0]) == [
        "TASK",
        "NAME",
        "STATE",
        "%",
        "RENDER",
        "STARTS",
        "ERR",
        "MEM_MB",
        "CPU_S",
        "TIME",
    ]
    allocate = row_of(out, "0")
    assert (allocate["NAME"], allocate["STATE"], allocate["%"]) == ("allocate", "DON", "100")
    assert allocate["RENDER"] == RENDER
    assert float(allocate["MEM_MB"]) >= 390
    assert float(allocate["CPU_S"]) > 0
    held = row_of(out, "2")
    assert (held["STATE"], held["RENDER"], held["MEM_MB"], held["CPU_S"]) == ("SUS", "-", "-", "-")

    code, out, _ = farm_cli("task", "list", "--json", str(job_id), "0")
    tasks = json.loads(out)
    assert [t["num"] for t in tasks] == [0, 1, 2]
    assert tasks[0]["peak_rss_mb"] >= 50 and tasks[2]["peak_rss_mb"] is None
    page = farm.client.tasks(job_id, 0, offset=1, limit=1)
    assert page["total"] == 3 and page["tasks"] == tasks[1:2]


def test_task_list_pages_through_a_big_block(cli, server):
    job_id = submit(server.client, "pager", frames=2500, paused=True)
    code, out, _ = cli("task", "list", "--json", str(job_id), "0")
    assert [t["num"] for t in json.loads(out)] == list(range(2500))
    code, out, _ = cli("task", "list", str(job_id), "0", "--offset", "2490", "--limit", "5")
    assert [row["TASK"] for row in table_rows(out)] == ["2490", "2491", "2492", "2493", "2494"]
    assert cli("task", "list", str(job_id), "7") == (
        1,
        "",
        f"corral: job {job_id} has no block 7\n",
    )


# -- --json: a list of objects for every list verb ---------------------------------------------


@pytest.mark.parametrize("verb", ["jobs", "users", "renders", "pools", "services"])
def test_every_list_prints_a_json_list_of_objects(cli, server, verb):
    submit(server.client, "jsoner", paused=True)  # a job and a user
    code, out, err = cli(verb, "--json")
    assert (code, err) == (0, "")
    items = json.loads(out)
    assert isinstance(items, list)
    assert all(isinstance(item, dict) for item in items)
    if verb != "renders":
        assert items


def test_pools_json_holds_the_tree(cli, server):
    code, out, _ = cli("pools", "--json")
    [root] = [pool for pool in json.loads(out) if pool["path"] == "/"]
    tree = server.client.pools()
    assert root == {
        "path": "/",
        **tree["effective"]["/"],
        "settings": tree["pools"]["/"],
        "tickets_used": tree["tickets"].get("/", {}),
    }


def test_services_json_lists_services_then_parsers(cli):
    code, out, _ = cli("services", "--json")
    items = json.loads(out)
    kinds = [item["kind"] for item in items]
    assert kinds == sorted(kinds, reverse=True)  # services, then parsers
    blender = next(i for i in items if i["kind"] == "service" and i["name"] == "blender")
    assert (blender["parser"], blender["source"]) == ("blender", "built-in")
    assert {"kind": "parser", "name": "generic", "source": "built-in"} in items

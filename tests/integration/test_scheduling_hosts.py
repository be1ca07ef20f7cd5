"""Which renders may take a job: hosts masks, needs, and the render's own state (nimby, NIMBY,
paused, priority, services), plus eject. Each rule is shown holding, then lifted."""

from __future__ import annotations

import getpass

import pytest

from tests.integration.scenarios import (
    SMALL,
    USER,
    done_while_held,
    finish,
    job,
    reason,
    running_on,
    start_farm,
    submit_running,
    tasks,
    wait_runs,
    wait_state,
)
from tests.polling import wait_until


def _blocked(client, job_id: int, render: str) -> str:
    """The job runs nothing; the explainer's reason for that render."""
    summary = client.job(job_id)
    assert (summary["tasks_running"], summary["tasks_done"]) == (0, 0)
    return reason(client, job_id, render)


def _renders_used(client, job_id: int) -> set[str]:
    return {task["render"] for task in tasks(client, job_id)}


@pytest.mark.parametrize(
    ("count", "keys", "block", "why", "lift", "lift_block"),
    [
        pytest.param(
            2,
            {"hosts_mask": "beta"},
            None,
            "job hosts_mask 'beta' does not match alpha1",
            {"hosts_mask": "beta|ALP"},
            None,  # any token, name prefix, any case
            id="hosts_mask_find_mode",
        ),
        pytest.param(
            2,
            {"hosts_mask": "alpha", "hosts_mask_type": "regex"},
            None,
            "job hosts_mask 'alpha' does not match alpha1",  # regex: the whole name
            {"hosts_mask": "alpha[0-9]+"},
            None,
            id="hosts_mask_regex_mode",
        ),
        pytest.param(
            1,
            {},
            {"hosts_mask": "beta"},
            "block 0: block hosts_mask 'beta' does not match alpha1",
            {"hosts_mask": ""},
            0,
            id="block_hosts_mask",
        ),
        pytest.param(
            1,
            {"need_properties": "quantum"},
            None,
            "render lacks need_properties 'quantum'",
            {"need_properties": ""},
            None,
            id="need_properties",
        ),
    ],
)
def test_job_rule_holds_until_edited(farm, count, keys, block, why, lift, lift_block):
    start_farm(farm, {"alpha1": 1})
    job_id = farm.client.submit(job("ruled", "true", count, block=block, **keys))
    assert _blocked(farm.client, job_id, "alpha1") == why

    farm.client.edit_job(job_id, lift, block=lift_block)
    farm.wait_job_done(job_id)
    assert _renders_used(farm.client, job_id) == {"alpha1"}


@pytest.mark.parametrize(
    ("setting", "why", "lift"),
    [
        ({"priority": 0}, "render priority is 0", {"priority": 50}),
        (
            {"services_disabled": ["generic"]},
            "block 0: service generic is not enabled on this render",
            {"services_disabled": []},
        ),
    ],
    ids=["render_priority_zero_takes_nothing", "render_services_disabled"],
)
def test_render_setting_holds_until_edited(farm, setting, why, lift):
    start_farm(farm, {"r1": 1})
    farm.client.edit_render("r1", setting)
    job_id = farm.client.submit(job("ruled", "true", 1))
    assert _blocked(farm.client, job_id, "r1") == why
    farm.client.edit_render("r1", lift)
    farm.wait_job_done(job_id)


def test_hosts_mask_exclude(farm):
    start_farm(farm, {"alpha1": 2, "beta1": 2})
    routed = farm.client.submit(job("routed", "true", 4, block=SMALL, hosts_mask_exclude="alpha"))
    farm.wait_job_done(routed)
    assert _renders_used(farm.client, routed) == {"beta1"}
    assert reason(farm.client, routed, "alpha1") == (
        "job hosts_mask_exclude 'alpha' matches alpha1"
    )

    farm.client.render_action("beta1", "pause")
    job_id = farm.client.submit(job("excluded", "true", 2, hosts_mask_exclude="alpha"))
    assert "hosts_mask_exclude" in _blocked(farm.client, job_id, "alpha1")
    farm.client.edit_job(job_id, {"hosts_mask_exclude": ""})
    farm.wait_job_done(job_id)
    assert _renders_used(farm.client, job_id) == {"alpha1"}


def test_user_hosts_mask(farm):
    start_farm(farm, {"alpha1": 1})
    job_id = farm.client.submit(job("user-mask", "true", 1, offline=True))
    farm.client.edit_user(USER, {"hosts_mask": "beta"})
    farm.client.job_action(job_id, "start")
    assert _blocked(farm.client, job_id, "alpha1") == "user hosts_mask 'beta' does not match alpha1"
    farm.client.edit_user(USER, {"hosts_mask": ""})
    farm.wait_job_done(job_id)


def test_job_pools_forbid_a_pool(farm):
    start_farm(farm, {"r1": 1})
    pool = farm.client.render("r1")["pool"]
    job_id = farm.client.submit(job("no-pool", "true", 1, pools={pool: -100}))
    assert _blocked(farm.client, job_id, "r1") == f"job pools forbid pool {pool}"
    farm.client.edit_job(job_id, {"pools": {}})
    farm.wait_job_done(job_id)


def test_need_os(farm):
    start_farm(farm, {"r1": 1})
    os_string = farm.client.render("r1")["host"]["os"]
    assert "linux" in os_string.split()
    job_id = farm.client.submit(job("os", "true", 1, need_os="windows"))
    assert _blocked(farm.client, job_id, "r1") == (
        f"render OS '{os_string}' does not meet need_os 'windows'"
    )
    farm.client.edit_job(job_id, {"need_os": "linux"})
    farm.wait_job_done(job_id)


def test_need_memory_bigger_than_the_machine(farm):
    start_farm(farm, {"r1": 1})
    memory = farm.client.render("r1")["host"]["mem_total_mb"]
    job_id = farm.client.submit(job("memory", "true", 1, block={"need_memory": memory * 100}))
    text = _blocked(farm.client, job_id, "r1")
    assert text.startswith(f"block 0: need_memory {memory * 100} MB: render has ")
    farm.client.edit_job(job_id, {"need_memory": 1}, block=0)
    farm.wait_job_done(job_id)


def test_render_nimby_runs_only_its_owners_jobs(farm):
    start_farm(farm, {"r1": 1})
    owner = getpass.getuser()
    assert farm.client.render("r1")["user_name"] == owner
    farm.client.render_action("r1", "nimby")
    assert farm.client.render("r1")["nimby"] == "nimby"
    stranger = farm.client.submit(job("stranger", "true", 1, user="stranger"))
    assert _blocked(farm.client, stranger, "r1") == (
        f"render is nimby: only {owner}'s jobs run there"
    )
    own = farm.client.submit(job("own", "true", 2, user=owner))
    done_while_held(farm, own, held=stranger)

    farm.client.render_action("r1", "free")
    farm.wait_job_done(stranger)


def test_render_nimby_follows_edited_user_name(farm):
    start_farm(farm, {"r1": 1})
    farm.client.render_action("r1", "nimby")
    job_id = farm.client.submit(job("desk", "true", 1, user="artist"))
    assert "render is nimby" in _blocked(farm.client, job_id, "r1")
    farm.client.edit_render("r1", {"user_name": "artist"})
    farm.wait_job_done(job_id)


def test_render_NIMBY_runs_nothing(farm):
    start_farm(farm, {"r1": 1})
    farm.client.render_action("r1", "NIMBY")
    own = farm.client.submit(job("own", "true", 1, user=getpass.getuser()))
    assert _blocked(farm.client, own, "r1") == "render is NIMBY"
    farm.client.render_action("r1", "free")
    farm.wait_job_done(own)


def test_ignorenimby_runs_on_nimby_renders(farm):
    start_farm(farm, {"r1": 1})
    farm.client.render_action("r1", "NIMBY")
    plain = farm.client.submit(job("plain", "true", 1))
    bold = farm.client.submit(job("bold", "true", 2, ignorenimby=True))
    farm.wait_job_done(bold)
    assert _blocked(farm.client, plain, "r1") == "render is NIMBY"
    farm.client.edit_job(plain, {"ignorenimby": True})
    farm.wait_job_done(plain)


def test_paused_render_and_ignorepaused(farm):
    start_farm(farm, {"r1": 1})
    farm.client.render_action("r1", "pause")
    assert "PAU" in farm.client.render("r1")["state"].split()
    job_id = farm.client.submit(job("wait-pause", "true", 1))
    assert _blocked(farm.client, job_id, "r1") == "render is paused"
    bold = farm.client.submit(job("bold", "true", 1, ignorepaused=True))
    done_while_held(farm, bold, held=job_id)

    farm.client.render_action("r1", "unpause")
    farm.wait_job_done(job_id)


def test_eject_returns_running_tasks_to_ready(farm, gates):
    start_farm(farm, {"r1": 2})
    job_id = submit_running(farm.client, job("ejected", gates.command(), 2, block=SMALL), 2)
    farm.client.render_action("r1", "pause")  # keep the ejected tasks from coming straight back
    farm.client.render_action("r1", "eject")
    for n in (0, 1):
        task = wait_state(farm.client, job_id, 0, n, "RDY")
        assert (task["errors"], task["starts"]) == (0, 1)
    summary = farm.client.job(job_id)
    assert (summary["tasks_running"], summary["tasks_error"]) == (0, 0)
    assert "RDY" in summary["state"].split()

    def stopped():
        run = farm.client.task(job_id, 0, 0)["runs"][0]
        return run if run["state"] == "STOPPED" else None

    wait_until(stopped)
    wait_until(lambda: running_on(farm.client, "r1") == [])
    farm.client.render_action("r1", "unpause")
    finish(farm, gates, job_id)
    assert [r["state"] for r in wait_runs(farm.client, job_id, 0, 0, 2)] == ["STOPPED", "DON"]


def test_eject_not_mine_keeps_the_owners_tasks(farm, gates):
    start_farm(farm, {"r1": 2})
    owner = getpass.getuser()
    mine = submit_running(farm.client, job("mine", gates.command(), 1, user=owner, block=SMALL), 1)
    theirs = submit_running(
        farm.client, job("theirs", gates.command(), 1, user=USER, block=SMALL), 1
    )
    farm.client.render_action("r1", "pause")
    farm.client.render_action("r1", "eject-not-mine")
    wait_state(farm.client, theirs, 0, 0, "RDY")
    assert farm.client.job(mine)["tasks_running"] == 1
    farm.client.render_action("r1", "unpause")
    finish(farm, gates, mine, theirs)
    assert [r["state"] for r in wait_runs(farm.client, mine, 0, 0, 1)] == ["DON"]

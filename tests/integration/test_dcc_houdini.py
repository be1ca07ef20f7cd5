"""The Houdini submitter (dcc_plugins/houdini) on a fake ``hou`` ROP network with a simulation
cache, submitting to a real server, which expands the job into its tasks."""

from __future__ import annotations

import json

import pytest

from tests.integration.dcc_plugins import ROOT, blocks, load_plugin, service_command

PLUGIN = ROOT / "dcc_plugins" / "houdini"


@pytest.fixture
def houdini(monkeypatch, server):
    yield from load_plugin(monkeypatch, PLUGIN / "corral" / "python", server.admin_token)


@pytest.fixture
def hip(houdini, tmp_path):
    """/out: a sim cache (frames 1-48) feeding a Mantra render (1-48 by 2) and a Karma render of
    the current frame fed by the Mantra one; an Alembic export not selected."""
    import hou

    h = hou.HIP
    h.path = str(tmp_path / "fx_v003.hip")
    h.frame = 12.0
    sim = hou.RopNode("/out/sim_cache", "geometry", f=(1, 48, 1))
    beauty = hou.RopNode("/out/beauty", "ifd", inputs=[sim, None], f=(1, 48, 2))
    still = hou.RopNode("/out/still", "karma", inputs=[beauty], trange=0)
    abc = hou.RopNode("/out/abc", "alembic", f=(1, 48, 1))
    obj = hou.Node("/obj/geo1", "geo")
    h.selected = [sim, beauty, still, obj]
    assert abc not in h.selected
    return h


def settings(server, **changes):
    from corral_houdini.submit import Settings

    values = dict(server=server.url, job_name="", frames_per_task=10, priority=80, paused=True)
    values.update(changes)
    return Settings(**values)


def test_the_selected_rops_with_the_sim_cache_feeding_the_render_frame_by_frame(server, hip):
    from corral_houdini import submit

    job_id = submit.submit(settings(server))

    assert hip.saves == 1
    assert server.client.job(job_id)["name"] == "fx_v003"
    sim, beauty, still = blocks(server.client, job_id)
    assert [b["service"] for b in (sim, beauty, still)] == [
        "hbatch",
        "hbatch_mantra",
        "hbatch_karma",
    ]
    # the sim: one task over its range, telling each frame it writes
    assert (sim["spans"], sim["depend_sub_task"]) == ([(1, 48)], True)
    # the render waits for the sim frame by frame, so its first task can start while it runs
    assert beauty["tasks_depend_mask"] == "sim_cache" and not beauty.get("depend_mask")
    assert beauty["spans"] == [(1, 19), (21, 39), (41, 47)]
    assert beauty["states"] == ["WDP"] * 3
    # a render after a render waits for the whole block; the current frame only
    assert (still["depend_mask"], still["spans"]) == ("beauty", [(12, 12)]) and still["waiting"]
    for block, rop, step in ((sim, "/out/sim_cache", "1"), (beauty, "/out/beauty", "2")):
        assert block["command"] == service_command(block["service"], hip.path, rop=rop, step=step)


def test_nothing_selected_is_refused_and_nothing_is_saved(server, hip):
    from corral_houdini import submit

    hip.selected = []
    with pytest.raises(ValueError, match="select the ROPs"):
        submit.submit(settings(server))
    assert hip.saves == 0


def test_the_shelf_tool_submits_and_tells_the_job_id(server, hip):
    import hou

    shelf = (PLUGIN / "corral" / "toolbar" / "corral.shelf").read_text()
    script = shelf.split("<![CDATA[")[-1].split("]]>")[0]
    hip.answers = {"Server": server.url, "Job name": "fx farm", "Paused (yes/no)": "yes"}
    exec(compile(script, "corral.shelf", "exec"), {})

    (message,) = hou.HIP.messages
    job_id = int(message.removeprefix("Submitted job "))
    job = server.client.job_spec(job_id)
    assert (job["name"], job["offline"], job["priority"]) == ("fx farm", True, 99)


def test_the_shelf_tool_tells_the_servers_refusal(server, hip):
    from corral_houdini import submit

    hip.answers = {"Server": server.url, "Priority": "900"}
    before = len(server.client.jobs())
    submit.submit_selected()
    (message,) = hip.messages
    assert message.startswith("Not submitted: ") and "priority" in message
    assert len(server.client.jobs()) == before


def test_the_package_puts_the_python_folder_on_the_path():
    package = json.loads((PLUGIN / "corral.json").read_text())
    home = package["env"][0]["CORRAL_HOUDINI"]
    assert home == "$HOUDINI_PACKAGE_PATH/corral" and package["hpath"] == "$CORRAL_HOUDINI"
    assert package["env"][1]["PYTHONPATH"]["value"] == "$CORRAL_HOUDINI/python"
    assert (PLUGIN / "corral" / "python" / "corral_houdini" / "submit.py").is_file()

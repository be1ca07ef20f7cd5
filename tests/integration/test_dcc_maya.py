"""The Maya submitter (dcc_plugins/maya) on a fake ``maya.cmds`` scene with render layers,
submitting to a real server, which expands the job into its tasks."""

from __future__ import annotations

import pytest

from app.api import CorralError
from tests.integration.dcc_plugins import ROOT, blocks, load_plugin, service_command

SCRIPTS = ROOT / "dcc_plugins" / "maya" / "corral" / "scripts"


@pytest.fixture
def maya(monkeypatch, server):
    yield from load_plugin(monkeypatch, SCRIPTS, server.admin_token)


@pytest.fixture
def scene(maya, tmp_path):
    """A saved Arnold scene, frames 1-10 by 2, three render layers (one not renderable) and a
    renderable camera besides the default perspective one."""
    from maya import cmds

    path = tmp_path / "proj" / "scenes" / "shot010.ma"
    path.parent.mkdir(parents=True)
    cmds.SCENE.reset(str(path), str(tmp_path / "proj") + "/")
    cmds.SCENE.add(
        "defaultRenderGlobals",
        "renderGlobals",
        startFrame=1,
        endFrame=10,
        byFrameStep=2,
        currentRenderer="arnold",
        imageFilePrefix="<RenderLayer>/shot010",
    )
    cmds.SCENE.add("defaultRenderLayer", "renderLayer", renderable=True)
    cmds.SCENE.add("fg", "renderLayer", renderable=True)
    cmds.SCENE.add("matte", "renderLayer", renderable=False)
    cmds.SCENE.add("perspShape", "camera", parent="persp", renderable=False)
    cmds.SCENE.add("shotCamShape", "camera", parent="shotCam", renderable=True)
    return cmds.SCENE


def settings(server, **changes):
    from corral_maya.submit import Settings

    values = dict(
        server=server.url,
        job_name="",
        frames_per_task=2,
        priority=60,
        paused=True,
        camera="",
        job_per_layer=False,
    )
    values.update(changes)
    return Settings(**values)


def test_a_block_per_renderable_layer_with_the_maya_arnold_command(server, scene):
    from corral_maya import submit

    (job_id,) = submit.submit(settings(server))

    assert scene.saves == 1
    job = server.client.job_spec(job_id)
    assert (job["name"], job["priority"], job["offline"]) == ("shot010", 60, True)
    made = blocks(server.client, job_id)
    assert [b["name"] for b in made] == ["defaultRenderLayer", "fg"]
    for block in made:
        assert block["service"] == "maya_arnold"
        # frames 1, 3, 5, 7, 9: two a task
        assert block["spans"] == [(1, 3), (5, 7), (9, 9)]
        assert block["command"] == service_command(
            "maya_arnold",
            scene.path,
            scene.root + "images",
            step="2",
            layer=block["name"],
            project=scene.root,
            image="<RenderLayer>/shot010",
        )


def test_a_job_per_layer_and_the_camera_chosen(server, scene):
    from corral_maya import submit

    scene.attrs["defaultRenderGlobals.currentRenderer"] = "mayaSoftware"
    scene.attrs["defaultRenderGlobals.imageFilePrefix"] = None  # Maya's value when unset
    ids = submit.submit(settings(server, job_name="lookdev", camera="shotCam", job_per_layer=True))

    assert [server.client.job(i)["name"] for i in ids] == [
        "lookdev defaultRenderLayer",
        "lookdev fg",
    ]
    (block,) = blocks(server.client, ids[1])
    assert block["service"] == "maya"
    assert block["command"] == service_command(
        "maya",
        scene.path,
        scene.root + "images",
        renderer="sw",
        step="2",
        layer="fg",
        camera="shotCam",
        project=scene.root,
    )


def test_a_renderer_the_farm_does_not_know_is_refused_before_saving(server, scene):
    from corral_maya import submit

    scene.attrs["defaultRenderGlobals.currentRenderer"] = "mentalRay"
    jobs_before = len(server.client.jobs())
    with pytest.raises(ValueError, match="'mentalRay'"):
        submit.submit(settings(server))
    assert scene.saves == 0 and len(server.client.jobs()) == jobs_before


def test_the_servers_refusal_comes_back_as_is(server, scene):
    from corral_maya import submit

    with pytest.raises(CorralError, match="priority") as refused:
        submit.submit(settings(server, priority=1000))
    assert refused.value.status == 400


def test_the_menu_shelf_and_window_submit_the_scene(server, scene, monkeypatch):
    from maya import cmds, utils

    monkeypatch.setenv("CORRAL_SERVER", server.url)
    exec(compile((SCRIPTS / "userSetup.py").read_text(), "userSetup.py", "exec"), {})
    utils.run_deferred()
    assert cmds.UI.controls["corralMenu"]["flags"]["parent"] == "MayaWindow"
    (button,) = cmds.shelfLayout("Corral", query=True, childArray=True)
    assert "corral_maya.ui.show()" in cmds.UI.controls[button]["flags"]["command"]

    cmds.UI.press("Submit to Corral...")
    assert cmds.UI.controls["corralSubmitWindow"]["flags"]["visible"]
    assert cmds.UI.controls[cmds.UI.find("Camera")]["items"][1:] == ["shotCam"]
    cmds.UI.set("Job name", "from the window")
    cmds.UI.set("Camera", "shotCam")
    cmds.UI.set("A job per render layer", True)
    cmds.UI.press("Submit")

    *_, shown = cmds.UI.dialogs
    assert shown.startswith("Submitted jobs ")
    ids = [int(i) for i in shown.split(" ", 2)[2].split(", ")]
    assert [server.client.job(i)["name"] for i in ids] == [
        "from the window defaultRenderLayer",
        "from the window fg",
    ]
    assert "-cam shotCam" in server.client.job_spec(ids[0])["blocks"][0]["command"]
    assert not cmds.window("corralSubmitWindow", exists=True)


def test_the_window_tells_the_servers_refusal_and_stays_open(server, scene):
    from corral_maya import ui
    from maya import cmds

    ui.show()
    cmds.UI.set("Server", server.url)
    cmds.UI.set("Priority", 1000)
    cmds.UI.press("Submit")
    assert cmds.UI.dialogs[-1].startswith("Not submitted: ")
    assert "priority" in cmds.UI.dialogs[-1]
    assert cmds.window("corralSubmitWindow", exists=True)


def test_the_module_file_points_maya_at_the_scripts_folder():
    module = ROOT / "dcc_plugins" / "maya" / "corral.mod"
    plus, name, version, folder = module.read_text().split()
    assert (plus, name) == ("+", "Corral")
    assert (module.parent / folder / "scripts") == SCRIPTS
    assert (SCRIPTS / "userSetup.py").is_file()

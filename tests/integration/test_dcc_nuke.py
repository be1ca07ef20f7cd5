"""The Nuke submitter (dcc_plugins/nuke) on a fake ``nuke`` script of Write nodes in a graph,
submitting to a real server, which expands the job into its tasks."""

from __future__ import annotations

import pytest

from tests.integration.dcc_plugins import ROOT, blocks, load_plugin, service_command

PLUGIN = ROOT / "dcc_plugins" / "nuke"


@pytest.fixture
def nuke(monkeypatch, server):
    yield from load_plugin(monkeypatch, PLUGIN, server.admin_token)


@pytest.fixture
def script(nuke, tmp_path):
    """frames 1001-1020; a precomp (its own range 1001-1010) read back into the comp, a stereo
    comp, a slap comp downstream of it, and a disabled Write node."""
    import nuke

    s = nuke.SCRIPT
    s.path = str(tmp_path / "shot010_comp.nk")
    s.root = nuke.Node("Root", "root", first_frame=1001, last_frame=1020)
    plate = s.add("Read", "Plate", file="/plates/p.####.exr")
    blur = s.add("Blur", "Blur1", inputs=[plate])
    s.add(
        "Write",
        "Precomp",
        inputs=[blur],
        file="/r/pre.####.exr",
        use_limit=True,
        first=1001,
        last=1010,
    )
    read_back = s.add("Read", "PrecompRead", file="/r/pre.####.exr")
    merge = s.add("Merge2", "Merge1", inputs=[read_back, plate])
    comp = s.add("Write", "Comp", inputs=[merge], file="/r/comp.%V.####.exr", views="left right")
    s.add("Write", "Slap", inputs=[comp], file="/r/slap.####.jpg", selected=True)
    s.add("Write", "Old", inputs=[merge], file="/r/old.####.exr", disable=True)
    return s


def settings(server, **changes):
    from corral_nuke.submit import Settings

    values = dict(
        server=server.url,
        job_name="",
        frames_per_task=5,
        priority=70,
        paused=True,
        selected_only=False,
    )
    values.update(changes)
    return Settings(**values)


def test_a_block_per_write_node_with_its_range_views_and_upstream_writes(server, script):
    from corral_nuke import submit

    job_id = submit.submit(settings(server))

    assert script.saves == 1
    assert server.client.job(job_id)["name"] == "shot010_comp"
    precomp, comp, slap = blocks(server.client, job_id)
    assert [b["name"] for b in (precomp, comp, slap)] == ["Precomp", "Comp", "Slap"]
    assert precomp["spans"] == [(1001, 1005), (1006, 1010)]
    assert (
        comp["spans"] == slap["spans"] == [(1001, 1005), (1006, 1010), (1011, 1015), (1016, 1020)]
    )
    # the comp reads the precomp's files; the slap comp is downstream of the comp
    assert (precomp.get("depend_mask", ""), comp["depend_mask"]) == ("", "Precomp")
    assert slap["depend_mask"] == "Comp"
    assert comp["waiting"] and slap["waiting"] and not precomp["waiting"]
    assert comp["command"] == service_command("nuke", script.path, write="Comp", views="left,right")
    assert slap["command"] == service_command("nuke", script.path, write="Slap")
    for block in (precomp, comp, slap):
        assert block["service"] == "nuke"


def test_the_selected_write_nodes_only(server, script):
    from corral_nuke import submit

    job_id = submit.submit(settings(server, selected_only=True, job_name="slap"))

    (slap,) = blocks(server.client, job_id)
    assert (slap["name"], slap.get("depend_mask", "")) == ("Slap", "")


def test_an_untitled_script_is_refused_and_nothing_is_sent(server, script):
    from corral_nuke import submit

    script.path = ""
    before = len(server.client.jobs())
    with pytest.raises(ValueError, match="save the script"):
        submit.submit(settings(server))
    assert len(server.client.jobs()) == before


def test_the_menu_command_and_panel_submit_and_tell_the_job_id(server, script):
    import nuke

    exec(compile((PLUGIN / "menu.py").read_text(), "menu.py", "exec"), {})
    command = nuke.menu("Nuke").commands["Render/Submit to Corral..."]
    script.panel_answers = {"Server": server.url, "Frames per task": "20", "Job name": "comp v2"}
    command()

    (panel,) = script.panels
    assert panel.fields["Selected Write nodes only"] is True  # one is selected
    (message,) = script.messages
    job_id = int(message.removeprefix("Submitted job "))
    assert server.client.job(job_id)["name"] == "comp v2"
    (slap,) = blocks(server.client, job_id)
    assert slap["spans"] == [(1001, 1020)]


def test_the_panel_tells_a_bad_number_and_sends_nothing(server, script):
    from corral_nuke import panel

    script.panel_answers = {"Server": server.url, "Priority": "high"}
    before = len(server.client.jobs())
    panel.show()
    assert script.messages == ["Not submitted: Priority: 'high' is not a whole number"]
    assert len(server.client.jobs()) == before

"""The Blender submitter on a real farm: `corral plugins install blender` puts the extension in
Blender's user extensions folder, the real `bpy` module loads it from there, and its operator
submits a scene of two view layers with a movie each; the renders make the frames with the
bpy runner and ffmpeg makes the movies.

bpy runs in a subprocess (it is 0.8 GB and takes over the process), which prints what the
operator did as one JSON line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.integration.scenarios import start_farm

pytestmark = [
    pytest.mark.blender,
    pytest.mark.skipif(
        importlib.util.find_spec("bpy") is None,
        reason="the bpy module (pip install bpy==5.0.1, Python 3.11) is not installed",
    ),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands"),
    pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed"),
]

ARTIST = """
import json
import os
import sys

import bpy

bpy.ops.preferences.addon_enable(module="bl_ext.user_default.corral_submit")
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 2
scene.render.resolution_x = 32
scene.render.resolution_y = 18
scene.render.resolution_percentage = 100
scene.render.image_settings.file_format = "PNG"
scene.render.filepath = "//render/f_####"
scene.render.fps = 4
scene.frame_start = 1
scene.frame_end = 4
scene.view_layers[0].name = "beauty"
scene.view_layers.new("shadow")
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])

settings = scene.corral
settings.server = sys.argv[2]
settings.frames_per_task = 2
settings.priority = 120
settings.hosts_mask = "r1 r2"
settings.pools = "/"
settings.make_movie = True
results = {}
settings.depend_mask = "("  # the server refuses it
try:
    results["refused"] = sorted(bpy.ops.corral.submit())
except RuntimeError as exc:  # an operator called from Python raises its error report
    results["refused"] = str(exc)
settings.depend_mask = ""
results["submitted"] = sorted(bpy.ops.corral.submit())
results["job_id"] = settings.job_id
results["still_editing"] = bpy.data.filepath
print("RESULT " + json.dumps(results), flush=True)
sys.stdout.flush()
os._exit(0)
"""


def frames_in(movie: Path) -> str:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0"]
        + ["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(movie)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return probe.stdout.strip()


def test_the_blender_extension_submits_view_layers_and_movies(farm, tmp_path, monkeypatch):
    if shutil.which("blender"):
        pytest.skip("a real Blender is installed: the renders would not use the bpy runner")
    extensions = tmp_path / "extensions"
    monkeypatch.setenv("BLENDER_USER_EXTENSIONS", str(extensions))
    assert main(["plugins", "install", "blender"]) == 0
    assert (extensions / "user_default/corral_submit/corral_api/api.py").is_file()
    start_farm(farm, {"r1": 1, "r2": 1})

    shot = tmp_path / "shot"
    shot.mkdir()
    script = tmp_path / "artist.py"
    script.write_text(ARTIST)
    env = {**os.environ, "CORRAL_TOKEN": farm.admin_token}
    done = subprocess.run(
        [sys.executable, str(script), str(shot / "shot.blend"), farm.url],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout + done.stderr
    results = json.loads(lines[-1][len("RESULT ") :])
    assert results["refused"].startswith("Error: Corral: depend_mask: "), results
    assert results["submitted"] == ["FINISHED"]
    assert results["still_editing"] == str(shot / "shot.blend")
    job_id = results["job_id"]
    (copy,) = (shot / "corral").glob("shot_*.blend")  # the refused submit left no copy

    spec = farm.client.job_spec(job_id)
    assert (spec["name"], spec["priority"], spec["hosts_mask"]) == ("shot.blend", 120, "r1 r2")
    assert spec["pools"] == {"/": 100}
    blocks = {block["name"]: block for block in spec["blocks"]}
    assert list(blocks) == ["beauty", "shadow", "beauty movie", "shadow movie"]
    for layer in ("beauty", "shadow"):
        render = blocks[layer]
        assert render["service"] == "blender" and str(copy) in render["command"]
        assert (render["frame_first"], render["frame_last"], render["frames_per_task"]) == (1, 4, 2)
        movie = blocks[f"{layer} movie"]
        assert movie["service"] == "ffmpeg" and movie["tasks_depend_mask"] == layer

    farm.wait_job_done(job_id, timeout=240)
    for layer in ("beauty", "shadow"):
        for frame in range(1, 5):
            image = shot / "render" / layer / f"f_{frame:04d}.png"
            assert image.read_bytes()[:4] == b"\x89PNG", image
        assert frames_in(shot / "render" / layer / "shot.mp4") == "4"
    tasks = [farm.client.tasks(job_id, block)["tasks"] for block in range(4)]
    assert [len(block) for block in tasks] == [2, 2, 1, 1]
    for layer in (0, 1):  # each movie started once its layer's frames were done
        (movie,) = tasks[layer + 2]
        assert movie["time_start"] >= max(task["time_done"] for task in tasks[layer])


def test_the_plugin_also_loads_as_a_legacy_add_on(tmp_path, capsys):
    scripts = tmp_path / "scripts"
    assert main(["plugins", "install", "blender", "--dest", str(scripts / "addons")]) == 0
    code = (
        "import bpy, corral_submit\n"
        "print(sorted(bpy.ops.preferences.addon_enable(module='corral_submit')))\n"
        "print(corral_submit.bl_info['name'], bpy.context.scene.corral.frames_per_task)\n"
        "import os\nos._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BLENDER_USER_SCRIPTS": str(scripts)},
    )
    assert done.stdout.splitlines()[-2:] == ["['FINISHED']", "Corral Submit 1"], done.stderr

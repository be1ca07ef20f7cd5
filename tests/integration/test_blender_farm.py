"""Blender on a real farm: the PyPI `bpy` module renders a tiny Cycles scene through the blender
service (its bpy runner and progress script), and ffmpeg makes a movie of the frames.

bpy is never imported in the pytest process (it is 0.8 GB and takes over the process): the
scene is made and rendered by subprocesses. Skipped when the test Python has no bpy.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.parsers.registry import get_parser
from app.services.base import Service, TaskInfo
from app.services.blender import BPY_RUNNER, BlenderService
from app.services.registry import get_service
from tests.integration.scenarios import start_farm
from tests.polling import wait_until

pytestmark = [
    pytest.mark.blender,
    pytest.mark.skipif(
        importlib.util.find_spec("bpy") is None,
        reason="the bpy module (pip install bpy==5.0.1, Python 3.11) is not installed",
    ),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands"),
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCENE_SCRIPT = """
import sys
import bpy

scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 4
scene.render.resolution_x = 64
scene.render.resolution_y = 36
scene.render.resolution_percentage = 100
scene.render.image_settings.file_format = "PNG"
scene.frame_start = 1
scene.frame_end = 6
cube = bpy.data.objects["Cube"]
cube.rotation_euler = (0.0, 0.0, 0.0)
cube.keyframe_insert("rotation_euler", frame=1)
cube.rotation_euler = (0.0, 0.0, 1.5)
cube.keyframe_insert("rotation_euler", frame=6)
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])
"""


def make_scene(folder: Path) -> Path:
    """scene.blend: the default cube (turning), camera and light; Cycles, 64x36, 4 samples,
    PNG, frames 1-6; made by bpy in a subprocess."""
    script, scene = folder / "make_scene.py", folder / "scene.blend"
    script.write_text(SCENE_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(scene)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and scene.is_file(), done.stdout + done.stderr
    return scene


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_SIGNATURE


def blender_service(command: str) -> BlenderService:
    """The blender service as a render without Blender but with bpy runs it."""
    return BlenderService(TaskInfo(command=command, service="blender"))


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return make_scene(tmp_path_factory.mktemp("blender_scene"))


def test_the_adjusted_command_renders_with_progress_lines(scene, tmp_path):
    if shutil.which("blender"):
        pytest.skip("a real Blender is installed: the bpy runner would not be chosen")
    pattern = BlenderService.batch_command(
        str(scene), output=str(tmp_path / "out/f_####"), engine="CYCLES", format="PNG"
    )
    command = blender_service(pattern.replace("@#@", "1", 1).replace("@#@", "2", 1)).command()
    assert BPY_RUNNER in command
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert is_png(tmp_path / "out/f_0001.png") and is_png(tmp_path / "out/f_0002.png")
    assert not (tmp_path / "out/f_0003.png").exists()
    assert re.search(r"^Fra:1 .*\| Sample 4/4$", out, re.M), out
    assert re.search(r"^Fra:2 .*\| Finished$", out, re.M), out
    assert re.search(r"\| Saved: '.*/out/f_0002\.png'$", out, re.M), out


def test_the_runner_fails_on_a_missing_scene(tmp_path):
    command = blender_service(f"blender -b {tmp_path}/none.blend -s 1 -e 1 -a").command()
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith(f'Error: Cannot read file "{tmp_path}/none.blend"')


def test_blender_job_on_a_farm(farm, scene, tmp_path):
    if shutil.which("blender"):
        pytest.skip("a real Blender is installed: this test is about the bpy runner")
    began = time.monotonic()
    out = tmp_path / "out"
    movie = out / "movie.mp4"
    ffmpeg = shutil.which("ffmpeg")
    start_farm(farm, {"r1": 1, "r2": 1})
    command = BlenderService.batch_command(
        str(scene), output=str(out / "f_####"), engine="CYCLES", format="PNG"
    )
    blocks = [
        {
            "name": "render",
            "service": "blender",
            "command": command,
            "numeric": True,
            "frame_first": 1,
            "frame_last": 6,
            "frames_per_task": 2,
            "frames_inc": 1,
        },
    ]
    if ffmpeg:
        ffmpeg_service = get_service("ffmpeg")
        if ffmpeg_service is not Service:  # the ffmpeg service of app/services/ffmpeg.py
            service = "ffmpeg"
            movie_command = ffmpeg_service.batch_command(
                f"{out}/f_####.png", output=str(movie), fps="6", start_number="1"
            )
        else:
            service = "generic"
            movie_command = (
                f"ffmpeg -y -framerate 6 -start_number 1 -i {out}/f_%04d.png "
                f"-pix_fmt yuv420p {movie}"
            )
        blocks.append(
            {
                "name": "movie",
                "service": service,
                "depend_mask": "render",
                "tasks": [{"name": "movie", "command": movie_command}],
            }
        )
    job_id = farm.client.submit({"name": "blender farm", "user_name": "t", "blocks": blocks})

    seen: dict[int, int] = {}  # task -> the highest percent seen while the job ran

    def done():
        for task in farm.client.tasks(job_id, 0, 0, 10)["tasks"]:
            if task["percent"] is not None:
                seen[task["num"]] = max(seen.get(task["num"], 0), task["percent"])
        return farm.client.job(job_id)["state"] == "DON"

    try:
        wait_until(done, 90, every=0.1)
    except pytest.fail.Exception:
        print(farm.logs())
        raise
    elapsed = time.monotonic() - began

    frames = [out / f"f_{n:04d}.png" for n in range(1, 7)]
    assert all(is_png(path) for path in frames), sorted(p.name for p in out.iterdir())
    tasks = farm.client.tasks(job_id, 0, 0, 10)["tasks"]
    assert [(t["frame_start"], t["frame_end"]) for t in tasks] == [(1, 2), (3, 4), (5, 6)]
    for task in tasks:
        assert task["state"] == "DON"
        info = farm.client.task(job_id, 0, task["num"])
        run = info["runs"][-1]
        assert run["exit_code"] == 0, run
        text = farm.client.task_output(job_id, 0, task["num"], run["run"])
        for frame in range(task["frame_start"], task["frame_end"] + 1):
            assert re.search(rf"^Fra:{frame} .*Sample 4/4", text, re.M), text
            assert f"Saved: '{out}/f_{frame:04d}.png'" in text, text
        # a DON task reads 100 % whatever was parsed: read the output with the parser itself
        parser = get_parser("blender")(task["frame_start"], task["frame_end"])
        parser.feed(text)
        parser.finish()
        assert parser.percent == 100 and not parser.errors, (parser.percent, parser.errors)
        assert sorted(run["files"]) == [str(p) for p in frames[task["num"] * 2 :][:2]], run
    assert seen and all(0 <= value <= 100 for value in seen.values()), seen  # seen while RUN
    print(f"\nblender farm: {elapsed:.1f} s; percent seen while running: {seen}")

    if ffmpeg:
        assert movie.is_file() and movie.stat().st_size > 0
        probe = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-count_frames",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=nb_read_frames",
                "-of",
                "csv=p=0",
                str(movie),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.stdout.strip() == "6", probe.stdout + probe.stderr

"""The job the Blender submitter makes of a scene (dcc_plugins/blender/corral_submit/farm_job.py),
without Blender: the plugin is installed in a temporary folder and its bpy-free module loaded
from there, the client API beside it as `corral plugins install` puts it."""

from __future__ import annotations

import shlex
import sys
import tomllib
import types

import pytest

from app.api import check_job
from app.cli import dcc_install

PACKAGE = "corral_submit"


@pytest.fixture
def farm_job(tmp_path, monkeypatch):
    dcc_install.install(dcc_install.APPLICATIONS["blender"], tmp_path)
    package = types.ModuleType(PACKAGE)  # the package without its bpy-importing __init__
    package.__path__ = [str(tmp_path / PACKAGE)]
    monkeypatch.setitem(sys.modules, PACKAGE, package)
    for name in ("farm_job", "corral_api", "corral_api.api"):
        monkeypatch.delitem(sys.modules, f"{PACKAGE}.{name}", raising=False)
    module = __import__(f"{PACKAGE}.farm_job", fromlist=["farm_job"])
    yield module
    for name in list(sys.modules):
        if name.startswith(PACKAGE + "."):
            del sys.modules[name]


class Settings(types.SimpleNamespace):
    """scene.corral's values."""

    def __init__(self, **values):
        defaults = dict(job_name="", frames_per_task=1, priority=99, paused=False)
        defaults.update(hosts_mask="", pools="", depend_mask="", make_movie=False)
        super().__init__(**{**defaults, **values})


def shot(farm_job, **values):
    fields = dict(blend="/p/corral/s_1.blend", layer_script="/p/corral/view_layer.py")
    fields.update(output="/p/render/f_####", extension=".png", first=1, last=10, step=1)
    fields.update(fps=24.0, layers=["ViewLayer"])
    fields.update(values)
    return farm_job.Shot(**fields)


@pytest.mark.parametrize(
    ("text", "pools"),
    [
        ("", {}),
        ("/gpu/", {"/gpu/": 100}),
        (" /gpu/ , /old/=-100,", {"/gpu/": 100, "/old/": -100}),
    ],
)
def test_pools_read_as_typed(farm_job, text, pools):
    assert farm_job.parse_pools(text) == pools


@pytest.mark.parametrize(
    ("text", "message"),
    [("=5", "a pool name is missing"), ("/gpu/=high", "'high' is not a number")],
)
def test_pools_malformed_are_refused(farm_job, text, message):
    with pytest.raises(ValueError, match=message):
        farm_job.parse_pools(text)


@pytest.mark.parametrize(
    ("output", "extension", "pattern"),
    [
        ("/r/f_####", ".png", "/r/f_%04d.png"),
        ("/r/f_", ".exr", "/r/f_%04d.exr"),
        ("/r/", ".png", "/r/%04d.png"),
        ("/r/a_##_b", "", "/r/a_%02d_b"),
    ],
)
def test_the_movie_reads_the_frames_blender_writes(farm_job, output, extension, pattern):
    assert farm_job.sequence(output, extension) == pattern


def test_a_scene_of_one_layer_is_one_numeric_block_of_the_blender_service(farm_job):
    settings = Settings(frames_per_task=3, priority=120, paused=True, pools="/gpu/")
    job = farm_job.build_job(settings, shot(farm_job, step=2), "s.blend")
    doc = check_job(job)
    assert (doc["name"], doc["priority"], doc["offline"], doc["pools"]) == (
        "s.blend",
        120,
        True,
        {"/gpu/": 100},
    )
    (block,) = doc["blocks"]
    assert (block["service"], block["frames_per_task"], block["frames_inc"]) == ("blender", 3, 2)
    assert block["working_directory"] == "/p/corral"
    assert shlex.split(block["command"]) == [
        "blender",
        "-b",
        "/p/corral/s_1.blend",
        "-P",
        "/p/corral/view_layer.py",
        "-o",
        "/p/render/f_####",
        "-s",
        "@#@",
        "-e",
        "@#@",
        "-j",
        "2",
        "-a",
        "--",
        "ViewLayer",
    ]


def test_layers_render_to_folders_of_their_own_and_each_gets_a_movie(farm_job):
    settings = Settings(job_name="shot 10", make_movie=True, depend_mask="layout")
    scene = shot(farm_job, output="/p/my render/f_", layers=["beauty", "fog layer"], fps=12.5)
    doc = check_job(farm_job.build_job(settings, scene, "s.blend"))
    assert doc["depend_mask"] == "layout"
    names = [block["name"] for block in doc["blocks"]]
    assert names == ["beauty", "fog layer", "beauty movie", "fog layer movie"]
    fog, movie = doc["blocks"][1], doc["blocks"][3]
    words = shlex.split(fog["command"])
    assert words[words.index("-o") + 1] == "/p/my render/fog layer/f_"
    assert words[-2:] == ["--", "fog layer"]
    assert movie["service"] == "ffmpeg" and movie["tasks_depend_mask"] == r"fog\ layer"
    assert (movie["frame_first"], movie["frame_last"], movie["frames_per_task"]) == (1, 10, 10)
    words = shlex.split(movie["command"])
    assert words[words.index("-framerate") + 1] == "12.5"
    assert words[words.index("-start_number") + 1] == "@#@"
    assert words[words.index("-i") + 1] == "/p/my render/fog layer/f_%04d.png"
    assert words[-1] == "/p/my render/fog layer/shot 10.mp4"


@pytest.mark.parametrize(
    ("settings", "values", "message"),
    [
        (Settings(), {"layers": []}, "no view layer is set to render"),
        (Settings(make_movie=True), {"step": 2}, "a movie needs every frame"),
        (Settings(pools="=1"), {}, "pools: a pool name is missing"),
    ],
)
def test_settings_that_make_no_job_are_refused(farm_job, settings, values, message):
    with pytest.raises(ValueError, match=message):
        farm_job.build_job(settings, shot(farm_job, **values), "s.blend")


def test_the_manifest_names_the_extension():
    manifest = dcc_install.PLUGINS_DIR / "blender" / PACKAGE / "blender_manifest.toml"
    data = tomllib.loads(manifest.read_text())
    assert data["id"] == PACKAGE and data["type"] == "add-on"
    assert data["blender_version_min"] == "4.2.0"

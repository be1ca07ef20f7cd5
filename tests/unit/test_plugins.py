"""Studios' own parsers and services: entry points and plugin files, `corral services`, and
`corral submit --scene` writing the command through a service."""

from __future__ import annotations

import json
import logging
import sys
import textwrap

import pytest

from app.cli import main
from app.cli.command import parse_args
from app.cli.parsing import UsageError
from app.cli.submit import make_submit_job
from app.parsers import PARSERS, get_parser, load_parsers
from app.parsers.generic import GenericParser
from app.services import SERVICES, get_service, load_services

PLUGIN_FILE = """
from app.parsers.generic import GenericParser
from app.services import Service


class LoudGeneric(GenericParser):
    name = "generic"  # replaces Corral's own


class ShotParser(GenericParser):
    name = "shot_tool"


class ShotService(Service):
    name = "shot_tool"
    parser = "shot_tool"
    description = "the studio's shot tool"
    options = {"shot": "shot name"}

    @classmethod
    def batch_command(cls, scene="", output="", platform="linux", **options):
        cls.check_options(platform, options)
        return f"shot_tool --shot {options['shot']} {scene} @#@ @#@"


class NotAPlugin:
    name = "nothing"
"""

ENTRY_POINT_MODULE = """
from app.services import Service


class PipelineService(Service):
    name = "pipeline_publish"
    description = "publishes a version"


class Broken:
    pass
"""


@pytest.fixture(autouse=True)
def fresh_registries():
    yield
    load_parsers()
    load_services()


@pytest.fixture
def plugins(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "studio.py").write_text(textwrap.dedent(PLUGIN_FILE))
    (folder / "broken.py").write_text("import no_such_module_for_corral\n")
    return folder


@pytest.fixture
def installed_package(tmp_path, monkeypatch):
    """A distribution on sys.path that declares corral.services and corral.parsers entry
    points, one good and one that is not a plugin class."""
    site = tmp_path / "site"
    info = site / "studio_pipeline-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: studio-pipeline\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[corral.services]\npipeline_publish = studio_pipeline_mod:PipelineService\n"
        "[corral.parsers]\nbroken = studio_pipeline_mod:Broken\n"
    )
    (site / "studio_pipeline_mod.py").write_text(textwrap.dedent(ENTRY_POINT_MODULE))
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("studio_pipeline_mod", None)


def test_plugin_files_add_and_replace(plugins, caplog):
    caplog.set_level(logging.INFO)
    assert get_parser("generic") is GenericParser
    load_parsers(plugins)
    load_services(plugins)
    replaced = get_parser("generic")
    assert replaced is not GenericParser and replaced.__name__ == "LoudGeneric"
    assert get_parser("shot_tool").__name__ == "ShotParser"
    service = get_service("shot_tool")
    assert service.parser == "shot_tool"
    assert service.batch_command("a.shot", shot="010") == "shot_tool --shot 010 a.shot @#@ @#@"
    sources = {name: source for name, _, source in SERVICES.items()}
    assert sources["shot_tool"] == str(plugins / "studio.py")
    assert sources["blender"] == "built-in"
    assert "nothing" not in {name for name, _, _ in PARSERS.items()}
    logged = caplog.text
    assert "broken.py does not import" in logged
    assert "replaces the one from built-in" in logged

    load_parsers()  # without the directory: Corral's own again
    assert get_parser("generic") is GenericParser


def test_entry_points(installed_package, caplog):
    load_services()
    load_parsers()
    service = get_service("pipeline_publish")
    assert service.__name__ == "PipelineService"
    (source,) = [s for name, _, s in SERVICES.items() if name == "pipeline_publish"]
    assert "entry point pipeline_publish" in source and "studio-pipeline" in source
    assert "broken" not in {name for name, _, _ in PARSERS.items()}
    assert "is not a Parser subclass" in caplog.text


def test_unknown_names_fall_back_to_generic(caplog):
    assert get_service("no_such_service").name == "generic"
    assert get_parser("no_such_parser") is GenericParser
    assert "unknown service 'no_such_service'" in caplog.text


def test_corral_services_lists_sources(plugins, installed_package, capsys):
    assert main(["services", "--json", "--plugins", str(plugins)]) == 0
    listed = json.loads(capsys.readouterr().out)
    services = {item["name"]: item for item in listed if item["kind"] == "service"}
    assert services["shot_tool"]["source"].endswith("studio.py")
    assert services["shot_tool"]["options"] == {"shot": "shot name"}
    assert "studio-pipeline" in services["pipeline_publish"]["source"]
    assert services["nuke"]["parser"] == "nuke"
    parsers = {item["name"]: item["source"] for item in listed if item["kind"] == "parser"}
    assert parsers["blender"] == "built-in"
    assert parsers["generic"].endswith("studio.py")

    assert main(["services"]) == 0
    table = capsys.readouterr().out
    assert "SERVICE" in table and "maya_arnold" in table and "PARSER" in table
    assert main(["services", "--plugins", "/no/such/dir"]) == 2


def submit(*argv: str) -> dict:
    return make_submit_job(parse_args(["submit", *argv]))


def test_submit_a_scene_through_its_service():
    job = submit(
        "--service",
        "blender",
        "--scene",
        "/proj/shot 10.blend",
        "--output",
        "/out/f_####",
        "--option",
        "engine=CYCLES",
        "--frames",
        "1-6",
        "--fpt",
        "2",
        "--platform",
        "linux",
    )
    (block,) = job["blocks"]
    assert job["name"] == "shot 10.blend"
    assert block["service"] == "blender"
    assert block["command"] == get_service("blender").batch_command(
        "/proj/shot 10.blend", "/out/f_####", "linux", engine="CYCLES"
    )
    assert "'/proj/shot 10.blend'" in block["command"] and "-a" in block["command"]
    assert (block["frame_first"], block["frame_last"], block["frames_per_task"]) == (1, 6, 2)
    windows = submit(
        "--service",
        "nuke",
        "--scene",
        r"C:\shots\a b.nk",
        "--frames",
        "1-2",
        "--option",
        "write=Write1",
        "--platform",
        "windows",
    )
    assert '"C:\\shots\\a b.nk"' in windows["blocks"][0]["command"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scene", "a.blend", "--frames", "1-2"], "needs --service"),
        (["--service", "blender", "--scene", "a.blend"], "needs --frames"),
        (["--service", "nosuch", "--scene", "a", "--frames", "1"], "unknown service 'nosuch'"),
        (
            ["--service", "blender", "--scene", "a", "--frames", "1", "--option", "x=1"],
            "unknown option 'x'",
        ),
        (["--service", "blender", "--scene", "a", "--frames", "1", "--", "echo"], "replaces"),
        (["--option", "a=b", "--", "echo"], "apply to --scene"),
    ],
)
def test_submit_scene_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        submit(*argv)


def test_render_programs_flag_and_file(tmp_path):
    from app.cli.modes import render_settings

    args = parse_args(["render", "--program", "blender=/opt/b/blender", "--program", "nuke=N"])
    assert render_settings(args, {})["programs"] == {"blender": "/opt/b/blender", "nuke": "N"}
    config = tmp_path / "render.toml"
    config.write_text('[programs]\nRender = "/usr/autodesk/maya/bin/Render"\n')
    args = parse_args(["render", "--config", str(config)])
    assert render_settings(args, {})["programs"] == {"Render": "/usr/autodesk/maya/bin/Render"}
    assert main(["render", "--program", "blender"]) == 2


def test_a_movie_is_one_task_for_the_whole_range():
    job = submit(
        "--service", "ffmpeg", "--scene", "/o/f_####.png", "--output", "/o/m.mp4", "--frames", "1-6"
    )
    (block,) = job["blocks"]
    assert (block["frame_first"], block["frame_last"], block["frames_per_task"]) == (1, 6, 6)
    stepped = submit(
        "--service",
        "ffmpeg",
        "--scene",
        "/o/f_####.png",
        "--output",
        "/o/m.mp4",
        "--frames",
        "1-9x2",
    )
    assert stepped["blocks"][0]["frames_per_task"] == 5
    told = submit(
        "--service",
        "ffmpeg",
        "--scene",
        "/o/f_####.png",
        "--output",
        "/o/m_@#@.mp4",
        "--frames",
        "1-6",
        "--fpt",
        "3",
    )
    assert told["blocks"][0]["frames_per_task"] == 3


def test_a_movie_split_that_would_overwrite_its_file_is_refused():
    with pytest.raises(UsageError, match=r"2 tasks would each write /o/m\.mp4"):
        submit(
            "--service",
            "ffmpeg",
            "--scene",
            "/o/f_####.png",
            "--output",
            "/o/m.mp4",
            "--frames",
            "1-6",
            "--fpt",
            "3",
        )

"""What services and parsers decide about a run, end to end on a real farm: errors in the output
stop the task, fatal ones are not retried, an explicit success counts, existing files skip the
task, missing rendered files fail it, thumbnails reach the server, renders map programs to their
installs, and a studio's own service and parser load from a plugins directory."""

from __future__ import annotations

import shutil
import sys
import textwrap
import urllib.request

import pytest

from tests.integration.scenarios import runs
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")

FINAL = ("DON", "ERR", "SKP")
STUDIO_PLUGIN = """
from app.parsers.generic import GenericParser
from app.services import Service


class StudioParser(GenericParser):
    name = "studio"

    def parse_line(self, line):
        if line.startswith("STUDIO_DONE "):
            self.set_percent(100)
            self.add_file(line.split(" ", 1)[1])
        super().parse_line(line)


class StudioEcho(Service):
    name = "studio_echo"
    parser = "studio"

    def adjust_command(self, command):
        return command + " && echo STUDIO_DONE /studio/out.exr"
"""


def _block(name: str, command: str, **keys) -> dict:
    return {
        "name": name,
        "tasks": [{"name": name, "command": command}],
        "service": "generic",
        "errors_retries": 0,
        **keys,
    }


def _final_task(farm, job_id: int, block: int, task: int = 0) -> dict:
    def final():
        found = farm.client.task(job_id, block, task)
        return found if found["state"] in FINAL and found["runs"][-1]["state"] != "RUN" else None

    return wait_until(final, 60)


def _duration(run: dict) -> float:
    return run["time_done"] - run["time_start"]


@pytest.fixture
def studio_farm(farm, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "studio.py").write_text(textwrap.dedent(STUDIO_PLUGIN))
    farm.start_server("--plugins", str(plugins))
    farm.start_renders({"r1": 4, "r2": 4}, "--plugins", str(plugins), "--program", "fake_app=echo")
    return farm


def test_output_verdicts(studio_farm, tmp_path):
    farm = studio_farm
    (tmp_path / "have_0001.txt").write_text("rendered before")
    made = tmp_path / "made_@#@.txt"
    job = {
        "name": "verdicts",
        "user_name": "t",
        "blocks": [
            _block("fatal", "echo '[ PARSER FATAL ERROR ] no licence'; sleep 30", errors_retries=3),
            _block("error", "echo 'PROGRESS: 10%'; echo '[ PARSER ERROR ] disk full'; sleep 30"),
            _block("success", "echo '[ PARSER FINISHED SUCCESS ]'; sleep 30"),
            _block("bad", "echo '[ PARSER BAD RESULT ] black frame'"),
            _block(
                "skip", "exit 3", files=[str(tmp_path / "have_0001.txt")], skip_existing_files=True
            ),
            {
                "name": "check",
                "numeric": True,
                "frame_first": 1,
                "frame_last": 2,
                "command": f"if [ @#@ = 1 ]; then echo data > {tmp_path}/made_@#@.txt; fi",
                "files": [str(made)],
                "check_rendered_files": True,
                "file_size_min": 2,
                "service": "generic",
                "errors_retries": 0,
            },
            _block("program", "fake_app hello from the programs map"),
            _block("studio", "echo studio", service="studio_echo"),
            _block(  # a program no parser knows: the generic parser's guesses
                "guessed",
                "echo 'Rendering: 50%'; echo '10:00:09 [ERROR] could not write /o/a.png'; sleep 30",
            ),
            _block(
                "harmless", "echo 'libGL error: failed to load driver: swrast'; echo '0 errors'"
            ),
        ],
    }
    job_id = farm.client.submit(job)

    fatal = _final_task(farm, job_id, 0)
    assert fatal["state"] == "ERR"
    assert len(fatal["runs"]) == 1  # errors_retries 3, yet no retry: the error is fatal
    assert "fatal error in output" in fatal["runs"][0]["error"]
    assert "no licence" in fatal["runs"][0]["error"]
    assert _duration(fatal["runs"][0]) < 20  # stopped, not left to sleep

    error = _final_task(farm, job_id, 1)
    assert error["state"] == "ERR"
    assert "disk full" in error["runs"][0]["error"]
    assert _duration(error["runs"][0]) < 20

    success = _final_task(farm, job_id, 2)
    assert success["state"] == "DON"
    assert success["runs"][0]["state"] == "DON" and _duration(success["runs"][0]) < 20

    bad = _final_task(farm, job_id, 3)
    assert bad["state"] == "ERR" and "bad result" in bad["runs"][0]["error"]

    skip = _final_task(farm, job_id, 4)
    assert skip["state"] == "SKP"
    assert skip["runs"][0]["state"] == "SKP"
    assert "output files exist" in skip["runs"][0]["error"]

    first, second = _final_task(farm, job_id, 5, 0), _final_task(farm, job_id, 5, 1)
    assert first["state"] == "DON"
    assert second["state"] == "ERR"
    assert f"{tmp_path}/made_2.txt is missing" in second["runs"][0]["error"]

    program = _final_task(farm, job_id, 6)
    assert program["state"] == "DON"
    output = _output(farm, job_id, 6)
    assert "hello from the programs map" in output

    studio = _final_task(farm, job_id, 7)
    assert studio["state"] == "DON"
    assert studio["runs"][0]["files"] == ["/studio/out.exr"]
    assert "STUDIO_DONE" in _output(farm, job_id, 7)

    guessed = _final_task(farm, job_id, 8)
    assert guessed["state"] == "ERR" and _duration(guessed["runs"][0]) < 20
    assert "error in output: [ERROR] could not write" in guessed["runs"][0]["error"]  # its time cut
    assert _final_task(farm, job_id, 9)["state"] == "DON"


def _output(farm, job_id: int, block: int, task: int = 0, run: int = 1) -> str:
    return farm.client.task_output(job_id, block, task, run)


@pytest.mark.skipif(
    not (shutil.which("convert") or shutil.which("ffmpeg")), reason="needs ImageMagick or ffmpeg"
)
def test_thumbnail_of_the_rendered_image(farm, tmp_path):
    farm.start_server()
    farm.start_renders({"r1": 1})
    image = tmp_path / "frame_0001.png"
    if shutil.which("ffmpeg"):
        make = f"ffmpeg -v error -y -f lavfi -i color=c=red:s=320x200 -frames:v 1 {image}"
    else:
        make = f"convert -size 320x200 xc:red {image}"
    job = {
        "name": "thumb",
        "user_name": "t",
        "blocks": [_block("render", f"{make} && echo @IMAGE@{image}")],
    }
    job_id = farm.client.submit(job)
    farm.wait_job_done(job_id)
    run = runs(farm.client, job_id, 0, 0)[-1]
    assert run["files"] == [str(image)]
    assert run["thumbnail"] is True
    url = f"{farm.url}/api/v1/jobs/{job_id}/blocks/0/tasks/0/runs/1/thumbnail"
    with urllib.request.urlopen(urllib.request.Request(url, headers=farm.auth_header)) as answer:
        assert answer.headers["Content-Type"] == "image/jpeg"
        data = answer.read()
    assert data.startswith(b"\xff\xd8") and 100 < len(data) < 64 * 1024
    missing = f"{farm.url}/api/v1/jobs/{job_id}/blocks/0/tasks/0/runs/2/thumbnail"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(urllib.request.Request(missing, headers=farm.auth_header))
    assert error.value.code == 404

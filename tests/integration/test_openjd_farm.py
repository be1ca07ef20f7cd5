"""Open Job Description templates (tests/fixtures/openjd/) submitted with `corral submit
TEMPLATE -p ...` and run to completion on a real farm."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX commands in the templates")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openjd"


def submit(farm_cli, template: str, *params: str) -> int:
    args = [arg for param in params for arg in ("-p", param)]
    code, out, err = farm_cli("--json", "submit", str(FIXTURES / template), *args)
    assert code == 0, err
    return json.loads(out)["id"]


def test_a_pipeline_template_runs_its_steps_environments_and_files(farm, farm_cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    job_id = submit(farm_cli, "pipeline.yaml", f"OutDir={out}", "Shot=sh020")
    job = farm.wait_job_done(job_id)
    assert job["name"] == "Pipeline sh020"
    # every frame of the chunks, written with the job's variable and the enter action's
    for frame in range(1, 6):
        assert (out / f"frame_{frame}.txt").read_text() == "sh020 staged\n"
    assert (out / "exits.log").read_text() == "exit\n" * 3  # one exit per chunk
    combos = sorted(path.name for path in out.glob("combo_*"))
    assert combos == ["combo_1x1", "combo_1x2", "combo_2y1", "combo_2y2"]
    # the report ran after both steps it depends on
    report = (out / "report.txt").read_text().split()
    assert {"frame_5.txt", "combo_2y2", "exits.log"} <= set(report)
    names = [task["name"] for task in farm.client.tasks(job_id, 0)["tasks"]]
    assert names == ["Frame=1-2", "Frame=3-4", "Frame=5-5"]


def test_bad_templates_and_parameters_are_refused_and_nothing_is_submitted(
    farm, farm_cli, tmp_path
):
    job_file = tmp_path / "job.json"
    job_file.write_text('{"name": "j", "blocks": [{"command": "true"}]}')
    bad = tmp_path / "bad.yaml"
    bad.write_text("specificationVersion: jobtemplate-2023-09\nname: J\n")
    pipeline = str(FIXTURES / "pipeline.yaml")
    for args, message in [
        ((pipeline,), "Values missing for required job parameters: OutDir"),
        ((pipeline, "-p", "OutDir=/o", "-p", "Colour=red"), "Colour"),
        ((str(bad),), "invalid Open Job Description template"),
        ((str(job_file), "-p", "A=1"), "-p applies to an Open Job Description template"),
        (("-p", "A=1", "--", "true"), "-p applies to an Open Job Description template FILE"),
    ]:
        code, _, err = farm_cli("submit", *args)
        assert code != 0 and message in err, (args, err)
    assert farm.client.jobs() == []


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs ffmpeg")
def test_an_ffmpeg_template_makes_frames_then_a_movie(farm, farm_cli, tmp_path):
    out = tmp_path / "movie"
    out.mkdir()
    job_id = submit(farm_cli, "movie.yaml", f"OutDir={out}", "Frames=6")
    farm.wait_job_done(job_id)
    assert sorted(path.name for path in out.glob("f_*.png")) == [f"f_{n}.png" for n in range(1, 7)]
    frames = subprocess.run(
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
            str(out / "movie.mp4"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert frames == "6"


def test_openjd_progress_and_status_lines_show_while_the_task_runs(farm, farm_cli, tmp_path):
    gate = tmp_path / "gate"
    job_id = submit(farm_cli, "progress.yaml", f"Gate={gate}")

    def at_40():
        task = farm.client.task(job_id, 0, 0)
        return task if task["state"] == "RUN" and task["percent"] == 40 else None

    wait_until(at_40, 60)
    gate.touch()
    farm.wait_job_done(job_id)


def test_an_openjd_fail_line_fails_the_task(farm, farm_cli):
    job_id = submit(farm_cli, "fail.yaml")

    def failed():
        task = farm.client.task(job_id, 0, 0)
        return task if task["state"] == "ERR" else None

    run = wait_until(failed, 60)["runs"][-1]
    assert run["exit_code"] == 0
    assert run["error"] == "fatal error in output: licence server unreachable"

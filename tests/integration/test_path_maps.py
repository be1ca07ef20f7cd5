"""A render started with --path-map runs a Windows-submitted job in its own (POSIX) paths."""

from __future__ import annotations

import os
import sys

import pytest

from app.api import tasks_job
from app.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX render maps W:")


def test_render_maps_a_windows_job_to_its_own_paths(farm, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    farm.start_server()
    farm.start_renders({"mapped": 1}, "--path-map", f"W:/work={work}")
    job = tasks_job(
        "windows-job",
        [("write", r'echo "$(pwd -P) $SCENE" > W:\work\out.txt')],
        user_name="tester",
        working_directory="W:\\work",
        block_extra={"environment": {"SCENE": r"w:\Work\scenes\sh010.ma"}},
    )
    job_id = farm.client.submit(job)
    done = farm.wait_job_done(job_id)
    assert done["tasks_error"] == 0
    assert (work / "out.txt").read_text().split() == [
        os.path.realpath(work),
        f"{work}/scenes/sh010.ma",
    ]
    # the server keeps the job's paths as submitted: only the render maps them
    assert farm.client.task(job_id, 0, 0)["command"].endswith(r"> W:\work\out.txt")


def test_a_bad_path_map_is_a_usage_error(capsys):
    code = main(["render", "--server", "http://127.0.0.1:1", "--path-map", "W:/work=C:/x"])
    assert code == 2
    assert "--path-map: path_map[0].client" in capsys.readouterr().err

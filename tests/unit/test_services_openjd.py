"""The openjd service: a task's session document run by the session script on the render."""

from __future__ import annotations

import json
import sys

import pytest

from app.core.path_maps import PathMap
from app.services import get_service
from app.services.base import TaskInfo, split
from app.services.openjd import SESSION_SCRIPT, OpenJDService

SESSION = {"files": [], "environments": [], "run": {"args": ["bash", "/proj/a b.sh"]}}


def test_the_render_runs_the_session_script_with_the_document_as_one_argument():
    task = TaskInfo(command=json.dumps(SESSION), service="openjd")
    service = OpenJDService(task, programs={"bash": "/opt/bash"}, platform="linux")
    program, script, document = split(service.command(), "linux")
    assert (program, script) == (sys.executable, SESSION_SCRIPT)
    assert json.loads(document) == SESSION  # render programs do not touch it


def test_the_document_quoted_for_windows_comes_back_whole():
    task = TaskInfo(command=json.dumps(SESSION), service="openjd")
    command = OpenJDService(task, platform="windows").command()
    assert json.loads(split(command, "windows")[2]) == SESSION


def test_path_maps_apply_to_the_document():
    task = TaskInfo(command=json.dumps(SESSION), service="openjd")
    path_map = PathMap([("/proj", "/mnt/proj")], "linux")
    service = OpenJDService(task, path_map=path_map, platform="linux")
    assert "/mnt/proj/a b.sh" in split(service.command(), "linux")[2]


def test_the_service_is_registered():
    assert get_service("openjd") is OpenJDService


def test_a_windows_path_map_keeps_the_document_valid():
    task = TaskInfo(command=json.dumps(SESSION), service="openjd")
    path_map = PathMap([("/proj", "P:/proj")], "windows")
    service = OpenJDService(task, path_map=path_map, platform="windows")
    document = json.loads(split(service.command(), "windows")[2])
    assert document["run"]["args"] == ["bash", "P:\\proj\\a b.sh"]


def test_a_command_that_is_not_a_session_document_is_refused():
    service = OpenJDService(TaskInfo(command="echo hi", service="openjd"), platform="linux")
    with pytest.raises(ValueError, match="not an OpenJD session document"):
        service.command()


def test_a_numeric_block_of_the_service_points_to_templates():
    with pytest.raises(ValueError, match="submit an Open Job Description template"):
        OpenJDService.batch_command("/proj/a.yaml", "", "linux")


def test_a_document_without_its_action_is_refused():
    task = TaskInfo(command='{"files": [], "environments": []}', service="openjd")
    with pytest.raises(ValueError, match="needs run.args"):
        OpenJDService(task, platform="linux").command()

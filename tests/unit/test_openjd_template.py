"""OpenJD job templates to Corral jobs (app/services/openjd/template.py), on the templates of
tests/fixtures/openjd/ and small ones written here from the 2023-09 schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.jobspec import parse_job
from app.services.openjd import is_template
from app.services.openjd.session import SESSION_DIR
from app.services.openjd.template import (
    TemplateError,
    load_template,
    parameters,
    template_job,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openjd"


def fixture_job(name: str, **values: str) -> dict:
    text = (FIXTURES / name).read_text()
    return template_job(load_template(text, name), values, FIXTURES, Path("/work"))


def small(step: str, head: str = "") -> str:
    """A template of one step; step holds the step's extra keys (indented 4)."""
    return (
        "specificationVersion: jobtemplate-2023-09\n"
        f"{head}name: J\nsteps:\n  - name: S\n{step}"
        "    script:\n      actions:\n        onRun: {command: echo, args: [hi]}\n"
    )


def small_job(step: str, head: str = "", **values: str) -> dict:
    return template_job(load_template(small(step, head), "t"), values, Path("/t"), Path("/t"))


def sessions(block: dict) -> list[dict]:
    return [json.loads(task["command"]) for task in block["tasks"]]


def test_the_pipeline_fixture_becomes_three_blocks_corral_accepts():
    job = fixture_job("pipeline.yaml", OutDir="/out")
    parse_job(job)  # a valid Corral job
    assert job["name"] == "Pipeline sh010"
    assert job["need_os"] == "linux macos"
    render, combos, report = job["blocks"]
    assert [task["name"] for task in render["tasks"]] == ["Frame=1-2", "Frame=3-4", "Frame=5-5"]
    assert render["service"] == "openjd" and render["need_cpu_cores"] == 1
    assert [task["name"] for task in combos["tasks"]] == [
        "A=1, B=x, C=1",
        "A=1, B=x, C=2",
        "A=2, B=y, C=1",
        "A=2, B=y, C=2",
    ]
    assert report["depend_mask"] == "(Render|Combos)"
    assert "depend_mask" not in render


def test_a_task_session_holds_its_files_environments_and_action_resolved():
    render = fixture_job("pipeline.yaml", OutDir="/out", Shot="sh020", Frames="7-8")["blocks"][0]
    (session,) = sessions(render)
    job_env, stage = session["environments"]
    assert job_env == {
        "name": "ShotVariables",
        "variables": {"SHOT": "sh020"},
        "enter": None,
        "exit": None,
    }
    enter_file, run_file = session["files"]
    assert stage["enter"]["args"] == [enter_file["path"]]
    assert enter_file["runnable"] and enter_file["path"].startswith(SESSION_DIR + "/")
    assert stage["exit"]["args"] == ["bash", "-c", "echo exit >> '/out/exits.log'"]
    assert session["run"] == {"args": ["bash", run_file["path"], "7-8"], "timeout": None}
    assert "'/out/frame_'$f.txt" in run_file["data"]


@pytest.mark.parametrize(
    "amount, key, value",
    [
        ("amount.worker.vcpu", "need_cpu_cores", 4),
        ("amount.worker.memory", "need_memory", 4),
        ("amount.worker.gpu.memory", "need_gpu_mem_mb", 4),
        ("amount.worker.disk.scratch", "need_hdd", 4),
        ("amount.custom.nuke", "tickets", {"nuke": 4}),
    ],
)
def test_amounts_become_needs_and_tickets(amount, key, value):
    step = f"    hostRequirements:\n      amounts:\n        - {{name: {amount}, min: 4}}\n"
    (block,) = small_job(step)["blocks"]
    assert block[key] == value
    parse_job(small_job(step))


def test_a_custom_attribute_becomes_need_properties():
    step = (
        "    hostRequirements:\n      attributes:\n"
        "        - {name: attr.custom.gpu, anyOf: [rtx, quadro]}\n"
    )
    assert small_job(step)["blocks"][0]["need_properties"] == "rtx quadro"


def test_a_timeout_becomes_the_task_max_run_time():
    text = small("").replace("args: [hi]}", "args: [hi], timeout: 30}")
    job = template_job(load_template(text, "t"), {}, Path("/t"), Path("/t"))
    assert job["blocks"][0]["task_max_run_time"] == 30


@pytest.mark.parametrize(
    "step, message",
    [
        (
            "    hostRequirements:\n      amounts:\n        - {name: amount.worker.vcpu, max: 4}\n",
            "amount.worker.vcpu: a maximum is not supported yet",
        ),
        (
            "    hostRequirements:\n      amounts:\n        - {name: amount.worker.gpu, min: 1}\n",
            "amount.worker.gpu: this amount is not supported yet",
        ),
        (
            "    hostRequirements:\n      attributes:\n"
            "        - {name: attr.worker.cpu.arch, anyOf: [x86_64]}\n",
            "attr.worker.cpu.arch: this attribute is not supported yet",
        ),
        (
            "    hostRequirements:\n      attributes:\n"
            "        - {name: attr.custom.a, allOf: [x, y]}\n",
            "allOf with several values is not supported yet",
        ),
        (
            "    hostRequirements:\n      attributes:\n"
            "        - {name: attr.custom.a, anyOf: [x]}\n"
            "        - {name: attr.custom.b, anyOf: [y]}\n",
            "several custom attributes are not supported yet",
        ),
    ],
)
def test_what_corral_cannot_do_yet_is_named(step, message):
    with pytest.raises(TemplateError, match=message):
        small_job(step)


def test_steps_needing_different_os_families_are_refused():
    os_req = (
        "    hostRequirements:\n      attributes:\n"
        "        - {{name: attr.worker.os.family, anyOf: [{}]}}\n"
    )
    text = (
        small(os_req.format("linux"))
        + "  - name: T\n"
        + os_req.format("windows")
        + ("    script:\n      actions:\n        onRun: {command: echo}\n")
    )
    with pytest.raises(TemplateError, match="different OS families"):
        template_job(load_template(text, "t"), {}, Path("/t"), Path("/t"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("specificationVersion: jobtemplate-2023-09\nname: J\n", "steps"),
        ("specificationVersion: jobtemplate-1999-01\nname: J\n", "Unknown template version"),
        (small("", head="extensions: [EXPR]\n"), "Corral supports the extensions TASK_CHUNKING"),
        (small("    let: ['X = 1']\n"), "let"),
        ("name: [unclosed\n", "invalid Open Job Description template"),
    ],
)
def test_an_invalid_template_is_refused_naming_the_problem(text, message):
    with pytest.raises(TemplateError, match=message):
        load_template(text, "t")


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "OutDir"),
        ({"OutDir": "/o", "Shot": "sh999"}, "Shot"),
        ({"OutDir": "/o", "Colour": "red"}, "Colour"),
    ],
)
def test_bad_parameter_values_are_refused(values, message):
    with pytest.raises(TemplateError, match=message):
        fixture_job("pipeline.yaml", **values)


def test_parameters_are_listed_for_a_form():
    out_dir, shot, frames = parameters(load_template((FIXTURES / "pipeline.yaml").read_text(), "p"))
    assert (out_dir.name, out_dir.type, out_dir.default) == ("OutDir", "PATH", None)
    assert out_dir.description == "where the files go"
    assert (shot.default, shot.allowed) == ("sh010", ("sh010", "sh020"))
    assert (frames.name, frames.default) == ("Frames", "1-5")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("specificationVersion: jobtemplate-2023-09\n", True),
        ('{"specificationVersion": "jobtemplate-2023-09", "name": "J"}', True),
        ('{\n  "name": "J",\n  "specificationVersion": "jobtemplate-2023-09"}', True),
        ('{"name": "job", "blocks": []}', False),
    ],
)
def test_a_template_is_told_from_a_job_document(text, expected):
    assert is_template(text) is expected

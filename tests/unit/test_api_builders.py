"""The job builders of app/api.py: every key of the job model, checked as the server checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app import protocol
from app.api import Block, CorralError, Job, Task, check_job, numeric_job, tasks_job
from app.core import jobspec
from app.core.errors import SpecError

# a value of each kind the server takes for any key of that kind
SAMPLES = {
    protocol.TEXT: "x",
    protocol.TEXT_OR_NULL: "/proj",
    protocol.INTEGER: 1,
    protocol.BOOLEAN: True,
    protocol.TEXT_MAP: {"X": "y"},
    protocol.INTEGER_MAP: {"x": 1},
    protocol.TEXT_LIST: ["x"],
    protocol.INTEGER_LIST: [0],
}
OVERRIDES = {"hosts_mask_type": "regex", "service": "generic", "parser": "generic"}


def every_key(table: dict) -> dict:
    return {
        key: OVERRIDES.get(key, SAMPLES[kind]) for key, kind in table.items() if kind in SAMPLES
    }


def full_job() -> Job:
    job = Job(**every_key(protocol.JOB_KEYS))
    job.add_block(Block(**every_key(protocol.BLOCK_KEYS)))
    listed = job.add_block(Block(**every_key(protocol.BLOCK_KEYS)).set("numeric", False))
    listed.set("name", "listed")
    listed.add_task(**every_key(protocol.TASK_KEYS))
    return job


def test_the_builders_set_every_key_of_the_model_and_the_server_reads_them_all():
    doc = full_job().to_dict()
    parsed = jobspec.job_to_dict(jobspec.parse_job(doc))
    assert {k: parsed[k] for k in doc if k != "blocks"} == {
        k: v for k, v in doc.items() if k != "blocks"
    }
    for block, parsed_block in zip(doc["blocks"], parsed["blocks"], strict=True):
        assert {k: parsed_block[k] for k in block if k != "tasks"} == {
            k: v for k, v in block.items() if k != "tasks"
        }
    assert parsed["blocks"][1]["tasks"] == doc["blocks"][1]["tasks"]
    assert not jobspec.parse_job(doc).extra and not jobspec.unknown_keys(jobspec.parse_job(doc))


def test_a_numeric_block_from_frames():
    block = Block("beauty", "blender", command="render @#@").frames(1, 100, per_task=5, inc=2)
    assert block.to_dict() == {
        "name": "beauty",
        "service": "blender",
        "command": "render @#@",
        "numeric": True,
        "frame_first": 1,
        "frame_last": 100,
        "frames_per_task": 5,
        "frames_inc": 2,
    }


def test_a_job_defaults_to_this_login_and_host_and_a_key_overrides_them():
    job = Job("shot", user_name="ann")
    assert job.get("user_name") == "ann" and job.get("host_name")


def test_the_builders_copy_what_they_are_given():
    files = ["a.exr"]
    block = Block(files=files)
    files.append("b.exr")
    block.to_dict()["files"].append("c.exr")
    assert block.get("files") == ["a.exr"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Job("a", prioirty=1), "job has no key 'prioirty' (did you mean 'priority'?)"),
        (lambda: Block().set("offline", True), "block has no key 'offline'"),
        (lambda: Block().set("tasks", []), "block 'tasks': add them with add_task()"),
        (lambda: Job("a", blocks=[]), "job 'blocks': add them with add_block()"),
        (lambda: Job("a", priority="high"), "priority: must be an integer, not a string"),
        (lambda: Job("a", priority=True), "priority: must be an integer, not a boolean"),
        (lambda: Block(numeric=1), "numeric: must be true or false, not an integer"),
        (lambda: Block(working_directory=3), "working_directory: must be a string or null"),
        (lambda: Job("a", pools={"gpu": "10"}), 'pools["gpu"]: must be an integer, not a string'),
        (lambda: Task("t", "c", files="a.exr"), "files: must be an array of strings, not a "),
        (lambda: Task("t", "c", environment={"A": 1}), 'environment["A"]: must be a string'),
    ],
)
def test_a_wrong_key_or_kind_is_refused_when_set(build, message):
    with pytest.raises(CorralError) as caught:
        build()
    assert str(caught.value).startswith(message)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"name": "a"},
        {"blocks": []},
        {"blocks": "x"},
        {"blocks": [3]},
        {"blocks": [{"numeric": True, "frame_first": 1}]},
        {"blocks": [{"command": "x"}]},
        {"blocks": [{"tasks": [{"name": "t"}]}]},
        {"blocks": [{"tasks": [{"command": 3}]}]},
        {"priority": 1.5, "blocks": [{"tasks": [{"command": "x"}]}]},
        {"blocks": [{"tasks": [{"command": "x"}], "tickets": {"gpu": True}}]},
        {"blocks": [{"tasks": [{"command": "x"}], "files": ["a", 2]}]},
        {"job": {"blocks": [{"command": "x", "flags": 1, "frame_last": "9"}]}},
    ],
)
def test_a_job_is_refused_before_sending_where_the_server_would_refuse_it(doc):
    with pytest.raises(SpecError) as server:
        jobspec.parse_job(doc)
    with pytest.raises(CorralError) as client:
        check_job(doc)
    assert client.value.field == server.value.field
    assert client.value.status == 400
    assert server.value.field in str(client.value)


def test_check_job_passes_a_job_the_server_takes_with_its_unknown_keys():
    doc = numeric_job("a", "echo @#@", 1, 10, prioirty=120, custom_data="kept")
    assert check_job(doc) is doc
    assert check_job(full_job()) == full_job().to_dict()


def test_the_one_call_jobs_are_built_as_before():
    doc = numeric_job("a", "echo @#@", 1, 10, per_task=2, paused=True, priority=7, user_name="u")
    assert doc["offline"] is True and doc["priority"] == 7 and doc["user_name"] == "u"
    assert doc["blocks"][0]["frames_per_task"] == 2
    listed = tasks_job(
        "b", [("one", "echo 1")], working_directory="/p", block_extra={"capacity": 5}
    )
    (block,) = listed["blocks"]
    assert block["tasks"] == [{"name": "one", "command": "echo 1"}]
    assert block["working_directory"] == "/p" and block["capacity"] == 5


def test_the_core_refuses_a_spec_whose_keys_differ_from_the_protocol_table():
    @dataclass(frozen=True)
    class Spec:
        name: str = ""
        extra: dict | None = None

    assert jobspec._keys(Spec, {"name": protocol.TEXT}) == {"name"}
    with pytest.raises(RuntimeError, match="differ"):
        jobspec._keys(Spec, {"name": protocol.TEXT, "more": protocol.TEXT})

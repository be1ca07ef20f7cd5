"""Job document parsing and validation (app.core.jobspec)."""

import contextlib
import json
import pickle

import pytest

from app.core.errors import SpecError
from app.core.jobspec import (
    BlockSpec,
    JobSpec,
    TaskSpec,
    check_services,
    job_to_dict,
    parse_job,
    unknown_keys,
)


def numeric_block(**keys):
    block = {"numeric": True, "frame_first": 1, "frame_last": 10, "command": "render @#@"}
    block.update(keys)
    return block


def job_with(**keys):
    job = {"name": "shot", "user_name": "alice", "blocks": [numeric_block()]}
    job.update(keys)
    return job


def block_with(**keys):
    return job_with(blocks=[numeric_block(**keys)])


# ---------------------------------------------------------------------------------- errors


def test_spec_error_str_and_attributes():
    err = SpecError("blocks[0].frames_per_task", "must be >= 1")
    assert isinstance(err, ValueError)
    assert err.field == "blocks[0].frames_per_task"
    assert err.message == "must be >= 1"
    assert str(err) == "blocks[0].frames_per_task: must be >= 1"
    assert str(SpecError("", "a job must be a JSON object")) == "a job must be a JSON object"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.field, copy.message) == (err.field, err.message)


# ---------------------------------------------------------------------------------- valid jobs


def test_numeric_job_defaults_and_values():
    job = parse_job(
        {
            "name": "shot_010",
            "user_name": "  Alice ",
            "host_name": "ws-01",
            "priority": 120,
            "offline": True,
            "folders": {"output": "/render/shot_010"},
            "blocks": [
                {
                    "name": "beauty",
                    "service": "blender",
                    "numeric": True,
                    "frame_first": 1,
                    "frame_last": 100,
                    "frames_per_task": 10,
                    "frames_inc": 2,
                    "command": "blender -b s.blend -s @#@ -e @#@",
                    "working_directory": "/proj",
                    "capacity": 500,
                    "environment": {"OCIO": "/cfg.ocio"},
                }
            ],
        }
    )
    assert job.name == "shot_010"
    assert job.user_name == "alice"
    assert job.host_name == "ws-01"
    assert job.priority == 120
    assert job.offline is True
    assert job.folders == {"output": "/render/shot_010"}
    assert job.max_running_tasks == -1
    assert job.extra == {}
    (block,) = job.blocks
    assert block.name == "beauty"
    assert block.service == "blender"
    assert block.parser == ""
    assert block.numeric is True
    assert (block.frame_first, block.frame_last, block.frames_per_task, block.frames_inc) == (
        1,
        100,
        10,
        2,
    )
    # frames 1,3,...,99 = 50 frames, 10 per task
    assert block.tasks_num == 5
    assert block.task_frames(0) == (1, 19)
    assert block.task_frames(4) == (81, 99)
    assert block.task_command(1) == "blender -b s.blend -s 21 -e 39"
    assert block.task_name(1) == "frame 21-39 / 2"
    assert block.task_environment(0) == {"OCIO": "/cfg.ocio"}
    assert block.capacity == 500
    assert block.working_directory == "/proj"
    assert block.tasks == ()


def test_minimal_job_defaults():
    job = parse_job({"blocks": [{"numeric": True, "command": "echo @#@"}]})
    assert job == JobSpec(
        name="job",
        user_name="anonymous",
        blocks=(BlockSpec(name="block", numeric=True, command="echo @#@"),),
    )
    block = job.blocks[0]
    assert block.tasks_num == 1
    assert block.task_name(0) == "frame 0"
    assert block.capacity == 1000
    assert block.errors_retries == -1
    assert block.sequential == 1


def test_numeric_task_names():
    block = parse_job(block_with(frame_first=1, frame_last=10, frames_per_task=4)).blocks[0]
    assert [block.task_name(n) for n in range(3)] == ["frame 1-4", "frame 5-8", "frame 9-10"]
    block = parse_job(block_with(tasks_name="shot_@####@_@####@")).blocks[0]
    assert block.task_name(2) == "shot_0003_0003"
    block = parse_job(block_with(frame_first=-3, frame_last=-3)).blocks[0]
    assert block.task_name(0) == "frame -3"


def test_numeric_task_files():
    block = parse_job(
        block_with(
            frame_first=1,
            frame_last=10,
            frames_per_task=5,
            frames_inc=2,
            files=["/out/img.@####@.exr", "/out/log.txt"],
        )
    ).blocks[0]
    # task 0 covers frames 1 3 5 7 9
    assert block.task_files(0) == [
        "/out/img.0001.exr",
        "/out/img.0003.exr",
        "/out/img.0005.exr",
        "/out/img.0007.exr",
        "/out/img.0009.exr",
        "/out/log.txt",
    ]


def test_numeric_task_files_capped():
    block = parse_job(
        block_with(frame_first=0, frame_last=99_999, frames_per_task=50_000, files=["f.@#@"])
    ).blocks[0]
    files = block.task_files(1)
    assert len(files) == 10_000
    assert files[0] == "f.50000"
    assert files[-1] == "f.59999"


def test_non_numeric_job():
    job = parse_job(
        {
            "blocks": [
                {
                    "name": "convert",
                    "command": "convert-tool @#@ --fast",
                    "environment": {"A": "block", "B": "block"},
                    "files": ["/in/common.txt"],
                    "tasks_name": "conv @#@",
                    "tasks": [
                        {"name": "one", "command": "a.png", "files": ["/in/a.png"]},
                        {"command": "b.png", "environment": {"B": "task", "C": "task"}},
                    ],
                },
                {
                    "name": "cleanup",
                    "tasks": [{"name": "rm", "command": "rm -rf /tmp/x"}],
                },
                {
                    "name": "prefixed",
                    "command": "python run.py",
                    "tasks": [{"name": "t", "command": "--step 1"}, {"command": ""}],
                },
            ]
        }
    )
    convert, cleanup, prefixed = job.blocks
    assert convert.numeric is False
    assert convert.tasks_num == 2
    assert convert.tasks[0] == TaskSpec(name="one", command="a.png", files=("/in/a.png",))
    assert convert.tasks[1].name == ""  # no name: an empty one, as Afanasy keeps it
    assert convert.task_frames(1) == (1, 1)
    assert convert.task_name(0) == "conv one"
    assert convert.task_name(1) == "conv "
    assert convert.task_command(0) == "convert-tool a.png --fast"
    assert convert.task_environment(1) == {"A": "block", "B": "task", "C": "task"}
    assert convert.task_environment(0) == {"A": "block", "B": "block"}
    assert convert.task_files(0) == ["/in/common.txt", "/in/a.png"]
    assert convert.task_files(1) == ["/in/common.txt"]
    assert cleanup.task_name(0) == "rm"
    assert cleanup.task_command(0) == "rm -rf /tmp/x"
    assert prefixed.task_command(0) == "python run.py--step 1"  # joined as is (Afanasy)
    assert prefixed.task_command(1) == "python run.py"
    for n in (-1, 2):
        with pytest.raises(IndexError):
            convert.task_command(n)
        with pytest.raises(IndexError):
            convert.task_frames(n)


def test_afanasy_wrapper_with_flags():
    job = parse_job(
        {
            "job": {
                "name": "afjob",
                "user_name": "Bob",
                "time_creation": 1700000000,
                "blocks": [
                    {
                        "name": "b",
                        "flags": 1,
                        "frame_first": 10,
                        "frame_last": 20,
                        "frames_per_task": 5,
                        "frames_inc": 1,
                        "command": "nuke -F @#@-@#@ x.nk",
                        "tasks": [],
                    }
                ],
            }
        }
    )
    assert job.name == "afjob"
    assert job.user_name == "bob"
    assert job.extra == {"time_creation": 1700000000}
    block = job.blocks[0]
    assert block.numeric is True
    assert block.extra == {"flags": 1}
    assert block.tasks_num == 3
    assert block.task_command(2) == "nuke -F 20-20 x.nk"


def test_flags_without_numeric_bit_is_not_numeric():
    with pytest.raises(SpecError) as info:
        parse_job({"blocks": [{"flags": 2, "command": "x"}]})
    assert info.value.field == "blocks[0]"


def test_multihost_from_afanasys_flags_and_its_host_counts_checked():
    block = parse_job(block_with(flags=1 | 4 | 8, multihost_min=2, multihost_max=3)).blocks[0]
    assert (block.multihost, block.multihost_master_on_slave) == (True, True)
    assert (block.multihost_min, block.multihost_max) == (2, 3)
    for keys, field in (
        ({"multihost_min": 0, "multihost_max": 2}, "blocks[0].multihost_min"),
        ({"multihost_min": 3, "multihost_max": 2}, "blocks[0].multihost_max"),
        ({"multihost_min": 1, "multihost_max": 101}, "blocks[0].multihost_max"),
    ):
        with pytest.raises(SpecError) as info:
            parse_job(block_with(flags=1 | 4, **keys))
        assert info.value.field == field


def test_unique_block_names():
    blocks = [
        numeric_block(),
        numeric_block(),
        numeric_block(name="block"),
        numeric_block(name="comp"),
        numeric_block(name="comp"),
        numeric_block(name="comp-1"),
    ]
    job = parse_job(job_with(blocks=blocks))
    assert [b.name for b in job.blocks] == [
        "block",
        "block-1",
        "block-2",
        "comp",
        "comp-1",
        "comp-1-1",
    ]


def test_unknown_keys_kept_in_extra():
    job = parse_job(
        job_with(
            custom_data="x",
            branch="/prj/",
            blocks=[
                {
                    "flags": 1,
                    "need_power": 2,
                    "frame_last": 3,
                    "command": "c",
                    "tasks": [],
                },
                {"tasks": [{"command": "x", "custom_data": "{}"}]},
            ],
        )
    )
    assert job.extra == {"custom_data": "x", "branch": "/prj/"}
    assert job.blocks[0].extra == {"flags": 1, "need_power": 2}
    assert job.blocks[1].tasks[0].extra == {"custom_data": "{}"}
    assert unknown_keys(job) == []  # Afanasy's own keys, kept without a word


def test_misspelt_keys_are_named_with_what_was_meant():
    job = parse_job(
        job_with(
            prioirty=120,
            blocks=[
                numeric_block(frames_per_tsk=5),
                {"tasks": [{"command": "x", "enviroment": {}}, {"command": "y", "zzz": 1}]},
            ],
        )
    )
    assert unknown_keys(job) == [
        ("prioirty", "unknown key, ignored (did you mean 'priority'?)"),
        ("blocks[0].frames_per_tsk", "unknown key, ignored (did you mean 'frames_per_task'?)"),
        ("blocks[1].tasks[0].enviroment", "unknown key, ignored (did you mean 'environment'?)"),
        ("blocks[1].tasks[1].zzz", "unknown key, ignored"),
    ]


def test_services_must_be_known():
    job = parse_job(job_with(blocks=[numeric_block(service="blender"), numeric_block()]))
    check_services(job.blocks, ("blender", "generic"))
    with pytest.raises(SpecError) as error:
        check_services(job.blocks, ("generic", "nuke"))
    assert error.value.field == "blocks[0].service"
    assert error.value.message == "unknown service 'blender' (known: generic, nuke)"
    with pytest.raises(SpecError, match=r"^blocks\[3\]\.service"):
        check_services(job.blocks[:1], ("nuke",), first=3)


def test_scheduling_keys():
    job = parse_job(
        job_with(
            need_os="linux",
            pools={"/gpu/": 10, "slow": -100},
            hosts_mask_type="regex",
            ignorenimby=True,
            blocks=[
                {
                    "tasks": [{"command": "x"}],
                    "tickets": {"NUKE": 1},
                    "need_memory": 4000,
                    "capacity_coeff_min": 1,
                    "capacity_coeff_max": 4,
                    "errors_avoid_host": 2,
                }
            ],
        )
    )
    assert (job.need_os, job.pools, job.hosts_mask_type, job.ignorenimby) == (
        "linux",
        {"/gpu/": 10, "slow": -100},
        "regex",
        True,
    )
    block = job.blocks[0]
    assert block.tickets == {"NUKE": 1} and block.need_memory == 4000
    assert block.variable_capacity and block.errors_avoid_host == 2
    assert parse_job(job_to_dict(job)) == job


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("pools", {"/gpu/": 101}, 'pools["/gpu/"]'),
        ("pools", {"": 1}, 'pools[""]'),
        ("pools", [], "pools"),
        ("hosts_mask_type", "glob", "hosts_mask_type"),
        ("ignorenimby", 1, "ignorenimby"),
    ],
)
def test_bad_scheduling_keys(key, value, field):
    with pytest.raises(SpecError) as caught:
        parse_job(job_with(**{key: value}))
    assert caught.value.field == field


def test_user_name_blank_is_anonymous():
    assert parse_job(job_with(user_name="   ")).user_name == "anonymous"


def test_round_trip():
    job = parse_job(
        {
            "job": {
                "name": "rt",
                "user_name": "Carol",
                "priority": 0,
                "time_life": -1,
                "depend_mask": "^comp_.*$",
                "folders": {"input": "/in"},
                "annotation": "multi\nline",
                "need_os": "linux",
                "blocks": [
                    numeric_block(flags=1, files=["a.@#@"], sequential=-1),
                    numeric_block(frames_per_task=3),
                    {
                        "name": "list",
                        "working_directory": None,
                        "frames_per_task": -4,
                        "tasks": [
                            {"command": "a", "environment": {"X": "1"}, "k": [1, 2.5, None]},
                            {"name": "n", "command": "b", "files": ["f"]},
                        ],
                    },
                ],
            }
        }
    )
    data = job_to_dict(job)
    text = json.dumps(data, allow_nan=False)
    again = parse_job(json.loads(text))
    assert again == job
    assert job_to_dict(again) == data
    assert [b.name for b in again.blocks] == ["block", "block-1", "list"]
    assert "tasks" not in data["blocks"][0]
    assert data["blocks"][2]["tasks"][0] == {
        "k": [1, 2.5, None],
        "name": "",
        "command": "a",
        "files": [],
        "environment": {"X": "1"},
    }


def test_parse_does_not_alias_input():
    doc = job_with(blocks=[numeric_block(environment={"A": "1"}, custom={"x": [1]})])
    job = parse_job(doc)
    doc["blocks"][0]["environment"]["A"] = "changed"
    doc["blocks"][0]["custom"]["x"].append(2)
    assert job.blocks[0].environment == {"A": "1"}
    assert job.blocks[0].extra == {"custom": {"x": [1]}}


def test_ten_million_tasks_allowed_but_not_more():
    ok = parse_job(block_with(frame_first=0, frame_last=9_999_999)).blocks[0]
    assert ok.tasks_num == 10_000_000
    assert ok.task_frames(9_999_999) == (9_999_999, 9_999_999)
    with pytest.raises(SpecError) as info:
        parse_job(block_with(frame_first=0, frame_last=10_000_000))
    assert info.value.field == "blocks[0]"


# ---------------------------------------------------------------------------------- bad input

BIG = "n" * 10_000_000

BAD_INPUTS = [
    # (id, document, expected field, text expected in the message)
    ("none", None, "", "must be a JSON object, not null"),
    ("list", [], "", "not an array"),
    ("string", "x", "", "not a string"),
    ("int", 5, "", "not an integer"),
    ("wrapper not object", {"job": []}, "job", "must be an object"),
    ("wrapper extra key", {"job": {}, "x": 1}, "x", "unexpected key"),
    ("missing blocks", {"name": "j"}, "blocks", "is required"),
    ("empty blocks", {"blocks": []}, "blocks", "must not be empty"),
    ("blocks not list", {"blocks": {"a": 1}}, "blocks", "must be an array"),
    ("blocks null", {"blocks": None}, "blocks", "must be an array, not null"),
    ("too many blocks", {"blocks": [numeric_block()] * 1001}, "blocks", "at most 1000"),
    ("block not object", {"blocks": ["b"]}, "blocks[0]", "must be an object"),
    ("block neither", {"blocks": [{"command": "x"}]}, "blocks[0]", "needs numeric frames"),
    ("empty tasks", {"blocks": [{"tasks": []}]}, "blocks[0]", "non-empty tasks list"),
    ("tasks not list", {"blocks": [{"tasks": "abc"}]}, "blocks[0].tasks", "must be an array"),
    ("task not object", {"blocks": [{"tasks": [3]}]}, "blocks[0].tasks[0]", "must be an object"),
    (
        "task without command",
        {"blocks": [{"tasks": [{"name": "a"}]}]},
        "blocks[0].tasks[0].command",
        "is required",
    ),
    (
        "empty task and block command",
        {"blocks": [{"tasks": [{"command": ""}]}]},
        "blocks[0].tasks[0].command",
        "must not be empty",
    ),
    (
        "numeric with tasks",
        block_with(tasks=[{"command": "x"}]),
        "blocks[0].tasks",
        "numeric block cannot",
    ),
    ("numeric without command", block_with(command=""), "blocks[0].command", "needs a command"),
    ("negative range", block_with(frame_first=10, frame_last=1), "blocks[0].frame_last", ">="),
    ("frames_per_task 0", block_with(frames_per_task=0), "blocks[0].frames_per_task", ">= 1"),
    ("frames_inc 0", block_with(frames_inc=0), "blocks[0].frames_inc", ">= 1"),
    ("frame too big", block_with(frame_last=10**12 + 1), "blocks[0].frame_last", "<="),
    ("string priority", job_with(priority="10"), "priority", "must be an integer, not a string"),
    ("float priority", job_with(priority=10.5), "priority", "not a number"),
    ("priority range", job_with(priority=251), "priority", "<= 250"),
    ("huge int", job_with(priority=10**100), "priority", "<= 250"),
    ("bool capacity", block_with(capacity=True), "blocks[0].capacity", "not a boolean"),
    ("capacity 0", block_with(capacity=0), "blocks[0].capacity", ">= 1"),
    ("bool frame", block_with(frame_first=False), "blocks[0].frame_first", "not a boolean"),
    ("numeric not bool", block_with(numeric=1), "blocks[0].numeric", "true or false"),
    ("offline string", job_with(offline="yes"), "offline", "true or false"),
    ("list name", job_with(name=["a"]), "name", "must be a string, not an array"),
    ("empty name", job_with(name=""), "name", "must not be empty"),
    ("10 MB name", job_with(name=BIG), "name", "at most 512 characters (got 10000000)"),
    ("control char", job_with(name="a\x1bb"), "name", "control characters"),
    ("newline in name", block_with(name="a\nb"), "blocks[0].name", "control characters"),
    ("NUL in command", block_with(command="a\0b"), "blocks[0].command", "NUL"),
    ("lone surrogate", job_with(name="bad\ud800"), "name", "must be valid UTF-8 text"),
    ("surrogate cmd", block_with(command="\udfff"), "blocks[0].command", "valid UTF-8"),
    ("huge command", block_with(command="x" * 65537), "blocks[0].command", "at most 65536"),
    (
        "env non-string value",
        block_with(environment={"A": 1}),
        'blocks[0].environment["A"]',
        "must be a string, not an integer",
    ),
    ("env not object", block_with(environment=["A=1"]), "blocks[0].environment", "an object"),
    ("env key with =", block_with(environment={"A=B": "1"}), 'blocks[0].environment["A=B"]', "="),
    ("env empty key", block_with(environment={"": "1"}), 'blocks[0].environment[""]', "empty"),
    ("files not list", block_with(files="a.exr"), "blocks[0].files", "must be an array"),
    ("file not string", block_with(files=["a", 2]), "blocks[0].files[1]", "must be a string"),
    (
        "task env",
        {"blocks": [{"tasks": [{"command": "x", "environment": {"K": None}}]}]},
        'blocks[0].tasks[0].environment["K"]',
        "not null",
    ),
    ("bad service", block_with(service="../evil"), "blocks[0].service", "letters, digits"),
    ("empty service", block_with(service=""), "blocks[0].service", "letters, digits"),
    ("bad depend_mask", block_with(depend_mask="(a"), "blocks[0].depend_mask", "regular exp"),
    ("bad global mask", job_with(depend_mask_global="[z-a]"), "depend_mask_global", "regular"),
    (
        "bad regex hosts_mask",
        job_with(hosts_mask_type="regex", hosts_mask="("),
        "hosts_mask",
        "regular expression",
    ),
    (
        "bad regex block hosts_mask_exclude",
        {**block_with(hosts_mask_exclude="["), "hosts_mask_type": "regex"},
        "blocks[0].hosts_mask_exclude",
        "regular expression",
    ),
    ("folders value", job_with(folders={"out": 1}), 'folders["out"]', "must be a string"),
    ("extra NaN", job_with(custom=float("nan")), "custom", "finite"),
    ("flags not int", block_with(flags="1"), "blocks[0].flags", "must be an integer"),
    ("max running", job_with(max_running_tasks=-2), "max_running_tasks", ">= -1"),
    ("retries", block_with(errors_retries=-5), "blocks[0].errors_retries", ">= -1"),
    ("max run time", block_with(task_max_run_time=-1), "blocks[0].task_max_run_time", ">= 0"),
    ("second block", {"blocks": [numeric_block(), 7]}, "blocks[1]", "must be an object"),
]


@pytest.mark.parametrize(
    ("doc", "field", "text"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input(doc, field, text):
    with pytest.raises(SpecError) as info:
        parse_job(doc)
    assert info.value.field == field
    assert text in info.value.message
    assert len(str(info.value)) < 300  # never echoes a huge value back


GARBAGE = [
    0,
    1.5,
    True,
    "",
    [],
    {},
    [[]],
    {"a": None},
    None,
    [{"command": 1}],
    {"tasks": {"a": 1}},
    {"tasks": [None]},
    {"tasks": [{"command": None}]},
    {"numeric": None},
    {"numeric": True, "frame_first": None},
    {"numeric": True, "command": "x", "environment": None},
    {"numeric": True, "command": "x", "environment": {"A": []}},
]


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("where", ["document", "blocks", "block", "name", "environment", "task"])
def test_garbage_only_raises_spec_error(value, where):
    if where == "document":
        doc = value
    elif where == "blocks":
        doc = {"blocks": value}
    elif where == "block":
        doc = {"blocks": [value]}
    elif where == "name":
        doc = block_with(name=value)
    elif where == "environment":
        doc = block_with(environment=value)
    else:
        doc = {"blocks": [{"tasks": [value]}]}
    # Some combinations are valid; none may raise anything but SpecError.
    with contextlib.suppress(SpecError):
        parse_job(doc)


def test_job_task_total_is_bounded():
    block = {"numeric": True, "frame_first": 0, "frame_last": 9_999_999, "command": "x"}
    with pytest.raises(SpecError) as caught:
        parse_job({"blocks": [block, block, block]})
    assert caught.value.field == "blocks[2]"
    assert parse_job({"blocks": [block, block]}).blocks[1].tasks_num == 10_000_000


def test_hosts_masks_are_checked_in_the_jobs_mode_only():
    """Any text is a find mask; a job without hosts_mask_type takes its user's mode, which the
    scheduler checks when it meets the job."""
    for mode in ("find", ""):
        assert parse_job(job_with(hosts_mask="(", hosts_mask_type=mode)).hosts_mask == "("
    assert parse_job(job_with(hosts_mask="farm0[1-3]", hosts_mask_type="regex")).hosts_mask_type


def test_a_whole_number_written_with_a_fraction_is_an_integer_as_json_schema_says():
    spec = parse_job({**block_with(capacity=250.0, tickets={"nuke": 2.0}), "priority": 120.0})
    assert (spec.blocks[0].capacity, spec.blocks[0].tickets, spec.priority) == (
        250,
        {"nuke": 2},
        120,
    )
    assert type(spec.blocks[0].capacity) is int and type(spec.priority) is int
    with pytest.raises(SpecError, match="must be an integer, not a number"):
        parse_job(block_with(capacity=250.5))

"""Frame math and number patterns (app.core.frames)."""

import pytest

from app.core.frames import fill_numbers, has_number_pattern, numeric_task_count, task_frames
from app.core.jobspec import parse_job


@pytest.mark.parametrize(
    ("first", "last", "per_task", "inc", "count"),
    [
        (1, 10, 1, 1, 10),
        (1, 10, 3, 1, 4),  # 3 does not divide 10: last task short
        (1, 9, 3, 1, 3),
        (1, 10, 1, 2, 5),  # frames 1 3 5 7 9
        (1, 10, 3, 2, 2),  # tasks [1,5] [7,9]
        (0, 0, 1, 1, 1),  # single frame
        (5, 5, 10, 3, 1),
        (-10, -1, 4, 1, 3),  # negative frames
        (-5, 5, 1, 5, 3),  # frames -5 0 5
        (0, 999_999, 1, 1, 1_000_000),
    ],
)
def test_numeric_task_count(first, last, per_task, inc, count):
    assert numeric_task_count(first, last, per_task, inc) == count


@pytest.mark.parametrize(
    ("first", "last", "per_task", "inc", "n", "expected"),
    [
        (1, 10, 1, 1, 0, (1, 1)),
        (1, 10, 1, 1, 9, (10, 10)),
        (1, 10, 3, 1, 0, (1, 3)),
        (1, 10, 3, 1, 2, (7, 9)),
        (1, 10, 3, 1, 3, (10, 10)),  # short last task
        (1, 10, 1, 2, 4, (9, 9)),  # last=10 is not a frame of 1,3,5,7,9
        (1, 10, 3, 2, 0, (1, 5)),
        (1, 10, 3, 2, 1, (7, 9)),  # end aligned to the sequence, not 10
        (0, 100, 10, 10, 0, (0, 90)),
        (0, 100, 10, 10, 1, (100, 100)),
        (-10, -1, 4, 1, 0, (-10, -7)),
        (-10, -1, 4, 1, 2, (-2, -1)),
        (-5, 5, 1, 5, 1, (0, 0)),
        (7, 7, 1, 1, 0, (7, 7)),
        (7, 7, 5, 3, 0, (7, 7)),
    ],
)
def test_task_frames(first, last, per_task, inc, n, expected):
    assert task_frames(first, last, per_task, inc, n) == expected


@pytest.mark.parametrize("n", [-1, 4, 100])
def test_task_frames_out_of_range(n):
    with pytest.raises(IndexError):
        task_frames(1, 10, 3, 1, n)


@pytest.mark.parametrize(
    ("args"),
    [(1, 10, 0, 1), (1, 10, 1, 0), (10, 1, 1, 1)],
)
def test_invalid_ranges_raise_value_error(args):
    with pytest.raises(ValueError):
        numeric_task_count(*args)


@pytest.mark.parametrize(
    ("pattern", "numbers", "expected"),
    [
        ("render -s @#@ -e @#@", (1, 10), "render -s 1 -e 10"),
        ("img.@####@.exr", (7, 9), "img.0007.exr"),
        ("a @#@ b @##@ c @###@ d @####@", (1, 2), "a 1 b 02 c 001 d 0002"),  # alternation
        ("@#@ @#@ @#@", (5,), "5 5 5"),
        ("x@#@y", (12345,), "x12345y"),  # wider than the padding: not cut
        ("f.@####@", (-5,), "f.-005"),  # the sign counts in the padding (Afanasy)
        ("f.@#@", (-5,), "f.-5"),
        ("no tokens here", (1, 2), "no tokens here"),
        ("email@host.com @ # @@", (1,), "email@host.com @ # @@"),
        ("@@#@@", (3,), "@3@"),
        ("", (1,), ""),
    ],
)
def test_fill_numbers(pattern, numbers, expected):
    assert fill_numbers(pattern, numbers) == expected


def test_has_number_pattern():
    assert has_number_pattern("x.@####@.exr")
    assert has_number_pattern("@#@")
    assert not has_number_pattern("x.@@.exr")
    assert not has_number_pattern("a@b#c@d")
    assert not has_number_pattern("")


def test_million_task_block():
    job = parse_job(
        {
            "blocks": [
                {
                    "numeric": True,
                    "frame_first": 1,
                    "frame_last": 1_000_000,
                    "command": "render -f @#@",
                }
            ]
        }
    )
    block = job.blocks[0]
    assert block.tasks_num == 1_000_000
    assert block.task_frames(999_999) == (1_000_000, 1_000_000)
    assert block.task_command(999_999) == "render -f 1000000"
    with pytest.raises(IndexError):
        block.task_frames(1_000_000)

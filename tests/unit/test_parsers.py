"""Output parsers: line splitting, the generic patterns, frame offsets, combining by inheritance,
and the runner's progress messages."""

import asyncio
import logging
import re
import sys

import pytest

from app.parsers import Parser, get_parser
from app.parsers.base import MAX_MESSAGES, clean_line
from app.parsers.generic import GenericParser
from app.render.runner import TaskRunner
from tests.polling import until
from tests.unit.test_runner import config, make_task  # noqa: F401  (the config fixture)


class Recorder(Parser):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.lines: list[str] = []

    def parse_line(self, line: str) -> None:
        self.lines.append(line)
        super().parse_line(line)


def test_lines_split_across_chunks_are_joined():
    parser = Recorder()
    for chunk in ["ab", "c\nde", "f\r\n", "\n", "g\rh", "i"]:
        parser.feed(chunk)
    assert parser.lines == ["abc", "def", "", "g"]
    parser.finish()
    assert parser.lines == ["abc", "def", "", "g", "hi"]
    parser.finish()
    assert parser.lines[-1] == "hi" and len(parser.lines) == 5


def test_progress_split_over_chunks():
    parser = GenericParser()
    parser.feed("PROGR")
    assert parser.percent is None
    parser.feed("ESS: 4")
    parser.feed("2%\n")
    assert parser.percent == 42


@pytest.mark.parametrize(
    ("line", "percent"),
    [
        ("PROGRESS: 50%", 50),
        ("info PROGRESS:7 %", 7),
        ("PROGRESS: 33.9%", 33),
        ("PROGRESS: 250%", 100),
        ("openjd_progress: 12.5", 12),
        ("openjd_progress: 100", 100),
        ("PROGRESS: lots", None),
        ("openjd_progress: 12 done", None),
    ],
)
def test_percent_patterns(line, percent):
    parser = GenericParser()
    parser.feed(line + "\n")
    assert parser.percent == percent


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("\x1b[1;31mERROR\x1b[0m | no licence", "ERROR | no licence"),
        ("2023-02-03 09:11:42:  0: STDOUT: Fra:1 Mem:10M", "Fra:1 Mem:10M"),
        (
            "2025/06/27 11:04:57-05:00 ADAPTOR_OUTPUT: STDOUT: Redshift Error: x",
            "Redshift Error: x",
        ),
        ("[2023/Aug/10|17:33:55] text", "[2023/Aug/10|17:33:55] text"),  # V-Ray's own stamp
        ("[17:07:19] Creating karma scene", "Creating karma scene"),
        ("00:00:02   279MB WARNING | abort", "279MB WARNING | abort"),
        ("[INFO] Saved: out.png", "Saved: out.png"),
        ("STDERR: Error: line 1: x", "Error: line 1: x"),
        ("R 15| Fra:3", "Fra:3"),
        ("  0:00:01:05 (6): 0 Seconds", "  0:00:01:05 (6): 0 Seconds"),  # a timecode stays
        ("PROGRESS: 50%", "PROGRESS: 50%"),
    ],
)
def test_clean_line_drops_colour_codes_and_wrapper_prefixes(line, clean):
    assert clean_line(line) == clean


def test_parsers_read_through_wrapper_prefixes():
    parser = GenericParser()
    parser.feed("2024-05-03 12:07:19:  0: STDOUT: \x1b[32mPROGRESS: 40%\x1b[0m\n")
    assert parser.percent == 40


def test_openjd_status_and_fail():
    parser = GenericParser()
    parser.feed("openjd_status: loading scene  \nopenjd_fail: license missing\n")
    assert parser.activity == "loading scene"
    assert parser.errors == ["license missing"] and parser.fatal
    assert parser.percent is None and parser.frame is None


def test_frame_offset_with_inc_2():
    parser = GenericParser(10, 20, 2)  # frames 10 12 14 16 18 20
    assert parser.frames == 6
    parser.feed("FRAME: 10\n")
    assert parser.frame == 0
    parser.feed("FRAME: 14\n")
    assert parser.frame == 2
    parser.feed("FRAME: 15\n")  # between frames: the one being rendered
    assert parser.frame == 2
    parser.feed("FRAME: 20\n")
    assert parser.frame == 5
    parser.feed("FRAME: 99\nFRAME: 1\n")  # out of the task: clamped
    assert parser.frame == 0
    parser.feed("FRAME: 99\n")
    assert parser.frame == 5


def test_progress_changed_reports_only_changes():
    parser = GenericParser(1, 10)
    assert not parser.progress_changed()
    parser.feed("PROGRESS: 10%\n")
    assert parser.progress_changed() and not parser.progress_changed()
    parser.feed("PROGRESS: 10%\n")
    assert not parser.progress_changed()
    parser.feed("FRAME: 3\n")
    assert parser.progress_changed() and parser.frame == 2


def test_messages_are_capped():
    parser = Parser()
    for n in range(MAX_MESSAGES + 5):
        parser.warning(f"w{n}")
    assert len(parser.warnings) == MAX_MESSAGES and parser.dropped == 5


_SAMPLES = re.compile(r"Rendering (\d+)/(\d+) samples")


class SampleParser(GenericParser):
    """A combined parser: its own pattern, and the generic ones through super()."""

    def parse_line(self, line: str) -> None:
        match = _SAMPLES.search(line)
        if match:
            self.set_frame_percent(100 * int(match[1]) / int(match[2]))
        if "Saved:" in line:
            self.add_file(line.split("Saved:", 1)[1].strip())
        if line.startswith("Warning:"):
            self.warning(line)
        super().parse_line(line)


def test_combined_subclass_keeps_the_base_patterns():
    parser = SampleParser(1, 4)
    parser.feed("FRAME: 2\nRendering 32/128 samples\nWarning: no UVs\nPROGRESS: 25%\n")
    parser.feed("Saved: /out/a.0002.exr\nopenjd_status: done\n")
    assert parser.frame_percent == 25
    assert parser.frame == 1 and parser.percent == 25
    assert parser.warnings == ["Warning: no UVs"]
    assert parser.files == ["/out/a.0002.exr"]
    assert parser.activity == "done"


def test_registry(caplog):
    assert get_parser("") is GenericParser
    assert get_parser("generic") is GenericParser
    assert get_parser("none") is Parser
    for name in ("blender_cycles", "blender_render"):  # CGRU's blender submitters' names
        assert get_parser(name) is get_parser("blender")
    with caplog.at_level(logging.WARNING, logger="app.parsers.registry"):
        assert get_parser("no-such-parser") is GenericParser
    assert "no-such-parser" in caplog.text


# -- the runner -------------------------------------------------------------------------------

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")


async def _progress(command: str, config, **fields) -> list[dict]:  # noqa: F811
    messages: list[dict] = []
    runner = TaskRunner(make_task(command, parser="", **fields), config, messages.append)
    runner.start()
    await asyncio.wait_for(runner.wait(), 30)
    assert messages[-1]["type"] == "result"
    return [m for m in messages if m["type"] == "progress"]


@posix
async def test_runner_sends_progress_with_the_task_key(config):  # noqa: F811
    sent = await _progress("echo 'PROGRESS: 30%'; echo FRAME: 11", config)
    assert sent[-1] == {
        "type": "progress",
        "job": 7,
        "block": 1,
        "task": 3,
        "run": 2,
        "percent": 30,
        "frame": 1,
    }
    assert len(sent) == 1  # both lines in one batch


@posix
async def test_runner_without_progress_sends_none(config):  # noqa: F811
    assert await _progress("echo hello; echo PROGRESS: 1", config) == []


@posix
async def test_runner_frames_only_give_a_percent(config):  # noqa: F811
    sent = await _progress("printf 'FRAME: 1'", config, frame_start=0, frame_end=3)
    assert sent == [
        {"type": "progress", "job": 7, "block": 1, "task": 3, "run": 2, "percent": 25, "frame": 1}
    ]


@posix
async def test_runner_throttles_progress_but_sends_the_last(config):  # noqa: F811
    command = "for p in 10 20 30 40 50 60; do echo PROGRESS: $p%; sleep 0.25; done"
    sent = await _progress(command, config)
    assert 2 <= len(sent) <= 5, sent
    assert sent[0]["percent"] == 10 and sent[-1]["percent"] == 60


@posix
async def test_runner_sends_a_change_after_the_throttle_without_more_output(
    config,  # noqa: F811
    tmp_path,
):
    gate = tmp_path / "gate"
    wait = f"until [ -e {gate} ]; do sleep 0.02; done"
    command = f"echo PROGRESS: 10%; sleep 0.3; echo PROGRESS: 20%; {wait}"
    messages: list[dict] = []
    runner = TaskRunner(make_task(command, parser=""), config, messages.append)
    runner.start()
    try:  # the second change comes after the throttle while the task waits, silent, for its gate
        await until(lambda: [m["percent"] for m in messages if m["type"] == "progress"] == [10, 20])
    finally:
        gate.touch()
        await asyncio.wait_for(runner.wait(), 30)

"""Renderer parsers: the logic the fixture logs do not pin down on their own."""

import pytest

from app.parsers import get_parser
from app.parsers.generic import GenericParser

RENDERERS = [
    "blender",
    "arnold",
    "vray",
    "redshift",
    "prman",
    "mantra",
    "karma",
    "hbatch",
    "hbatch_mantra",
    "hbatch_karma",
    "hbatch_redshift",
    "hbatch_arnold",
    "maya",
    "maya_arnold",
    "maya_redshift",
    "maya_vray",
    "maya_prman",
]


def _parse(name: str, text: str, start: int = 0, end: int = 0, inc: int = 1):
    parser = get_parser(name)(start, end, inc)
    parser.feed(text)
    parser.finish()
    return parser


@pytest.mark.parametrize("name", RENDERERS)
def test_registered_and_reads_generic_markers(name):
    cls = get_parser(name)
    assert cls.name == name
    assert issubclass(cls, GenericParser)
    parser = _parse(name, "FRAME: 12\nPROGRESS: 40%\n[ PARSER ERROR ] bad\n", 10, 14)
    assert (parser.frame, parser.percent, parser.errors) == (2, 40, ["[ PARSER ERROR ] bad"])


def test_blender_percent_over_frames():
    # frames 1-3, at frame 2 sample 32/64: (1 * 100 + 50) / 3 = 50
    text = "Fra:1 Mem:1M | Finished\nFra:2 Mem:1M (Peak 3M) | Scene, ViewLayer | Sample 32/64\n"
    parser = _parse("blender", text, 1, 3)
    assert (parser.frame, parser.frame_percent, parser.percent) == (1, 50, 50)
    parser.feed("Fra:2 Mem:1M | Sample 64/64\nFra:3 Mem:1M | Synchronizing object | Cube\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (2, 0, 66)


def test_blender_frame_step_and_unknown_range():
    assert _parse("blender", "Fra:5 Mem:1M | Sample 1/2\n", 1, 9, 2).frame == 2
    parser = _parse("blender", "Fra:7 Mem:1M | Sample 1/4\n")  # no frame range known
    assert (parser.frame, parser.percent) == (0, 25)


def test_blender_not_freed_memory_is_a_warning():
    parser = _parse("blender", "Error: Not freed memory blocks: 3, total unfreed memory 0.1 MB\n")
    assert parser.errors == [] and len(parser.warnings) == 1


def test_progress_without_frame_names_advances_after_a_full_frame():
    lines = [
        "  0% done",
        " 50% done",
        "100% done",
        "render done in 0:01.000",
        "  0% done",
        " 40% done",
    ]
    parser = _parse("arnold", "\n".join(f"00:00:01  100MB  | {line}" for line in lines), 1, 3)
    assert (parser.frame, parser.frame_percent, parser.percent) == (1, 40, 46)


def test_passes_count_each_frames_rounds_before_the_next_frame():
    """parser_coeff 2 (two render layers): a frame goes from 0 to 100 % twice."""
    parser = get_parser("mantra")(1, 2)
    parser.passes = 2
    parser.feed("ALF_PROGRESS 100%\nALF_PROGRESS 50%\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (None, 50, 37)
    parser.feed("ALF_PROGRESS 100%\nALF_PROGRESS 10%\n")  # both rounds of frame 1 done
    assert (parser.frame, parser.percent) == (1, 52)


def test_progress_stays_on_the_last_frame():
    text = "ALF_PROGRESS 100%\nALF_PROGRESS 10%\nALF_PROGRESS 100%\nALF_PROGRESS 20%\n"
    parser = _parse("mantra", text, 1, 2)
    assert (parser.frame, parser.frame_percent, parser.percent) == (1, 20, 60)


def test_named_frame_resets_frame_percent():
    text = "CORRAL_ROP: /out/mantra1 frame 3\nALF_PROGRESS 100%\nCORRAL_ROP: /out/mantra1 frame 4\n"
    parser = _parse("hbatch_mantra", text, 1, 4)
    assert (parser.frame, parser.frame_percent, parser.percent) == (3, 0, 75)
    parser.feed("ALF_PROGRESS 20%\n")  # a percent after a named frame does not skip one
    assert (parser.frame, parser.percent) == (3, 80)


def test_combination_keeps_one_message_per_line():
    parser = _parse("maya_redshift", "Frame rendering aborted.\nFrame rendering aborted.\n")
    assert parser.errors == ["Frame rendering aborted.", "Frame rendering aborted."]
    parser = _parse("hbatch_mantra", "No licenses could be found to run this application.\n")
    assert len(parser.errors) == 1 and parser.fatal


def test_peak_memory_keeps_the_highest():
    text = "peak CPU memory used  2.00GB\npeak CPU memory used  900.50MB\n"
    assert _parse("arnold", text).resources == {"mem_peak_mb": 2048.0}


def test_maya_result_lines_are_not_errors():
    parser = _parse("maya", "Result: Frame aborted (kFailure)\n")
    assert parser.errors == [] and not parser.fatal

"""Parsers as pattern tables (app/parsers/table.py): the engine's rules, tables in plugin files,
and real lines of the renderers whose parsers are tables (each with the public page it is from).
"""

from __future__ import annotations

import logging
import textwrap

import pytest

from app.parsers import PARSERS, get_parser, load_parsers
from app.parsers.table import Rule, TableParser


def _parse(name_or_class, text: str, start: int = 0, end: int = 0):
    cls = get_parser(name_or_class) if isinstance(name_or_class, str) else name_or_class
    parser = cls(start, end)
    parser.feed(text)
    parser.finish()
    return parser


class Tool(TableParser):
    table = (
        Rule("frame_start", r"begin frame (\d+)", needle="begin"),
        Rule("frame_percent", r"(\d+)/(\d+) tiles"),
        Rule("frame_percent", r"tile progress (\d+)%"),  # never reached: the rule above won
        Rule("frame_done", r"end frame"),
        Rule("file", r"wrote (\S+)"),
        Rule("peak", r"peak (\d+) ?([KMG]B)"),
        Rule("resource", r"(\d+) lights", resource="lights"),
        Rule("warning", r"missing"),
        Rule("error", r"failed"),
        Rule("fatal", r"licen[cs]e"),
        Rule("bad_result", r"watermark"),
        Rule("success", r"all good"),
    )


def test_progress_rules_frames_and_the_first_match_only():
    text = "begin frame 3\n8/16 tiles tile progress 90%\n"
    parser = _parse(Tool, text, 2, 5)
    assert (parser.frame, parser.frame_percent, parser.percent) == (1, 50, 37)
    parser.feed("end frame\nbegin frame 4\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (2, 0, 50)


def test_notes_all_apply():
    parser = _parse(Tool, "wrote /out/a.exr peak 2 GB 12 lights\nwrote /out/a.exr\n")
    assert parser.files == ["/out/a.exr"]
    assert parser.resources == {"mem_peak_mb": 2048.0, "lights": 12}


def test_a_line_is_one_message_fatal_first_then_in_table_order():
    text = "missing texture\nlicense check failed, missing server\nmissing: load failed\n"
    parser = _parse(Tool, text)
    assert parser.warnings == ["missing texture", "missing: load failed"]
    assert parser.errors == ["license check failed, missing server"] and parser.fatal


def test_bad_result_keeps_a_warning_and_success_is_noted():
    parser = _parse(Tool, "rendering with watermark\nall good\n")
    assert parser.bad_result and parser.warnings == ["rendering with watermark"]
    assert parser.success and parser.errors == []


def test_ansi_codes_do_not_hide_a_pattern():
    parser = _parse(Tool, "\x1b[31mrender failed\x1b[0m\n")
    assert parser.errors == ["render failed"]


def test_generic_markers_still_read():
    parser = _parse(Tool, "FRAME: 7\n[ PARSER WARNING ] odd\n", 5, 9)
    assert parser.frame == 2 and parser.warnings == ["[ PARSER WARNING ] odd"]


def test_a_combination_reads_both_tables():
    class Extra(TableParser):
        table = (Rule("error", r"boom"),)

    class Both(Extra, Tool):
        pass

    parser = _parse(Both, "boom\nmissing\n")
    assert parser.errors == ["boom"] and parser.warnings == ["missing"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((Rule("percnt", "x"),), "Bad.table[0]: unknown kind 'percnt'"),
        ((Rule("error", "(unclosed"),), "Bad.table[0]: bad pattern '(unclosed'"),
        ((Rule("resource", r"(\d+)"),), "Bad.table[0]: a resource rule needs a resource name"),
        ((("error", "x"),), "Bad.table[0] must be a Rule, not tuple"),
    ],
)
def test_a_bad_table_is_refused_when_the_class_is_made(rules, message):
    with pytest.raises(ValueError) as error:
        type("Bad", (TableParser,), {"table": rules})
    assert str(error.value).startswith(message)


def test_a_table_in_a_plugin_file_is_a_parser(tmp_path, caplog):
    (tmp_path / "keyshot.py").write_text(
        textwrap.dedent(
            """
            from app.parsers.table import Rule, TableParser

            class KeyShotParser(TableParser):
                name = "keyshot"
                table = (
                    Rule("frame_percent", r"Rendering:\\s*(\\d+)\\s*%"),
                    Rule("error", r"^Error:"),
                )
            """
        )
    )
    (tmp_path / "broken.py").write_text(
        "from app.parsers.table import Rule, TableParser\n"
        "class Broken(TableParser):\n    name = 'broken'\n    table = (Rule('nope', 'x'),)\n"
    )
    try:
        with caplog.at_level(logging.WARNING, logger="corral.plugins"):
            load_parsers(tmp_path)
        parser = _parse("keyshot", "Rendering: 40 %\nError: scene has no camera\n")
        assert (parser.percent, parser.errors) == (40, ["Error: scene has no camera"])
        assert PARSERS.get("broken") is None
        assert "unknown kind 'nope'" in caplog.text
    finally:
        load_parsers()


# -- real lines ---------------------------------------------------------------------------------


def test_arnold_aborts_printed_as_warnings_are_errors():
    # https://github.com/Autodesk/arnold-usd/issues/1875 (kick with a low log verbosity)
    text = (
        "       | starting 32 bucket workers of size 64x64 ...\n"
        "WARNING |  render terminating early:  received abort signal\n"
        "        | render done in 0:00.006\n"
        "        | [driver_exr] writing file "
        "`C:/Users/blairs/untitled.arnold_rendersettings1.0049.exr'\n"
        "00:00:02   279MB WARNING | [kick] render aborted due to earlier errors\n"
        "        | render done\n"
    )
    parser = _parse("arnold", text)
    assert [line.split("|")[1].strip() for line in parser.errors] == [
        "render terminating early:  received abort signal",
        "[kick] render aborted due to earlier errors",
    ]
    assert parser.files == ["C:/Users/blairs/untitled.arnold_rendersettings1.0049.exr"]
    assert not parser.fatal


def test_arnold_error_lines():
    # https://github.com/Autodesk/arnold-usd/issues/1875 (the same render at full verbosity)
    line = (
        "00:00:02   288MB ERROR   |  [texturesys] /materials/arnold_utility/image1: "
        "ImageInput::create() called with no filename"
    )
    assert _parse("arnold", line + "\n").errors == [line[len("00:00:02   ") :]]  # its time cut


def test_vray_missing_scene_is_fatal():
    # https://github.com/ynput/OpenPype/pull/5420 (V-Ray standalone on a farm)
    line = (
        '[2023/Aug/10|17:34:03] [91 MB] error: Error in file "vray_ropMain.0000.vrscene", '
        'line 0: No file "C:\\ProgramData\\Thinkbox\\Deadline10\\workers\\desktop-1u8vp0c\\'
        'jobsData\\64d4aec8dd322428409cb78c\\thread0_templbvO60\\vray_ropMain.0000.vrscene" exists'
    )
    parser = _parse("vray", line + "\n")
    assert parser.errors == [line] and parser.fatal


def test_karma_frames_and_progress_through_a_farm_wrapper():
    # https://github.com/aws-deadline/deadline-cloud-for-houdini/pull/141 (husk via an adaptor)
    text = (
        "2024/05/02 16:17:05-05:00 ADAPTOR_OUTPUT: STDOUT: 21:17:04  rop_usdrender frame 5\n"
        "2024/05/02 16:17:09-05:00 ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 0%\n"
        "2024/05/02 16:17:45-05:00 ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 17%\n"
    )
    parser = _parse("karma", text, 4, 7)
    assert (parser.frame, parser.frame_percent, parser.percent) == (1, 17, 29)


def test_alf_progress_without_a_percent_sign():
    # https://github.com/aws-deadline/deadline-cloud-samples/pull/135 (c4dtoa through a wrapper)
    line = "2025/09/15 17:16:32-07:00 ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 10.8333"
    assert _parse("mantra", line + "\n").percent == 10


def test_redshift_device_and_licence_errors():
    # https://github.com/aws-deadline/deadline-cloud-for-cinema-4d/pull/143 (Redshift in C4D)
    text = (
        "2025/01/09 18:23:49-06:00 ADAPTOR_OUTPUT: STDOUT: Rendering frame 150 at "
        "<Fri Jan 10 00:23:49 2025>\n"
        "2025/01/09 18:23:51-06:00 ADAPTOR_OUTPUT: STDOUT: Redshift Error: Skipped device "
        "Tesla T4 because kernel files are missing. Please deactivate the device or reinstall "
        "Redshift!\n"
    )
    parser = _parse("redshift", text, 149, 151)
    assert parser.frame == 1 and len(parser.errors) == 1 and not parser.fatal
    # https://github.com/aws-deadline/deadline-cloud-for-maya/pull/480 (Redshift in Maya)
    parser = _parse("redshift", "[Redshift] Maxon licensing error: no entitlement\n")
    assert parser.fatal


def test_renderman_licence_error_is_fatal():
    # https://github.com/prman-pixar/RenderManForBlender/issues/608
    text = (
        "R50005 {SEVERE}  License error - feature: RPS-24.0\n"
        "R50005 {CONTINUED} code -2: License was not issued for this host\n"
        "R50005 {CONTINUED} license source: C:/Program Files/Pixar/pixar.license\n"
    )
    parser = _parse("prman", text)
    assert parser.errors == ["R50005 {SEVERE}  License error - feature: RPS-24.0"]
    assert parser.fatal and parser.warnings == []


def test_karma_image_that_cannot_be_written():
    # https://github.com/ynput/ayon-houdini/issues/209 (husk through a farm's wrapper)
    text = (
        "2025-01-17 18:50:47:  0: STDOUT: [18:50:47] Unable to write to image: Z:\\!!!work_w_ayon"
        "\\test3\\render\\3D_render/__render__.1006.exr\n"
        "2025-01-17 18:50:47:  0: STDOUT:     Error:       Failed to create file "
        '"Z:\\!!!work_w_ayon\\test3\\render\\3D_render/__render__.1006.exr : No such file or '
        'directory".\n'
    )
    parser = _parse("karma", text)
    assert len(parser.errors) == 1 and "Unable to write to image" in parser.errors[0]
    assert not parser.fatal

"""Application parsers: the logic their fixture logs do not show on their own."""

from pathlib import Path

from app.parsers import get_parser

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def _parser(name: str, start: int = 0, end: int = 0):
    cls = get_parser(name)
    assert cls.name == name
    return cls(start, end)


# -- ffmpeg -----------------------------------------------------------------------------------


def test_ffmpeg_percent_from_time_over_duration():
    parser = _parser("ffmpeg")
    parser.feed("Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mov':\n")
    parser.feed("  Duration: 00:00:10.00, start: 0.000000, bitrate: 512 kb/s\n")
    parser.feed("  Stream #0:1[0x2](und): Audio: aac (LC), 48000 Hz, stereo, fltp\n")
    parser.feed("size=     100kB time=00:00:02.50 bitrate= 327.7kbits/s speed=5.01x    \r")
    assert parser.percent == 25
    parser.feed("size=     200kB time=00:00:07.00 bitrate= 327.7kbits/s speed=5.01x    \r")
    assert parser.percent == 70


def test_ffmpeg_percent_from_frames_of_the_input():
    parser = _parser("ffmpeg")
    parser.feed("  Duration: 00:00:04.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("  Stream #0:0: Video: png, rgb24(pc), 1280x720, 24 fps, 24 tbr, 24 tbn\n")
    parser.feed("frame=   48 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert parser.percent == 50
    assert parser.frame is None  # a one-frame task: no frame offsets


def test_ffmpeg_percent_and_frame_from_the_tasks_frames():
    parser = _parser("ffmpeg", 1001, 1100)
    parser.feed("frame=   25 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert (parser.percent, parser.frame) == (25, 24)


def test_ffmpeg_percent_never_goes_back():
    parser = _parser("ffmpeg")
    parser.feed("  Duration: 00:00:04.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("  Stream #0:0: Video: png, rgb24(pc), 1280x720, 24 fps, 24 tbr, 24 tbn\n")
    parser.feed("frame=   72 fps= 30 q=28.0 size=  0kB time=00:00:00.10 bitrate=N/A speed=0x\r")
    parser.feed("frame=   72 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert parser.percent == 75


def test_ffmpeg_recorded_sequence_progresses_on_the_way():
    text = (LOGS / "ffmpeg" / "sequence.log").read_text()
    parser = _parser("ffmpeg", 1, 96)
    seen = []
    for chunk in text.replace("\r", "\n").splitlines(keepends=True):
        parser.feed(chunk)
        if parser.progress_changed():
            seen.append(parser.percent)
    assert seen == sorted(seen)
    assert len(seen) > 10 and seen[-1] == 100


def test_ffmpeg_streams_of_the_output_are_not_inputs():
    parser = _parser("ffmpeg")
    parser.feed("Output #0, mp4, to '/out/a b.mp4':\n")
    parser.feed("  Duration: 00:00:01.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("frame=   10 fps=0.0 q=0.0 size=  0kB time=00:00:00.50 bitrate=N/A speed=0x\r")
    assert parser.files == ["/out/a b.mp4"]
    assert parser.percent is None


# -- registration -----------------------------------------------------------------------------


def test_application_parsers_are_registered_and_read_generic_markers():
    names = (
        "nuke",
        "natron",
        "afterfx",
        "c4d",
        "max",
        "fusion",
        "xsi",
        "xsi_arnold",
        "xsi_redshift",
        "ffmpeg",
    )
    for name in names:
        parser = _parser(name, 1, 4)
        parser.feed("PROGRESS: 40%\nFRAME: 3\n[ PARSER WARNING ] checked\n[ PARSER ERROR ] bad\n")
        assert (parser.percent, parser.frame) == (40, 2), name
        assert parser.warnings == ["[ PARSER WARNING ] checked"], name
        assert parser.errors == ["[ PARSER ERROR ] bad"], name


# -- after effects ----------------------------------------------------------------------------


def test_afterfx_without_frame_lines_is_not_a_bad_result():
    # some output modules report no frame at all (real logs: tests/fixtures/parser_corpus)
    parser = _parser("afterfx")
    parser.feed("PROGRESS:  Launching After Effects...\nPROGRESS:  Total Time Elapsed: 2 Seconds\n")
    parser.finish()
    assert not parser.bad_result
    assert parser.errors == []


def test_afterfx_render_log_frame_lines_without_progress_prefix():
    parser = _parser("afterfx", 0, 9)
    parser.feed("  0:00:00:04 (5): 0 Seconds\n")
    assert (parser.frame, parser.percent) == (4, 50)


def test_afterfx_frame_line_without_newline_counts_at_finish():
    parser = _parser("afterfx", 0, 1)
    parser.feed("PROGRESS:  0:00:00:00 (1): 0 Seconds\nPROGRESS:  0:00:00:01 (2): 1 Seconds")
    parser.finish()
    assert (parser.percent, parser.frame, parser.bad_result) == (100, 1, False)


def test_afterfx_frame_count_is_translated_to_the_tasks_frames():
    parser = _parser("afterfx", 10, 19)
    parser.feed("PROGRESS:  0:00:00:14 (5): 3 Seconds\n")
    assert (parser.frame, parser.percent) == (4, 50)


# -- nuke -------------------------------------------------------------------------------------


def test_nuke_movie_output_counts_frames_by_changing_file_names():
    parser = _parser("nuke", 1, 3)
    parser.feed("Writing /out/a.mov .1.2.3.4.5\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (0, 50, 16)
    parser.feed("Writing /out/b.mov took 1.5 seconds\n")
    assert (parser.frame, parser.percent) == (1, 66)
    assert parser.files == ["/out/b.mov"]


def test_nuke_file_number_outside_the_task_is_not_a_frame():
    parser = _parser("nuke", 1, 10)
    parser.feed("Frame 4 (4 of 10)\nWriting /out/plate_2048.exr took 0.2 seconds\n")
    assert parser.frame == 3


def test_nuke_missing_input_is_not_fatal_but_missing_script_is():
    parser = _parser("nuke")
    parser.feed("ERROR: Read1: /plates/a.0001.exr: No such file or directory\n")
    assert parser.errors and not parser.fatal
    parser.feed("/scripts/comp.nk: No such file or directory\n")
    assert parser.fatal


# -- xsi family, c4d, max, fusion -------------------------------------------------------------


def test_xsi_arnold_percent_of_the_current_frame():
    parser = _parser("xsi_arnold", 1, 4)
    parser.feed("' INFO : Rendering frame 3 (50.0% done)\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (2, 50, 62)
    parser.feed("00:00:05  602MB         |    20% done - 112 rays/pixel\n")
    assert (parser.frame, parser.frame_percent, parser.percent) == (2, 20, 55)


def test_xsi_redshift_blocks():
    parser = _parser("xsi_redshift")
    parser.feed("Rendering frame 0...\n\tBlock 3/12 (2,0) rendered by GPU 1 in 15ms\n")
    assert (parser.frame_percent, parser.percent) == (25, 25)


def test_c4d_output_path_error_is_a_warning_only():
    parser = _parser("c4d")
    parser.feed("Error: Output path not set, image will not be saved\n")
    assert parser.warnings and not parser.errors


def test_c4d_reads_c4dtoa_alf_progress_alone():
    # https://github.com/aws-deadline/deadline-cloud-samples/pull/135 (c4dtoa, Arnold for
    # Cinema 4D, through an adaptor): ALF_PROGRESS with a fraction and without a percent sign
    parser = _parser("c4d", 1, 1)
    parser.feed("2025/09/15 17:16:32-07:00 ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 79.5833\n")
    assert (parser.frame_percent, parser.percent) == (79, 79)
    parser.feed("2025/09/15 17:16:32-07:00 ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 80\n")
    assert (parser.frame_percent, parser.percent) == (80, 80)
    assert not parser.errors and not parser.warnings


def test_max_missing_external_files_is_a_warning_and_licence_fatal():
    parser = _parser("max")
    parser.feed("Error: Missing external files: C:\\tex\\a.tif\n")
    assert parser.warnings and not parser.errors
    parser.feed("Failed to get license\n")
    assert parser.errors and parser.fatal


def test_fusion_frame_without_count_uses_the_tasks_frames():
    parser = _parser("fusion", 1, 4)
    parser.feed("Rendered frame 2, took 0.5 secs\n")
    assert (parser.frame, parser.percent) == (1, 50)

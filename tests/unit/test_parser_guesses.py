"""The generic parser on programs it does not know: obvious errors and percentages found,
harmless lines left alone, whatever prefixes, colours and chunks the output comes in."""

from __future__ import annotations

import pytest

from app.parsers import get_parser
from app.parsers.base import clean_line
from app.parsers.generic import GenericParser
from app.parsers.guesses import is_error, percent_of

ERRORS = [
    "Error: Cannot read 'D:/tmp/renderman_for_blender/Trial\\images\\Scene.0001.exr' : No such "
    "file or directory",  # https://github.com/prman-pixar/RenderManForBlender/issues/352
    "ERROR: <'Export path [D:/tmp/renderman_for_blender/Trial\\\\images\\Scene.0001.exr] does not "
    "exist.',>",  # the same report
    # https://github.com/LuxCoreRender/LuxCore/issues/46 (LuxCore in Blender)
    "RuntimeError: Error while writing an output type in Film::Output(): "
    "e0594766-e2cf-4246-b4ba-84bb197a903c.png",
    "ERROR: Error while writing an output type in Film::Output(): "
    "e0594766-e2cf-4246-b4ba-84bb197a903c.png",
    # https://github.com/ynput/ayon-houdini/issues/209 (husk through a farm's wrapper)
    '2025-01-17 18:50:47:  0: STDOUT:     Error:       Failed to create file "Z:\\render\\'
    '__render__.1006.exr : No such file or directory".',
    "[2026-12-01 10:00:01] [ERROR] scene.bip: material 'Glass' has no texture",
    "2024/05/02 16:17:05-05:00 ADAPTOR_OUTPUT: STDOUT: Error reading scene file /p/s.bip",
    "0: STDOUT: Fatal error: out of disk space",
    "FATAL: could not initialise the renderer",
    "fatal: could not read the scene's header",
    "RENDER ERROR | frame 12 could not be written",
    "<Error> license server unreachable",
    "Traceback (most recent call last):",
    'ValueError: could not convert string to float: "abc"',
    "Segmentation fault (core dumped)",
    "Aborted (core dumped)",
    "received signal SIGSEGV",
    "terminate called after throwing an instance of 'std::runtime_error'",
    "CUDA error: out of memory",
    "Killed",
    "bash: line 1: 4242 Killed                  blender -b shot.blend -a",
    "bash: line 1: 4243 Segmentation fault      (core dumped) kick -i shot.ass",
    "Error: no camera in scene",
]
HARMLESS = [
    "Render finished: 0 errors, 2 warnings",
    "Render finished with no errors",
    "errors: 0",
    "Errors: none",
    "Errors: 0, warnings: 3",
    "error-correction: enabled (Reed-Solomon)",
    "Using error diffusion dithering",
    "Error correction code memory detected",
    "libGL error: No matching fbConfigs or visuals found",
    "libGL error: failed to load driver: swrast",
    'Xlib:  extension "GLX" missing on display ":99".',
    "Error: cannot open display: :0",
    "qt.qpa.xcb: could not connect to display",
    "ALSA lib confmisc.c:767:(parse_card) cannot find card '0'",
    "ALSA lib pcm.c:2664:(snd_pcm_open_noupdate) Unknown PCM default: error",
    "no error",
    "Loading errorhandler plugin",
    "[LuxCore][66.583] Noise estimation: Error mean = 0.0599061",  # LuxCore/LuxCore issue 481
    "[LuxCore][623.922] Outputting film: RGB_IMAGEPIPELINE.png type: 2",  # LuxCore issue 46
    "non-fatal: texture cache resized",
    "Ignoring 3 errors in optional plugins",
    "Compiling shader terror_mask.osl",
    "Killed 3 stale lock files",
    "fatal: not a git repository (or any of the parent directories): .git",
    "2026-07-28 18:13:12.122 [render info] Initializing effect at frame 8701",
]


@pytest.mark.parametrize("line", ERRORS)
def test_obvious_errors(line):
    assert is_error(line)
    parser = _parse(line + "\n")
    assert parser.errors == [clean_line(line).strip()] and not parser.fatal  # without prefixes


@pytest.mark.parametrize("line", HARMLESS)
def test_harmless_lines_are_not_errors(line):
    assert not is_error(line)
    assert _parse(line + "\n").errors == []


PERCENTS = [
    # https://github.com/LuxCoreRender/LuxCore/issues/481 (luxcoreconsole)
    ("[Elapsed time:  30/0sec][Samples    7/50][Convergence 12.5%][Avg. samples/sec  0.35M]", 12),
    ("Rendering: 45%", 45),
    ("Progress: 45.5 %", 45),
    ("[12:00:01] 67% done", 67),
    (" 45%|████████▌          | 45/100 [00:01<00:02, 41.20it/s]", 45),
    ("[=========>          ] 50%", 50),
    ("0: STDOUT: 80%", 80),
    ("Saving image 100%", 100),
    ("\x1b[32mRendering frame 3: 30%\x1b[0m", 30),
]
NOT_PERCENTS = [
    "CPU usage 85%",
    "Memory: 72% used",
    "GPU 0: 99% utilization",
    "Noise threshold 5%",
    "JPEG quality 90%",
    "Scale 150%",
    "Disk 93% full",
    "Loaded 120% of the expected textures",
    "discount of 20% applies",
]


@pytest.mark.parametrize(("line", "percent"), PERCENTS)
def test_progress_percentages(line, percent):
    assert _parse(line + "\n").percent == percent


@pytest.mark.parametrize("line", NOT_PERCENTS)
def test_percentages_of_other_things(line):
    assert percent_of(line) is None
    assert _parse(line + "\n").percent is None


def test_an_error_line_with_a_percent_is_an_error_only():
    parser = _parse("45% done\nError: render failed at 50% done\n")
    assert parser.percent == 45 and len(parser.errors) == 1


def test_corral_and_openjd_markers_keep_their_meaning():
    parser = _parse("PROGRESS: 40%\n[ PARSER WARNING ] error: odd\nopenjd_progress: 55\n")
    assert parser.percent == 55 and parser.errors == []
    assert parser.warnings == ["[ PARSER WARNING ] error: odd"]
    assert _parse("openjd_progress: 55\n60% done\n").percent == 60
    assert _parse("60% done\nPROGRESS: 20%\n").percent == 20


LOG = (
    "KeyShot 2024.1 headless\n"
    "libGL error: failed to load driver: swrast\n"
    "Loading scene /p/car.bip\n"
    "Rendering: 10%\n"
    "\x1b[33mCPU usage 99%\x1b[0m\n"
    "Rendering: 55%\n"
    "[ PARSER WARNING ] low memory\n"
    "FRAME: 12\n"
    "Render finished: 0 errors\n"
    "2026-12-01 10:00:09 [ERROR] could not write /out/car.0012.png\n"
    "Rendering: 90%\n"
    "@IMAGE@/out/car.0012.png\n"
    "ACTIVITY: writing\n"
    "Memory: 80% used"
)


@pytest.mark.parametrize("size", [1, 7, 64, len(LOG)])
def test_results_do_not_depend_on_chunks(size):
    parser = GenericParser(10, 20)
    for at in range(0, len(LOG), size):
        parser.feed(LOG[at : at + size])
    parser.finish()
    assert (parser.percent, parser.frame, parser.activity) == (90, 2, "writing")
    assert parser.errors == ["[ERROR] could not write /out/car.0012.png"]  # its time cut
    assert parser.warnings == ["[ PARSER WARNING ] low memory"]
    assert parser.files == ["/out/car.0012.png"]


def test_parsers_that_read_lines_of_their_own_do_not_guess():
    class Renamed(GenericParser):  # e.g. a probe of the monitor's output window
        pass

    class Own(GenericParser):
        def parse_line(self, line: str) -> None:
            super().parse_line(line)

    assert get_parser("generic").guesses and get_parser("").guesses
    text = "Error: something\nRendering: 50%\n"
    assert (_parse(text, Renamed).errors, _parse(text, Renamed).percent) == (
        ["Error: something"],
        50,
    )
    for cls in (Own, *(get_parser(name) for name in ("arnold", "mantra", "ffmpeg"))):
        parser = _parse(text, cls)
        assert parser.errors == [] and parser.percent is None, cls.name


def _parse(text: str, cls: type[GenericParser] = GenericParser) -> GenericParser:
    parser = cls()
    parser.feed(text)
    parser.finish()
    return parser

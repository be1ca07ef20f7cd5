"""The service base class: quoting for both platforms' shells, the task of an assignment, the
render side's command, files and thumbnails."""

from __future__ import annotations

import shlex
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.path_maps import PathMap
from app.services import base
from app.services.base import (
    ApplicationService,
    Service,
    TaskInfo,
    join,
    programs_named,
    quote,
    split,
    split_program,
)

# -- quoting -------------------------------------------------------------------------------------

PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=20)


@given(st.lists(PRINTABLE, max_size=6))
def test_posix_round_trip(args):
    assert split(join(args, "linux"), "linux") == args
    assert join(args, "darwin") == join(args, "linux")


@given(st.lists(PRINTABLE, max_size=6))
def test_windows_round_trip(args):
    assert split(join(args, "windows"), "windows") == args


@pytest.mark.parametrize(
    "arg, quoted",
    [
        ("plain", "plain"),
        ("C:\\Projects\\scene.mb", "C:\\Projects\\scene.mb"),  # backslashes alone stay
        ("C:\\Projects\\Shot 010\\scene.mb", '"C:\\Projects\\Shot 010\\scene.mb"'),
        ("", '""'),
        ("a&b", '"a&b"'),
        ("100%", '"100%"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\out dir\\", '"C:\\out dir\\\\"'),  # the trailing backslash is doubled
        ("C:\\out dir\\\\", '"C:\\out dir\\\\\\\\"'),
        ('a\\"b', '"a\\\\\\"b"'),  # a backslash before a quote: 2n+1 then the quote
    ],
)
def test_windows_quote(arg, quoted):
    assert quote(arg, "windows") == quoted
    assert split(quoted, "windows") == [arg]


def test_windows_split_follows_the_c_runtime():
    # what CommandLineToArgvW gives for these (its documented examples)
    assert split('"abc" d e', "windows") == ["abc", "d", "e"]
    assert split('a\\\\\\b d"e f"g h', "windows") == ["a\\\\\\b", "de fg", "h"]
    assert split('a\\\\\\"b c d', "windows") == ['a\\"b', "c", "d"]
    assert split('a\\\\\\\\"b c" d e', "windows") == ["a\\\\b c", "d", "e"]
    assert split("  a\t b  ", "windows") == ["a", "b"]
    with pytest.raises(ValueError, match="closing"):
        split('"open', "windows")


def test_posix_quote_and_split():
    assert quote("/projects/shot 010/a.mb", "linux") == "'/projects/shot 010/a.mb'"
    assert quote("it's", "linux") == shlex.quote("it's")
    with pytest.raises(ValueError):
        split("'open", "linux")


def test_split_program():
    assert split_program("Render -r file a.mb") == ("Render", " -r file a.mb")
    assert split_program('  "C:\\Program Files\\x.exe" -a "b c"') == (
        "C:\\Program Files\\x.exe",
        ' -a "b c"',
    )
    assert split_program("'/opt/my app/run' x") == ("/opt/my app/run", " x")
    assert split_program("   ") == ("", "")


# -- the task of an assignment -------------------------------------------------------------------


def test_from_assignment_defaults_and_values():
    task = TaskInfo.from_assignment({"command": "echo"})
    assert task == TaskInfo(command="echo")
    task = TaskInfo.from_assignment(
        {
            "command": "run",
            "working_directory": "/w",
            "environment": {"A": "1"},
            "files": ["a.exr", "b.exr"],
            "frame_start": 5,
            "frames_inc": 0,
            "capacity_coeff": 3,
            "parser": "nuke",
            "skip_existing_files": True,
            "file_size_min": 10,
            "service": None,  # null is the default
        }
    )
    assert task.files == ("a.exr", "b.exr")
    assert task.frame_end == 5  # defaults to frame_start
    assert task.frames_inc == 1  # at least 1
    assert task.service == "generic"
    assert task.skip_existing_files and task.file_size_min == 10


@pytest.mark.parametrize(
    "fields, field",
    [
        ({}, "command"),
        ({"command": 5}, "command"),
        ({"command": "x", "frame_start": "1"}, "frame_start"),
        ({"command": "x", "frame_start": True}, "frame_start"),
        ({"command": "x", "frame_start": 1.5}, "frame_start"),
        ({"command": "x", "skip_existing_files": 1}, "skip_existing_files"),
        ({"command": "x", "environment": ["A=1"]}, "environment"),
        ({"command": "x", "environment": {"A": 1}}, "environment"),
        ({"command": "x", "files": "a.exr"}, "files"),
        ({"command": "x", "files": ["a", 2]}, "files"),
        ({"command": "x", "frame_start": 5, "frame_end": 4}, "frame_end"),
        ({"command": "x", "working_directory": ["/w"]}, "working_directory"),
    ],
)
def test_from_assignment_rejects(fields, field):
    with pytest.raises(ValueError, match=field):
        TaskInfo.from_assignment(fields)


def test_from_assignment_rejects_a_non_object():
    with pytest.raises(ValueError, match="object"):
        TaskInfo.from_assignment(["command", "x"])  # type: ignore[arg-type]


# -- the submit side -----------------------------------------------------------------------------


class _Tool(ApplicationService):
    """A made-up application for the base class's submit side."""

    name = "tool"
    programs = programs_named("tool")
    options = {"step": "the step", "verbosity": "0-3", "quiet": "yes or no"}
    scene_kind = "the scene (.tl)"
    output_refused = "the scene names its images: give no output"
    runs_on = ("windows", "darwin")
    application = "Tool"

    @classmethod
    def batch_args(cls, scene, output, platform, options):
        args = [cls.program(platform), "-s", "@#@", scene]
        args += ["-j", str(cls.int_option(options, "step", 1))]
        args += ["-v", str(cls.int_option(options, "verbosity", 2, minimum=0, maximum=3))]
        return args + (["-q"] if cls.flag_option(options, "quiet") else [])


def test_programs_named():
    assert programs_named("kick") == {"linux": "kick", "windows": "kick.exe", "macos": "kick"}
    assert programs_named("nuke", "Nuke.exe") == {
        "linux": "nuke",
        "windows": "Nuke.exe",
        "macos": "nuke",
    }
    assert programs_named("a", "b.bat", "c")["macos"] == "c"


def test_application_service_template():
    assert _Tool.batch_command("C:\\a b.tl", platform="windows") == (
        'tool.exe -s @#@ "C:\\a b.tl" -j 1 -v 2'
    )
    assert _Tool.batch_command("/a.tl", "", "darwin", step="3", verbosity="0", quiet="yes") == (
        "tool -s '@#@' /a.tl -j 3 -v 0 -q"
    )
    with pytest.raises(ValueError, match="unknown option 'x'"):
        _Tool.batch_command("/a.tl", platform="darwin", x="1")
    with pytest.raises(ValueError, match="service tool: Tool runs only on Windows and macOS"):
        _Tool.batch_command("/a.tl", platform="linux")
    with pytest.raises(ValueError, match=r"service tool: the scene \(\.tl\) is required"):
        _Tool.batch_command("", platform="darwin")
    with pytest.raises(ValueError, match="service tool: the scene names its images"):
        _Tool.batch_command("/a.tl", "/o/f.exr", "darwin")


class _OldSpelling(_Tool):
    """A studio service written when the macOS family was spelled darwin."""

    name = "old_tool"
    programs = {"windows": "old.exe", "darwin": "/Apps/Old"}
    runs_on = ("windows", "darwin")


def test_platform_spellings_name_one_os_family():
    for platform in ("macos", "darwin", "macosx"):
        assert _OldSpelling.batch_command("/a.tl", platform=platform).startswith("/Apps/Old ")
        assert _Tool.batch_command("/a.tl", platform=platform).startswith("tool ")
    with pytest.raises(ValueError, match="runs only on Windows and macOS"):
        _OldSpelling.batch_command("/a.tl", platform="linux")
    with pytest.raises(ValueError, match="platform must be one of linux, windows, macos"):
        _Tool.batch_command("/a.tl", platform="beos")
    assert Service(TaskInfo(command="x"), platform="darwin").platform == "macos"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"step": "two"}, "service tool: step must be an integer, not 'two'"),
        ({"step": "0"}, "service tool: step must be at least 1, not 0"),
        ({"verbosity": "4"}, "service tool: verbosity must be 0 to 3, not 4"),
        ({"verbosity": "-1"}, "service tool: verbosity must be 0 to 3, not -1"),
        ({"quiet": "maybe"}, "service tool: quiet must be yes or no, not 'maybe'"),
    ],
)
def test_option_helpers_name_the_service_and_option(options, message):
    with pytest.raises(ValueError) as error:
        _Tool.batch_command("/a.tl", platform="darwin", **options)
    assert str(error.value) == message


def test_option_helpers_accept_flag_words():
    for word in ("1", "true", "YES", " on "):
        assert _Tool.flag_option({"quiet": word}, "quiet") is True
    for word in ("", "0", "false", "No", "off"):
        assert _Tool.flag_option({"quiet": word}, "quiet") is False
    assert _Tool.flag_option({}, "quiet") is False
    assert _Tool.int_option({}, "step", 7) == 7


def test_generic_service_writes_its_command_as_it_is():
    assert Service.batch_command(command="render -s @#@ 'a b' > log") == (
        "render -s @#@ 'a b' > log"
    )
    with pytest.raises(ValueError, match="command"):
        Service.batch_command()
    with pytest.raises(NotImplementedError):
        ApplicationService.batch_args("", "", "linux", {})


# -- the render side -----------------------------------------------------------------------------


def test_command_capacity_path_map_and_program():
    task = TaskInfo(
        command="render -threads @AF_CAPACITY@ -o /projects/out/f.exr '/projects/a b/s.ma'",
        capacity_coeff=4,
    )
    path_map = PathMap.parse("/projects=/mnt/projects", "linux")
    service = Service(task, path_map=path_map, programs={"render": "/opt/r 1/render"})
    assert service.command() == (
        "/opt/r 1/render -threads 4 -o /mnt/projects/out/f.exr '/mnt/projects/a b/s.ma'"
    )
    # without maps the line is the task's
    assert Service(TaskInfo(command="render -t @AF_CAPACITY@")).command() == "render -t 1"


def test_af_hosts_is_filled_with_a_multihost_tasks_hosts():
    task = TaskInfo.from_assignment({"command": "mpirun -H @AF_HOSTS@ x", "hosts": ["r2", "r3"]})
    assert Service(task).command() == "mpirun -H r2 r3 x"
    assert Service(TaskInfo(command="echo @AF_HOSTS@")).command() == "echo @AF_HOSTS@"
    with pytest.raises(ValueError, match="task.hosts"):
        TaskInfo.from_assignment({"command": "x", "hosts": [1]})


@pytest.mark.parametrize(
    "command, programs, expected",
    [
        ("Render -r file a.mb", {"Render": "/maya/bin/Render"}, "/maya/bin/Render -r file a.mb"),
        ("Render.exe -s 1", {"Render": "D:\\Maya\\Render.exe"}, "D:\\Maya\\Render.exe -s 1"),
        ("Render.exe -s 1", {"Render.exe": "R.exe"}, "R.exe -s 1"),
        ('"C:\\Program Files\\Maya\\bin\\Render.exe"  -x  "a b"', {"Render": "R"}, 'R  -x  "a b"'),
        (
            "/usr/bin/nuke -x a.nk",
            {"nuke": "/opt/Nuke15.1/Nuke15.1"},
            "/opt/Nuke15.1/Nuke15.1 -x a.nk",
        ),
        ("nuke -x a.nk", {"maya": "x"}, "nuke -x a.nk"),
        ("nuke -x a.nk", {}, "nuke -x a.nk"),
    ],
)
def test_map_program_keeps_the_rest_of_the_line(command, programs, expected):
    assert Service(TaskInfo(command=command), programs=programs).map_program(command) == expected


def test_environment_working_directory_and_files_are_mapped():
    task = TaskInfo(
        command="x",
        working_directory="P:/shows/a",
        environment={"OCIO": "P:/shows/ocio/config.ocio", "N": "1"},
        files=("P:/shows/a/f.0001.exr", "rel/f.0001.exr"),
    )
    service = Service(task, path_map=PathMap.parse("P:/shows=/mnt/shows", "linux"))
    assert service.working_directory() == "/mnt/shows/a"
    assert service.environment() == {"OCIO": "/mnt/shows/ocio/config.ocio", "N": "1"}
    assert service.files() == ["/mnt/shows/a/f.0001.exr", "/mnt/shows/a/rel/f.0001.exr"]
    assert Service(TaskInfo(command="x", environment={"A": "b"})).environment() == {"A": "b"}


def test_exit_status_and_parser():
    service = Service(TaskInfo(command="x"))
    assert service.check_exit_status(0) and not service.check_exit_status(1)
    assert service.parser_name() == "generic"
    assert Service(TaskInfo(command="x", parser="nuke")).parser_name() == "nuke"


def _files(tmp_path: Path, sizes: list[int]) -> list[str]:
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"f.{i:04d}.exr"
        path.write_bytes(b"x" * size)
        paths.append(str(path))
    return paths


def _task_with(files, **fields) -> TaskInfo:
    return TaskInfo(command="x", files=tuple(files), **fields)


def test_skip_reason(tmp_path):
    files = _files(tmp_path, [10, 20, 30])
    task = _task_with(files, skip_existing_files=True, file_size_min=10, file_size_max=30)
    assert Service(task).skip_reason() == "all 3 output files exist"
    # not asked for
    assert Service(_task_with(files)).skip_reason() is None
    # one missing, one too small, one too large, or no files at all
    missing = [*files, str(tmp_path / "gone.exr")]
    assert Service(_task_with(missing, skip_existing_files=True)).skip_reason() is None
    small = _task_with(files, skip_existing_files=True, file_size_min=11)
    assert Service(small).skip_reason() is None
    large = _task_with(files, skip_existing_files=True, file_size_max=29)
    assert Service(large).skip_reason() is None
    assert Service(_task_with([], skip_existing_files=True)).skip_reason() is None


def test_skip_reason_relative_to_the_working_directory(tmp_path):
    _files(tmp_path, [5])
    task = TaskInfo(
        command="x",
        working_directory=str(tmp_path),
        files=("f.0000.exr",),
        skip_existing_files=True,
    )
    assert Service(task).skip_reason() == "all 1 output files exist"


def test_rendered_files_error(tmp_path):
    files = _files(tmp_path, [100, 200])
    ok = _task_with(files, check_rendered_files=True, file_size_min=50)
    assert Service(ok).rendered_files_error() is None
    assert Service(_task_with([str(tmp_path / "no.exr")])).rendered_files_error() is None
    missing = _task_with([*files, str(tmp_path / "no.exr")], check_rendered_files=True)
    assert Service(missing).rendered_files_error() == f"rendered file {tmp_path}/no.exr is missing"
    small = _task_with(files, check_rendered_files=True, file_size_min=150)
    assert "below file_size_min 150" in Service(small).rendered_files_error()
    large = _task_with(files, check_rendered_files=True, file_size_max=150)
    assert "above file_size_max 150" in Service(large).rendered_files_error()
    # without block files: those the output reported, relative to the working directory
    reported = TaskInfo(command="x", working_directory=str(tmp_path), check_rendered_files=True)
    assert Service(reported).rendered_files_error(["f.0000.exr"]) is None
    assert "missing" in Service(reported).rendered_files_error(["nope.exr"])
    assert "names no files" in Service(reported).rendered_files_error()


# -- thumbnails ----------------------------------------------------------------------------------


def _which(available: set[str]):
    return lambda name: f"/usr/bin/{name}" if name in available else None


@pytest.mark.parametrize(
    "available, image, expected",
    [
        (
            {"magick", "convert", "ffmpeg"},
            "/r/f.png",
            ["/usr/bin/magick", "/r/f.png[0]", "-thumbnail", "x100", "/t/th.jpg"],
        ),
        (
            {"convert", "ffmpeg"},
            "/r/f.0001.exr",
            [
                "/usr/bin/convert",
                "/r/f.0001.exr[0]",
                "-set",
                "colorspace",
                "RGB",
                "-thumbnail",
                "x100",
                "/t/th.jpg",
            ],
        ),
        (
            {"convert"},
            "/r/f.0001.DPX",
            [
                "/usr/bin/convert",
                "/r/f.0001.DPX[0]",
                "-set",
                "colorspace",
                "Log",
                "-thumbnail",
                "x100",
                "/t/th.jpg",
            ],
        ),
        (
            {"ffmpeg"},
            "/r/f.tif",
            [
                "/usr/bin/ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                "/r/f.tif",
                "-vf",
                "scale=-2:100",
                "-frames:v",
                "1",
                "/t/th.jpg",
            ],
        ),
        (set(), "/r/f.png", None),
        ({"convert"}, "/r/f.mov", None),  # not an image
        ({"convert"}, "/r/noext", None),
    ],
)
def test_thumbnail_command_choice(monkeypatch, available, image, expected):
    monkeypatch.setattr(base.shutil, "which", _which(available))
    assert Service(TaskInfo(command="x")).thumbnail_command(image, "/t/th.jpg") == expected


def test_no_thumbnail_when_skipped(monkeypatch):
    monkeypatch.setattr(base.shutil, "which", _which({"convert"}))
    task = TaskInfo(command="x", skip_thumbnails=True)
    assert Service(task).thumbnail_command("/r/f.png", "/t/th.jpg") is None


def _png(path: Path, width: int = 40, height: int = 30) -> None:
    """A small RGB PNG, written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 6 % 256, y * 8 % 256, 128)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TOOLS = [
    pytest.param({"magick", "convert"}, id="imagemagick"),
    pytest.param({"ffmpeg"}, id="ffmpeg"),
]


@pytest.mark.parametrize("only", TOOLS)
def test_real_thumbnail(tmp_path, monkeypatch, only):
    if not any(shutil.which(tool) for tool in only):
        pytest.skip(f"none of {sorted(only)} is installed")
    real_which = shutil.which
    monkeypatch.setattr(base.shutil, "which", lambda n: real_which(n) if n in only else None)
    image, thumbnail = tmp_path / "f.0001.png", tmp_path / "thumb.jpg"
    _png(image)
    command = Service(TaskInfo(command="x")).thumbnail_command(str(image), str(thumbnail))
    assert command is not None
    done = subprocess.run(command, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = thumbnail.read_bytes()
    assert data[:3] == b"\xff\xd8\xff"  # a JPEG
    assert _jpeg_size(data) == (pytest.approx(133, abs=1), 100)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no frame marker")

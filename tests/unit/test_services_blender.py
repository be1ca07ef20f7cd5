"""The blender service: batch command lines, the progress script, the bpy runner's arguments."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from app.services import blender as blender_module
from app.services.base import TaskInfo, join, split
from app.services.blender import BPY_RUNNER, PROGRESS_SCRIPT, BlenderService
from app.services.registry import get_service


def load_runner():
    spec = importlib.util.spec_from_file_location("corral_bpy_runner_test", BPY_RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def service(command: str, programs: dict | None = None, platform: str = "linux"):
    return BlenderService(TaskInfo(command=command), programs=programs, platform=platform)


@pytest.fixture
def installed(monkeypatch):
    """Blender is on PATH; bpy is not importable."""
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: "/usr/bin/" + program)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: None)


def test_registered_under_its_name():
    assert get_service("blender") is BlenderService
    assert BlenderService.parser == "blender"


def test_batch_command_linux_with_spaces():
    command = BlenderService.batch_command(
        "/my scenes/shot 1.blend", output="/out dir/f_####", engine="CYCLES", format="png"
    )
    assert command == (
        "blender -b '/my scenes/shot 1.blend' -E CYCLES -o '/out dir/f_####' -F PNG "
        "-s @#@ -e @#@ -a"
    )


def test_batch_command_all_options_in_blender_order():
    command = BlenderService.batch_command(
        "/s.blend",
        output="/o/f_####",
        engine="BLENDER_EEVEE",
        format="OPEN_EXR",
        step="2",
        threads="4",
        scene_name="Shot A",
        python="/tools/pre.py",
    )
    assert command == (
        "blender -b /s.blend -P /tools/pre.py -S 'Shot A' -E BLENDER_EEVEE -o '/o/f_####' "
        "-F OPEN_EXR -t 4 -s @#@ -e @#@ -j 2 -a"
    )
    args = split(command, "linux")
    assert args[-1] == "-a" and args.index("-o") < args.index("-s") < args.index("-a")


def test_batch_command_windows_and_darwin():
    command = BlenderService.batch_command(
        r"C:\my scenes\shot.blend",
        output=r"D:\out dir\f_####",
        platform="windows",
        format="PNG",
        scene_name="Scene",
    )
    assert command == (
        r'blender.exe -b "C:\my scenes\shot.blend" -S Scene -o "D:\out dir\f_####" -F PNG '
        "-s @#@ -e @#@ -a"
    )
    mac = BlenderService.batch_command("/s.blend", output="/o/f_####", platform="darwin")
    assert mac.startswith("/Applications/Blender.app/Contents/MacOS/Blender -b /s.blend -o ")


def test_frames_are_filled_by_the_server_pattern():
    command = BlenderService.batch_command("/s.blend", output="/o/f_####")
    assert command.count("@#@") == 2 and "'@#@'" not in command


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "red"}, "unknown option 'colour'"),
        ({"format": "GIFF"}, "unknown format 'GIFF'"),
        ({"engine": "CYCLES; rm -rf /"}, "not an engine name"),
        ({"step": "0"}, "step must be at least 1"),
        ({"step": "two"}, "step must be an integer"),
        ({"threads": "-1"}, "threads must be at least 0"),
    ],
)
def test_option_errors(options, message):
    with pytest.raises(ValueError, match=message):
        BlenderService.batch_command("/s.blend", output="/o/f_####", **options)


def test_scene_and_platform_are_checked():
    with pytest.raises(ValueError, match="needs a scene"):
        BlenderService.batch_command("", output="/o/f_####")
    with pytest.raises(ValueError, match="platform must be"):
        BlenderService.batch_command("/s.blend", platform="amiga")


def test_progress_script_goes_right_after_the_blend_file(installed):
    command = "blender -b '/my scenes/s.blend' -E CYCLES -o /o/f_#### -s 1 -e 2 -a"
    args = split(service(command).command(), "linux")
    assert args == [
        "blender",
        "-b",
        "/my scenes/s.blend",
        "-P",
        PROGRESS_SCRIPT,
        "-E",
        "CYCLES",
        "-o",
        "/o/f_####",
        "-s",
        "1",
        "-e",
        "2",
        "-a",
    ]


def test_progress_script_with_a_user_script_and_no_file(installed):
    args = split(service("blender -b /s.blend -P /pre.py -a").command(), "linux")
    assert args[:5] == ["blender", "-b", "/s.blend", "-P", PROGRESS_SCRIPT]
    assert args[5:] == ["-P", "/pre.py", "-a"]
    args = split(service("blender -b -a").command(), "linux")
    assert args == ["blender", "-b", "-P", PROGRESS_SCRIPT, "-a"]


def test_progress_script_is_added_once(installed):
    once = service("blender -b /s.blend -a").command()
    assert service(once).command() == once


def test_windows_command_keeps_its_quoting(installed):
    command = r'blender.exe -b "C:\my scenes\s.blend" -o "D:\out dir\f_####" -s 1 -e 1 -a'
    result = service(command, platform="windows").command()
    args = split(result, "windows")
    assert args[:5] == ["blender.exe", "-b", r"C:\my scenes\s.blend", "-P", PROGRESS_SCRIPT]
    assert args[5:7] == ["-o", r"D:\out dir\f_####"]


def test_mapped_program_gets_the_progress_script(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: None)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: object())
    result = service("blender -b /s.blend -a", programs={"blender": "/opt/b5/blender"}).command()
    assert split(result, "linux") == [
        "/opt/b5/blender",
        "-b",
        "/s.blend",
        "-P",
        PROGRESS_SCRIPT,
        "-a",
    ]


def test_bpy_runner_when_blender_is_missing_and_bpy_is_there(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: None)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: object())
    result = service("blender -b '/a b/s.blend' -o /o/f_#### -s 3 -e 4 -a").command()
    assert split(result, "linux") == [
        sys.executable,
        BPY_RUNNER,
        "-b",
        "/a b/s.blend",
        "-o",
        "/o/f_####",
        "-s",
        "3",
        "-e",
        "4",
        "-a",
    ]


def test_no_bpy_runner_without_bpy(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: None)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: None)
    args = split(service("blender -b /s.blend -a").command(), "linux")
    assert args[0] == "blender" and PROGRESS_SCRIPT in args


def test_no_bpy_runner_when_blender_is_installed(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: "/usr/bin/blender")
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: object())
    assert split(service("blender -b /s.blend -a").command(), "linux")[0] == "blender"


def test_no_bpy_runner_for_another_program(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: None)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: object())
    args = split(service("/studio/blender-wrapper -b /s.blend -a").command(), "linux")
    assert args[0] == "/studio/blender-wrapper"


def test_runner_parses_blender_arguments_in_order(tmp_path):
    runner = load_runner()
    scene = tmp_path / "s.blend"
    scene.write_bytes(b"BLENDER")
    script = tmp_path / "pre.py"
    script.write_text("")
    actions = runner.parse_args(
        [
            "-b",
            str(scene),
            "-P",
            str(script),
            "-S",
            "Shot",
            "-E",
            "CYCLES",
            "-o",
            "/o/f_####",
            "-F",
            "EXR",
            "-t",
            "2",
            "-s",
            "1",
            "-e",
            "6",
            "-j",
            "2",
            "-a",
            "-f",
            "1,3..4,+1,-2",
            "--",
            "-x",
        ]
    )
    assert actions == [
        ("background", None),
        ("file", str(scene)),
        ("python", str(script)),
        ("scene", "Shot"),
        ("engine", "CYCLES"),
        ("output", "/o/f_####"),
        ("format", "OPEN_EXR"),
        ("threads", 2),
        ("start", 1),
        ("end", 6),
        ("step", 2),
        ("animation", None),
        ("frames", [("abs", 1, 1), ("abs", 3, 4), ("start", 1, 1), ("end", 2, 2)]),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-b", "MISSING", "-a"], 'Error: Cannot read file ".*MISSING": No such file or directory'),
        (["-b", "SCENE", "-x", "-a"], 'Error: unknown argument "-x"'),
        (["-b", "SCENE", "-s"], "Error: -s needs a value"),
        (["-b", "SCENE", "-s", "one"], 'Error: -s needs a number, not "one"'),
        (["-b", "SCENE", "-j", "0"], "Error: -j must be at least 1"),
        (["-b", "SCENE", "-F", "GIFF"], 'Error: format "GIFF"'),
        (["-b", "SCENE", "-f", "5..2"], 'Error: bad frame list "5..2"'),
        (["-b", "SCENE", "-P", "MISSING"], "Error: Cannot read Python script"),
    ],
)
def test_runner_argument_errors(tmp_path, argv, message):
    runner = load_runner()
    scene = tmp_path / "s.blend"
    scene.write_bytes(b"BLENDER")
    argv = [str(scene) if arg == "SCENE" else arg for arg in argv]
    with pytest.raises(runner.ArgumentError, match=message):
        runner.parse_args(argv)


def test_runner_main_prints_the_error_and_exits_1(tmp_path, capsys):
    runner = load_runner()
    assert runner.main(["-b", str(tmp_path / "none.blend"), "-a"]) == 1
    out = capsys.readouterr().out
    assert out.startswith('Error: Cannot read file "') and "none.blend" in out
    assert runner.main([]) == 1
    assert "Error: nothing to do" in capsys.readouterr().out


def test_runner_imports_bpy_only_to_render():
    with open(BPY_RUNNER) as source:
        head = source.read().split("def main", 1)[0]
    assert "\nimport bpy" not in head


def test_the_rest_of_the_line_is_kept_as_written(installed):
    command = 'blender -b "$SHOTS/a b.blend" -o \'/o/f_####\' -s 1 -e 2 -a && echo "$HOME" ok'
    at = len('blender -b "$SHOTS/a b.blend"')
    script = join(["-P", PROGRESS_SCRIPT], "linux")
    assert service(command).command() == f"{command[:at]} {script}{command[at:]}"


def test_bpy_runner_keeps_the_rest_of_the_line(monkeypatch):
    monkeypatch.setattr(blender_module.shutil, "which", lambda program: None)
    monkeypatch.setattr(blender_module.importlib.util, "find_spec", lambda name: object())
    command = 'blender -b "$SHOTS/s.blend" -s 1 -e 2 -a > log.txt'
    result = service(command).command()
    assert result.endswith(' -b "$SHOTS/s.blend" -s 1 -e 2 -a > log.txt')
    assert split(result, "linux")[:2] == [sys.executable, BPY_RUNNER]


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ('a \'b c\' "d \\"e\\" $f" g\\ h', ["a", "b c", 'd "e" $f', "g h"]),
        ("a 'x\\y'  b", ["a", "x\\y", "b"]),
        ("end\\", ["end\\"]),
    ],
)
def test_words_of_a_sh_line(command, words):
    assert [word for word, _, _ in blender_module._words(command, "linux")] == words


def test_words_of_a_cmd_line_and_broken_quotes(installed):
    words = blender_module._words(r'"C:\Program Files\b.exe" -b "C:\a b\s.blend"', "windows")
    assert [word for word, _, _ in words] == [r"C:\Program Files\b.exe", "-b", r"C:\a b\s.blend"]
    with pytest.raises(ValueError):
        blender_module._words("blender -b 'open", "linux")
    assert service("blender -b 'open -a").command() == "blender -b 'open -a"

"""``corral parse SERVICE FILE``: a service's parser over a saved log, its report and exit
status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.parsers import load_parsers

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "fixtures" / "logs"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["parse", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_failed_render_exits_1_with_what_the_parser_found(capsys):
    log = LOGS / "arnold" / "kick_frames.log"
    code, out, _ = _run(capsys, "arnold", str(log), "--frames", "1-2", "--json")
    report = json.loads(out)
    assert code == 1
    assert report["verdict"] == "failed" and report["problem"].startswith("error in output: ")
    assert (report["parser"], report["percent"], report["frame"], report["frames"]) == (
        "arnold",
        75,
        2,
        2,
    )
    assert report["files"] == ["/renders/sh010/beauty.0001.exr"]
    assert report["resources"] == {"mem_peak_mb": 712.45}
    assert report["errors"] == ["701MB         | received signal SIGSEGV"]  # its time cut


def test_a_good_render_exits_0_and_reads_as_text(capsys):
    log = LOGS / "blender" / "cycles_frames.log"
    code, out, _ = _run(capsys, "blender", str(log), "--frames", "1-3")
    assert code == 0, out
    fields = [line for line in out.splitlines() if line[:1].isalpha() and line[-1] != ":"]
    lines = dict(line.split(None, 1) for line in fields)
    assert (lines["verdict"], lines["percent"], lines["errors"]) == ("ok", "100", "0")
    assert lines["frame"].startswith("3 ")


def test_parser_override_and_standard_input(tmp_path):
    log = tmp_path / "keyshot.log"
    log.write_bytes(b"Rendering: 40%\n\xff\xfe broken bytes\nError: no camera in scene\n")
    done = subprocess.run(
        [sys.executable, "-m", "app", "parse", "arnold", "-", "--parser", "generic", "--json"],
        stdin=log.open("rb"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    report = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert (report["parser"], report["percent"]) == ("generic", 40)
    assert report["errors"] == ["Error: no camera in scene"]


def test_a_plugin_table_is_used(tmp_path, capsys):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "keyshot.py").write_text(
        "from app.parsers.table import Rule, TableParser\n"
        "from app.services import Service\n"
        "class KeyShotParser(TableParser):\n"
        "    name = 'keyshot'\n"
        "    table = (Rule('frame_percent', r'Progress (\\d+)%'),)\n"
        "class KeyShotService(Service):\n"
        "    name = 'keyshot'\n"
        "    parser = 'keyshot'\n"
    )
    log = tmp_path / "k.log"
    log.write_text("Progress 30%\nProgress 60%\n")
    try:
        code, out, _ = _run(capsys, "keyshot", str(log), "--plugins", str(plugins), "--json")
    finally:
        load_parsers()
    assert code == 0 and json.loads(out)["percent"] == 60


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no_such_service", "x.log"], "unknown service 'no_such_service'"),
        (["generic", "x.log", "--parser", "nope"], "unknown parser 'nope'"),
        (["generic", "/no/such/log"], "cannot read /no/such/log"),
        (["generic", "x.log", "--frames", "5-1"], "the last frame is before the first"),
        (["generic", "x.log", "--plugins", "/no/such/dir"], "is not a directory"),
    ],
)
def test_usage_errors_exit_2_and_print_no_report(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and message in err

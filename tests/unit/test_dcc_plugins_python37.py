"""The DCC plugins (dcc_plugins/) run on the Pythons the applications embed: 3.7 syntax."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.python37 import PYTHON37, needs_python37

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "dcc_plugins").rglob("*.py"))


def test_there_are_plugin_modules():
    folders = {path.relative_to(ROOT / "dcc_plugins").parts[0] for path in SOURCES}
    assert {"maya", "nuke", "houdini"} <= folders


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_syntax_is_python37(path):
    ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, 7))


@needs_python37
def test_python37_compiles_every_plugin_module(tmp_path):
    code = (
        "import py_compile, sys\n"
        "for n, p in enumerate(sys.argv[2:]):\n"
        "    py_compile.compile(p, cfile=f'{sys.argv[1]}/{n}.pyc', doraise=True)\n"
    )
    command = [PYTHON37, "-c", code, str(tmp_path), *map(str, SOURCES)]
    out = subprocess.run(command, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr

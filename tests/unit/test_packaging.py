"""What `make run` and `make test` install: a farm's packages for the one, everything the
suite needs for the other, from extras named for what people install."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def names(requirements: list[str]) -> set[str]:
    """The distribution names of requirements (``PyQt6>=6.5`` → ``pyqt6``), extras kept
    (``corral[ui,blender]``)."""
    return {re.match(r"[\w.-]+(\[[\w,]+\])?", req).group(0).lower() for req in requirements}


def installs(target: str, venv: Path) -> list[str]:
    """The pip install lines `make TARGET` would run with a venv of its own."""
    dry = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in dry.stdout.splitlines() if "pip install" in line and "-e" in line]


def test_the_licence_is_a_spdx_expression():
    assert PROJECT["license"] == "GPL-3.0-or-later"


def test_extras_are_named_for_what_people_install():
    assert names(EXTRAS["ui"]) == {"pyqt6", "qasync", "pyqtgraph", "keyring"}
    assert names(EXTRAS["postgres"]) == {"psycopg2-binary"}
    assert names(EXTRAS["blender"]) == {"bpy"}
    assert names(EXTRAS["openjd"]) == {"openjd-model"}
    assert names(EXTRAS["docs"]) == {"mkdocs", "mkdocs-material"}
    assert names(EXTRAS["dist"]) == {"pyinstaller"}
    # the tests' environment: the farm's extras and the test tools, each listed once
    test = names(EXTRAS["test"])
    assert "corral[ui,postgres,blender,openjd,dist,docs]" in test
    assert not test & (names(EXTRAS["ui"]) | names(EXTRAS["postgres"]))


@pytest.mark.parametrize(
    "target, extras",
    [("run", "'.[ui]'"), ("test", "'.[test]'"), ("bench", "'.[test]'"), ("docs", "'.[docs]'")],
)
def test_make_installs_the_extras_of_its_target(tmp_path, target, extras):
    (line,) = installs(target, tmp_path / "venv")
    assert line.endswith(f"-e {extras}")


def test_make_run_then_make_test_installs_the_test_extras(tmp_path):
    """Each extra set has its own stamp: a venv made by `make run` still gets the test tools."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    run_stamp, test_stamp = venv / ".installed-run", venv / ".installed-test"
    run_stamp.touch()
    assert installs("run", venv) == []
    assert len(installs("test", venv)) == 1
    test_stamp.touch()
    assert installs("test", venv) == []

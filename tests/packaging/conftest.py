"""The corral binary built from packaging/corral.spec, once per test session per layout.

`onefile` is dist/corral (what people try Corral with), `onedir` the folder the .deb and the
tar.gz carry. Builds go to the session's temporary folder; PyInstaller's work folder is
build/pyinstaller, as for `make dist`, so that the second layout (and the next session) reuses
the analysis of the first. Without PyInstaller
(`pip install -e '.[dist]'`) these tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "corral.spec"
BUILD_TIMEOUT = 900  # seconds: two shared cores, the one-file compresses ~220 MB


def build(dist: Path, layout: str) -> Path:
    """Run PyInstaller on the spec for layout "onefile" or "onedir"; returns what it made."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install .[dist])")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += [
        "--distpath",
        str(dist),
        "--workpath",
        str(ROOT / "build" / "pyinstaller"),
    ]
    command += [str(SPEC), *(["--", "--onefile"] if layout == "onefile" else [])]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return dist / "corral" if layout == "onefile" else dist / "corral-onedir"


@pytest.fixture(scope="session")
def onefile(tmp_path_factory) -> Path:
    """dist/corral: the one-file binary."""
    return build(tmp_path_factory.mktemp("onefile"), "onefile")


@pytest.fixture(scope="session")
def onedir(tmp_path_factory) -> Path:
    """dist/corral-onedir/: the one-folder binary (its program is corral inside)."""
    return build(tmp_path_factory.mktemp("onedir"), "onedir")


def isolated_env(home: Path, **more: str) -> dict[str, str]:
    """The environment of a binary under test: its own home and config folders, no display
    (so `up` stays headless and Qt uses the offscreen platform), nothing from this checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH", "CORRAL_SERVER", "CORRAL_TOKEN")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_RUNTIME_DIR=str(home / "run"),
        QT_QPA_PLATFORM="offscreen",
        PYTHONUNBUFFERED="1",
        **more,
    )
    (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    return env

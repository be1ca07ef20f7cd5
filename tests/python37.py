"""A Python 3.7 interpreter, for the modules that run inside DCCs (app/api.py, app/protocol.py,
app/credentials.py); None where this machine has none (the tests needing it are skipped)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _find() -> str | None:
    for candidate in ("python3.7", str(Path.home() / ".pyenv/versions/3.7.16/bin/python3.7")):
        found = shutil.which(candidate)
        if found:
            probe = subprocess.run([found, "--version"], capture_output=True, text=True)
            if probe.returncode == 0 and probe.stdout.startswith("Python 3.7"):
                return found
    return None


PYTHON37 = _find()
needs_python37 = pytest.mark.skipif(PYTHON37 is None, reason="no Python 3.7 interpreter here")

"""The README's tour, followed word for word: the commands of its code blocks marked
``<!-- tour -->`` run in order against a farm that `make run` would start (`corral up`), each
must exit 0, and the jobs they submit must all complete.

Only what must be translated is: ``.venv/bin/corral`` is this checkout's ``python -m app``, and
the farm listens on a free port with a data folder of the test's own, which the commands find
through $CORRAL_SERVER and $CORRAL_TOKEN. The commands run in a folder of the test's own, as a
user's would in their clone.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.api import Client
from app.credentials import TOKEN_ENV
from app.server.auth import ADMIN_TOKEN_FILE, read_secret
from bench.local_farm import FarmProcess, free_port
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
CORRAL = ".venv/bin/corral"
# a marker line, then a fenced block: the marker's label and the block's text
_BLOCK = re.compile(
    r"^ *<!-- tour(?:: (?P<label>[^>]*?))? -->\n *```sh\n(?P<body>.*?)^ *```$", re.M | re.S
)


def tour(readme: str) -> list[tuple[str, list[str]]]:
    """(label, commands) of each marked block: lines joined at a trailing backslash, comments
    and blank lines left to the shell."""
    blocks = []
    for match in _BLOCK.finditer(readme):
        text = re.sub(r"\\\n *", "", match["body"])
        commands = [line.strip() for line in text.splitlines() if line.strip()]
        blocks.append((match["label"] or "", commands))
    return blocks


def translated(command: str) -> str:
    if command.startswith(CORRAL + " "):
        return f"{shlex.quote(sys.executable)} -m app {command[len(CORRAL) + 1 :]}"
    return command


def test_the_tour_is_marked():
    blocks = tour((ROOT / "README.md").read_text())
    labels = [label for label, _ in blocks]
    assert labels == ["the farm", "", "", "", ""]
    assert blocks[0][1] == ["make run              # or: .venv/bin/corral up"]
    commands = [command for _, block in blocks[1:] for command in block]
    assert any(command.startswith(f"{CORRAL} submit --name hello") for command in commands)
    assert any("--service ffmpeg" in command for command in commands)


@pytest.fixture
def up(tmp_path):
    """What `make run` starts (`corral up`), on a free port with a data folder of its own."""
    port = free_port()
    log = tmp_path / "up.log"
    args = ["up", "--port", str(port), "--data", str(tmp_path / "data")]
    farm = FarmProcess(args, log, code=ROOT).start()
    wait_until(lambda: "Corral is up" in log.read_text() or not farm.running())
    assert farm.running(), log.read_text()
    yield f"http://127.0.0.1:{port}", read_secret(tmp_path / "data" / ADMIN_TOKEN_FILE), log
    farm.proc.send_signal(signal.SIGINT)
    assert farm.proc.wait(30) == 0, log.read_text()[-3000:]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the tour's movie needs ffmpeg")
@pytest.mark.skipif(sys.platform == "win32", reason="the tour's commands are POSIX shell")
def test_the_readme_tour_works_as_written(up, tmp_path):
    url, token, log = up
    client = Client(url, timeout=30, token=token)
    work = tmp_path / "clone"
    work.mkdir()
    env = {**os.environ, "CORRAL_SERVER": url, TOKEN_ENV: token, "PYTHONPATH": str(ROOT)}

    def all_done() -> bool:
        jobs = client.jobs()
        bad = [job for job in jobs if "ERR" in job["state"]]
        assert not bad, f"{bad}\n{log.read_text()[-3000:]}"
        return all(job["state"] == "DON" for job in jobs)

    for _, commands in tour((ROOT / "README.md").read_text())[1:]:
        for command in commands:
            done = subprocess.run(
                translated(command),
                shell=True,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
            if command.startswith(f"{CORRAL} submit"):
                assert "warning" not in done.stderr, done.stderr
        wait_until(all_done, 120, every=0.2)  # the reader waits for the jobs before going on

    jobs = {job["name"]: job for job in client.jobs()}
    assert sorted(jobs) == ["frames", "hello", "movie"]
    assert (jobs["hello"]["tasks_total"], jobs["frames"]["tasks_total"]) == (4, 24)
    assert jobs["movie"]["tasks_total"] == 1
    assert client.task_output(jobs["hello"]["id"], 0, 0, 1).startswith("rendering 1 to 5")
    assert len(list((work / "frames").glob("f_*.png"))) == 24
    assert (work / "movie.mp4").stat().st_size > 0

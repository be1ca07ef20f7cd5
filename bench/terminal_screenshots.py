"""Terminal screenshots for the README: the command line's rich output on a real small farm,
saved as SVG into docs/images/.

    .venv/bin/python -m bench.terminal_screenshots

Starts a server and two renders (bench/local_farm.py), submits a few jobs, runs `corral jobs`,
`corral job watch`, `corral renders` and `corral doctor` in a real terminal (a pty), and draws
what they wrote with rich's SVG export. Then writes the "## Command line" section of README.md.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from app.api import SERVER_ENV, numeric_job
from app.cli.doctor import MAX_SKEW
from app.credentials import TOKEN_ENV
from bench.local_farm import LocalFarm
from bench.readme import write_section

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
WIDTH = 100
SECTION = "## Command line"
SECTION_TEXT = f"""{SECTION}

On a terminal the verbs draw tables with coloured states and live progress bars; piped, or with
`NO_COLOR` set, they print the plain aligned columns scripts read (`--json` on every verb gives
the raw answers: a JSON list of objects for every list).

- `corral job watch ID` follows a job: a progress bar per block and an ETA measured from the run
  times of its finished tasks; while nothing runs, why it waits and the fix. It exits with the
  job's outcome: 0 when it is done without failed tasks, 1 when it ends with failed tasks (or is
  deleted), 130 when interrupted.
- `corral renders --watch` keeps the renders list up to date (`--every SECONDS`).
- `corral doctor` checks the farm from where you sit: the server answers, the token is valid,
  versions match, renders are online with capacity, the database commits, the data folder has
  disk space, clocks agree (at most {MAX_SKEW:g} s apart). Each finding comes with its fix; the
  exit status is 1 when one is a problem.
- `corral completion bash|zsh|fish` prints the completion script: verbs, options and choices,
  and job ids, render names and services asked from the server (quietly nothing when it cannot
  be reached). bash: `source <(corral completion bash)` in `~/.bashrc`; zsh: `source <(corral
  completion zsh)` after `compinit`; fish: `corral completion fish >
  ~/.config/fish/completions/corral.fish`.
- Errors name the thing, the value and the fix, e.g. `invalid frame range '10-1': the last frame
  is before the first (write it FIRST-LAST: 1-10)`; `corral job why ID` ends with the fix of
  each reason a job does not run.

![corral jobs](docs/images/cli_jobs.svg)

![corral job watch](docs/images/cli_watch.svg)

![corral doctor](docs/images/cli_doctor.svg)

"""
# What a live display writes between two frames: back to the line start, erase, line up...
_FRAME_BREAK = re.compile(r"\r\x1b\[2K(?:\x1b\[1A\x1b\[2K)*")


def in_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run corral argv with its output on a real terminal (a pty); its exit status and what it
    wrote (line ends as ``\\n``)."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "app", *argv], env=env, stdout=child)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return proc.wait(timeout=60), b"".join(chunks).decode().replace("\r\n", "\n")


def frame_with(text: str, word: str) -> str:
    """The last frame of a live display that shows word (else its last frame)."""
    frames = [f.replace("\x1b[?25l", "").replace("\x1b[?25h", "") for f in _FRAME_BREAK.split(text)]
    return next((f for f in reversed(frames) if word in f), frames[-1])


def save_svg(ansi: str, name: str, title: str) -> Path:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
    console.print(Text.from_ansi(ansi.rstrip("\n")))
    path = IMAGES / f"{name}.svg"
    path.write_text(console.export_svg(title=title))
    return path


def shoot(farm: LocalFarm) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
        "PYTHONPATH": str(ROOT),
        SERVER_ENV: farm.url,
        TOKEN_ENV: farm.admin_token,
        "COLUMNS": str(WIDTH),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
    }
    client = farm.client
    client.submit(numeric_job("shot010_comp", "sleep 0.2", 1, 20, user_name="ann"))
    client.submit(numeric_job("shot020_light", "sleep 0.2", 1, 40, user_name="bob", paused=True))
    failing = numeric_job("shot030_fx", "exit 1", 1, 3, user_name="ann")
    failing["blocks"][0]["errors_retries"] = 0
    client.submit(failing)
    watched = numeric_job("shot040_render", "sleep 0.4", 1, 24, per_task=2, user_name="cy")
    watched["blocks"].append({**watched["blocks"][0], "name": "preview", "frames_per_task": 4})
    watched_id = client.submit(watched)
    _, watch = in_terminal(["job", "watch", str(watched_id), "--every", "0.3"], env)
    print(save_svg(frame_with(watch, "ETA"), "cli_watch", f"corral job watch {watched_id}"))
    _, jobs = in_terminal(["jobs"], env)
    print(save_svg(jobs, "cli_jobs", "corral jobs"))
    _, healthy = in_terminal(["doctor"], env)
    in_terminal(["render-ctl", "pause", "--mask", "render-.*"], env)
    _, broken = in_terminal(["doctor"], env)
    shown = f"$ corral doctor\n{healthy}\n$ corral render-ctl pause --mask 'render-.*'\n"
    print(save_svg(f"{shown}$ corral doctor\n{broken}", "cli_doctor", "corral doctor"))


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="corral-terminal-") as folder:
        farm = LocalFarm(Path(folder))
        try:
            farm.start_server()
            farm.start_render("render-a", 2)
            farm.start_render("render-b", 2)
            shoot(farm)
        finally:
            farm.stop()
    write_section(SECTION, SECTION_TEXT, before="## Monitor and tray")
    print(f"updated {Path('README.md')}")


if __name__ == "__main__":
    main()

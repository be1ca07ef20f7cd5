"""The corral binary (`make dist`): its size and how long it takes to answer.

For each binary given (default: the one-file dist/corral and the one-folder
dist/corral-onedir/corral): its size on disk (the whole folder for the one-folder layout), then
`corral --version` and a command-line verb (`corral jobs` against a closed port: the client's
imports, parsing and one refused connection) run --runs times after one first run that is not
counted (the first start reads the files from disk; "after the first run" is the target).
Target: < 90 MB for the one-file binary; < 1 s to answer for the layout the installers carry.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from bench.report import machine, record

SIZE_TARGET_MB = 90.0
ANSWER_TARGET_S = 1.0
COMMANDS = {"--version": ["--version"], "jobs": ["jobs", "--server", "http://127.0.0.1:9"]}


def size_mb(binary: Path) -> float:
    """The file, or for a one-folder layout the folder holding it, in MB (10^6 bytes)."""
    if not one_folder(binary):
        return binary.stat().st_size / 1e6
    files = [path for path in binary.parent.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files) / 1e6  # links to libraries: counted once


def one_folder(binary: Path) -> bool:
    return (binary.parent / "_internal").is_dir()


def answer_times(binary: Path, args: list[str], runs: int) -> tuple[float, list[float]]:
    """(the first run's seconds, the next runs' seconds)."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([str(binary), *args], capture_output=True, timeout=60)
        times.append(time.perf_counter() - start)
    return times[0], times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "binaries",
        nargs="*",
        type=Path,
        default=[Path("dist/corral"), Path("dist/corral-onedir/corral")],
    )
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command")
    args = parser.parse_args()
    print(machine())
    for binary in args.binaries:
        layout = "one-folder" if one_folder(binary) else "one-file"
        size = size_mb(binary)
        met = size < SIZE_TARGET_MB if layout == "one-file" else None
        row = record(f"binary {layout}", "size", size, "MB", f"< {SIZE_TARGET_MB:g}", met)
        print(f"{binary} ({layout}): {row['value']:.1f} MB")
        for name, command in COMMANDS.items():
            first, times = answer_times(binary, command, args.runs)
            row = record(
                f"binary {layout}", f"{name} answers", times, "s", f"< {ANSWER_TARGET_S:g}",
                max(times) < ANSWER_TARGET_S,
            )  # fmt: skip
            print(
                f"  {name}: first {first:.2f} s, then median {row['value']:.2f} s "
                f"(min {row['min']:.2f}, max {row['max']:.2f}, {row['n']} runs)"
            )


if __name__ == "__main__":
    main()

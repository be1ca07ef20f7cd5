"""Every `corral` command in the documentation's shell examples (docs/ and the README) is one
the command line accepts: a renamed verb or option cannot leave the docs behind."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from app.cli.command import parse_args

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# the placeholders the examples use where a number goes
NUMBERS = {"ID": "12", "BLOCK": "0", "TASK": "3"}


def commands(page: Path) -> list[str]:
    """The `corral ...` commands of a page's sh/bash blocks (continuations joined, commands
    split at `;`, comments and `$(...)` substitutions dropped)."""
    out = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", page.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for command in re.sub(r"\$\([^)]*\)", "x", line.split(" #")[0]).split(";"):
                match = re.match(r"\s*(?:\w+=\S+ )*(?:\.venv/bin/)?corral (.*)", command)
                if match:
                    out.append(match.group(1).strip())
    return out


EXAMPLES = [(page, line) for page in PAGES for line in commands(page)]


def test_the_docs_have_examples():
    assert len(EXAMPLES) > 40


@pytest.mark.parametrize(
    "page, line", EXAMPLES, ids=[f"{p.relative_to(ROOT)}:{line}" for p, line in EXAMPLES]
)
def test_each_example_parses(page, line):
    words = [NUMBERS.get(word, word) for word in shlex.split(line)]
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{page.name}: corral {line}: {errors.getvalue().strip()} ({exc.code})")

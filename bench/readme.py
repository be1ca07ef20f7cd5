"""Sections of README.md written by the screenshot scripts: one ``## HEADING`` section each,
replaced in place when present, else put before another section."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def write_section(heading: str, text: str, before: str = "## How it works") -> None:
    """Make text (which starts with heading) README.md's section of that heading."""
    readme = README.read_text()
    if heading in readme:
        start = readme.index(heading)
        end = readme.index("\n## ", start + len(heading)) + 1
        readme = readme[:start] + text + readme[end:]
    else:
        anchor = readme.index(before)
        readme = readme[:anchor] + text + readme[anchor:]
    README.write_text(readme)

"""docs/architecture.md names files and functions: each must exist, so the map stays true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
# `app/x/y.py`, `persistence/y.py` (under app/server), optionally `:Name` or `:Class.method`
REFERENCE = re.compile(r"`((?:app/|persistence/)[\w/]+\.py)(?::([\w.]+))?`")


def references(text: str) -> list[tuple[str, str | None]]:
    return [(path, name) for path, name in REFERENCE.findall(text)]


def missing(text: str) -> list[str]:
    """The references of a text that name no file, or a name its file does not define."""
    out = []
    for path, name in references(text):
        if path.startswith("persistence/"):
            path = "app/server/" + path
        file = ROOT / path
        if not file.is_file():
            out.append(path)
            continue
        source = file.read_text()
        defined = (
            re.search(rf"^\s*(?:async def|def|class) {part}\b|^{part} = ", source, re.M)
            for part in (name.split(".") if name else [])
        )
        if not all(defined):
            out.append(f"{path}:{name}")
    return out


def test_every_file_and_function_the_map_names_exists():
    text = DOC.read_text()
    assert len(references(text)) > 20
    assert missing(text) == []


def test_a_stale_reference_is_found():
    assert missing("`app/core/lifecycle.py:TaskLifecycle.no_such_step`") == [
        "app/core/lifecycle.py:TaskLifecycle.no_such_step"
    ]
    assert missing("`app/nowhere.py`") == ["app/nowhere.py"]

"""Every parser over its fixture logs (tests/fixtures/logs/<parser>/<case>.log + <case>.json).

A case's JSON names the parser, the task's frames and what the parser must have found::

    {"parser": "blender", "frame_start": 1, "frame_end": 3,
     "expect": {"percent": 100, "frame": 2, "files": ["/out/f_0001.png"],
                "errors": ["CUDA error"], "warnings": [], "fatal": false}}

`errors` and `warnings` list one substring per message the parser must keep, in order (and no
more messages than that); other keys (`percent`, `frame`, `frame_percent`, `activity`, `files`,
`fatal`, `bad_result`, `success`, `resources`) must equal the parser's attribute. Each log is fed
whole, in 7-byte chunks and line by line: the results must not depend on how output arrives.
"""

import json
from pathlib import Path

import pytest

from app.parsers import PARSERS, get_parser

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
CASES = sorted(LOGS.glob("*/*.json"))
_EXACT = (
    "percent",
    "frame",
    "frame_percent",
    "activity",
    "files",
    "fatal",
    "bad_result",
    "success",
    "resources",
)


def _chunks(text: str, how: str) -> list[str]:
    if how == "whole":
        return [text]
    if how == "lines":
        return text.splitlines(keepends=True)
    return [text[i : i + 7] for i in range(0, len(text), 7)]


def _run(case: Path, how: str):
    spec = json.loads(case.read_text())
    cls = get_parser(spec["parser"])
    assert cls.name == spec["parser"], f"parser {spec['parser']!r} is not registered"
    parser = cls(spec.get("frame_start", 0), spec.get("frame_end", 0), spec.get("frames_inc", 1))
    text = case.with_suffix(".log").read_text(encoding="utf-8")
    for chunk in _chunks(text, how):
        parser.feed(chunk)
    parser.finish()
    return spec["expect"], parser


@pytest.mark.parametrize("how", ["whole", "chunks", "lines"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture(case: Path, how: str):
    expect, parser = _run(case, how)
    for key in _EXACT:
        if key in expect:
            assert getattr(parser, key) == expect[key], key
    for key in ("errors", "warnings"):
        if key in expect:
            found = getattr(parser, key)
            assert len(found) == len(expect[key]), f"{key}: {found}"
            for text, wanted in zip(found, expect[key], strict=True):
                assert wanted in text, f"{key}: {wanted!r} not in {text!r}"


def test_every_parser_has_fixtures():
    with_fixtures = {json.loads(case.read_text())["parser"] for case in CASES}
    built_in = {cls.name for _, cls, source in PARSERS.items() if source == "built-in"}
    assert built_in - {"none"} <= with_fixtures


def test_every_fixture_has_its_log_and_expectations():
    assert CASES
    for case in CASES:
        assert case.with_suffix(".log").is_file(), case
        assert json.loads(case.read_text())["expect"], case

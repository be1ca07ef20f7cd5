"""3ds Max's command line renderer (3dsmaxcmd)."""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_OWN = r"^(?!.*\[ PARSER )"  # Afanasy's markers are the generic parser's
_SCENE = r"(?i)^(?!.*\[ PARSER )(?=.*error)(?=.*\.max).*(?:not found|could not|unable to|failed to)"
_CRASH = "application has crashed|has stopped working|out of memory|not enough memory"


class MaxParser(TableParser):
    """``Rendering frame 12`` starts frame 12, ``progr: 45% rendered`` is its percent and
    ``Frame 12 completed`` ends it. ``Missing external files`` is a warning; ``ERROR:`` lines,
    the network log's ``ERR:`` lines, crashes and out of memory are errors; licence failures
    and a scene file that cannot be loaded are fatal."""

    name = "max"
    table = (
        Rule("frame_done", r"Frame\s+(-?\d+)\s+completed", needle="completed"),
        Rule("frame_percent", r"progr:\s*(\d+(?:\.\d*)?)\s*%\s*rendered", needle="progr:"),
        Rule("frame_start", r"Rendering frame\s+(-?\d+)\b", needle="Rendering frame"),
        Rule("fatal", r"(?i)" + _OWN + r"(?=.*licen).*(?:fail|error|unable)", needle="icen"),
        Rule("fatal", _SCENE),
        Rule(
            "warning",
            r"(?i)" + _OWN + r"(?=.*missing).*(?:external file|plugin|dll)",
            needle="issing",
        ),
        Rule("error", r"(?i)" + _OWN + rf".*(?:{_CRASH}|error)"),
        Rule("error", _OWN + r".*\bERR:\s", needle="ERR:"),  # Max.log: "... ERR: [10560] ..."
    )

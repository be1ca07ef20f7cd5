"""Softimage's xsibatch, alone and with Arnold or Redshift."""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_OWN = r"^(?!.*\[ PARSER )"  # Afanasy's markers are the generic parser's
_CRASH = "segmentation fault|access violation|out of memory|not enough memory"


class XsiParser(TableParser):
    """``Rendering frame 12`` (optionally ``(45% done)``) starts frame 12 or gives its percent;
    mental ray's ``progr: 45% rendered`` is the frame's percent; ``Render completed`` is 100%.
    Softimage's ``' ERROR : 2000 - ...`` lines are errors (fatal for licences and a missing
    scene), ``' WARNING : ...`` lines warnings; crashes and out of memory are errors."""

    name = "xsi"
    table = (
        Rule(
            "frame_start",
            r"Rendering frame\s+(-?\d+)(?:[^(]*\((\d+(?:\.\d*)?)\s*%\s*done\))?",
            needle="Rendering frame",
        ),
        Rule("frame_percent", r"progr:\s*(\d+(?:\.\d*)?)\s*%\s*rendered", needle="progr:"),
        Rule("percent", r"Render completed", needle="Render completed"),
        Rule("fatal", _OWN + r"(?=.*ERROR)(?=.*(?i:licen))", needle="ERROR"),
        Rule(
            "fatal", _OWN + r"(?=.*ERROR)(?=.*(?i:\.scn)).*(?i:not exist|not found)", needle="ERROR"
        ),
        Rule("error", _OWN + r".*ERROR", needle="ERROR"),
        Rule("error", r"(?i)" + _OWN + rf".*(?:{_CRASH})"),
        Rule("fatal", r"(?i)" + _OWN + r"(?=.*licen).*(?:fail|invalid|no )", needle="icen"),
        Rule("warning", _OWN + r".*WARNING", needle="WARNING"),
    )


class XsiArnoldParser(XsiParser):
    """xsi with SItoA (Arnold): ``00:00:05  1234MB  |  45% done - 12 rays/pixel`` is the
    frame's percent."""

    name = "xsi_arnold"
    table = (
        Rule(
            "frame_percent",
            r"^(?!.*Render(?:ing frame| completed)).*?(\d+(?:\.\d*)?)\s*%\s*done",
            needle="% done",
        ),
    )


class XsiRedshiftParser(XsiParser):
    """xsi with Redshift: ``Block 3/48 (2,0) rendered by GPU 0 in 15ms`` is the frame's
    percent (blocks done of all); ``Rendering frame 12...`` starts a frame (as for xsi)."""

    name = "xsi_redshift"
    table = (
        Rule(
            "frame_percent",
            r"Block\s*(\d+)\s*/\s*(\d+)\b.*rendered by GPU",
            needle="rendered by GPU",
        ),
    )

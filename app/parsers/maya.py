"""Maya's batch renderer (``Render``), alone and with its renderers.

Maya's own failure lines are errors: ``Frame aborted``, ``Frame rendering aborted``, ``Fatal
Error`` (a crash), ``failed to render``, ``(kFailure)``, a render layer Maya cannot switch to
or modify, any other ``Maya exited with status N`` but 0, a Python exception reported as
``Error: line 1: UnicodeDecodeError: ...``, crashes and tracebacks; ``Maya exited with status
210`` means the scene did not open and a renderer plug-in that does not load (``Unable to
dynamically load``) will not load on a retry either (fatal). Other ``Error: line N:`` lines
(a missing optional plug-in, a MEL procedure) are Maya's noise. ``Result: `` lines echo values
and are not read for errors. The renderer parsers add their progress and errors.
"""

from __future__ import annotations

import re

from app.parsers.arnold import ArnoldParser
from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser
from app.parsers.prman import PrmanParser
from app.parsers.redshift import RedshiftParser
from app.parsers.vray import VrayParser

_ERRORS = (
    "Frame aborted",
    "Frame rendering aborted",
    "Fatal Error",
    "failed to render",
    "(kFailure)",
    "Unable to modify overrides to the default layer",  # the layer asked for cannot render
    "Cannot switch from '",  # "... to 'layer' because of an override to a missing node"
)
_FATAL = ("Maya exited with status 210", "Unable to dynamically load")
_EXIT = re.compile(r"Maya exited with status (-?\d+)")
_EXCEPTION = re.compile(r"Error: line \d+: \w+(?:Error|Exception)\b")


class MayaParser(GenericParser):
    """Maya's failure lines."""

    name = "maya"

    def parse_line(self, line: str) -> None:
        if "Result: " not in line:
            if any(text in line for text in _FATAL):
                self.error(line.strip(), fatal=True)
            elif any(text in line for text in _ERRORS) or is_failure(line):
                self.error(line.strip())
            elif "Maya exited" in line:
                match = _EXIT.search(line)
                if match and int(match[1]) != 0:
                    self.error(line.strip())
            elif "Error: line" in line and _EXCEPTION.search(line):
                self.error(line.strip())
        super().parse_line(line)


class MayaArnoldParser(MayaParser, ArnoldParser):
    name = "maya_arnold"


class MayaRedshiftParser(MayaParser, RedshiftParser):
    name = "maya_redshift"


class MayaVrayParser(MayaParser, VrayParser):
    name = "maya_vray"


class MayaPrmanParser(MayaParser, PrmanParser):
    name = "maya_prman"

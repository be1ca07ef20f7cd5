"""Maya's batch renderer (``Render``), alone and with its renderers.

Maya's own failure lines are errors: ``Frame aborted``, ``Frame rendering aborted``, ``Fatal
Error`` (a crash), ``failed to render``, ``(kFailure)``; ``Maya exited with status 210`` means
the scene did not open, which a retry does not mend (fatal). ``Result: `` lines echo values and
are not read for errors. The renderer parsers add their progress and errors.
"""

from __future__ import annotations

from app.parsers.arnold import ArnoldParser
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
)
_FATAL = ("Maya exited with status 210",)


class MayaParser(GenericParser):
    """Maya's failure lines."""

    name = "maya"

    def parse_line(self, line: str) -> None:
        if "Result: " not in line:
            if any(text in line for text in _FATAL):
                self.error(line.strip(), fatal=True)
            elif any(text in line for text in _ERRORS):
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

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

from app.parsers.arnold import ArnoldParser
from app.parsers.failures import FAILURE
from app.parsers.prman import PrmanParser
from app.parsers.redshift import RedshiftParser
from app.parsers.table import Rule, TableParser
from app.parsers.vray import VrayParser

_NOT_RESULT = r"^(?!.*Result: ).*"  # a line that does not echo a value
_FAILED = (
    r"(?:Frame aborted|Frame rendering aborted|Fatal Error|failed to render|\(kFailure\)"
    r"|Unable to modify overrides to the default layer"  # the layer asked for cannot render
    r"|Cannot switch from '"  # "... to 'layer' because of an override to a missing node"
    r"|Maya exited with status (?!0\b)-?\d+"
    r"|Error: line \d+: \w+(?:Error|Exception)\b)"
)


class MayaParser(TableParser):
    """Maya's failure lines."""

    name = "maya"
    table = (
        Rule("fatal", _NOT_RESULT + r"Maya exited with status 210", needle="Maya exited"),
        Rule("fatal", _NOT_RESULT + r"Unable to dynamically load", needle="dynamically"),
        Rule("error", _NOT_RESULT + _FAILED),
        Rule("error", _NOT_RESULT + f"(?:{FAILURE})"),
    )


class MayaArnoldParser(MayaParser, ArnoldParser):
    name = "maya_arnold"


class MayaRedshiftParser(MayaParser, RedshiftParser):
    name = "maya_redshift"


class MayaVrayParser(MayaParser, VrayParser):
    name = "maya_vray"


class MayaPrmanParser(MayaParser, PrmanParser):
    name = "maya_prman"

"""Maya's batch renderer (``Render``), alone and with its renderers.

Maya's own failure lines are errors: ``Frame aborted``, ``Frame rendering aborted``, ``Fatal
Error`` (a crash), ``failed to render``, ``(kFailure)``; ``Maya exited with status 210`` means
the scene did not open, which a retry does not mend (fatal). ``Result: `` lines echo values and
are not read for errors. The renderer parsers add their progress and errors.
"""

from __future__ import annotations

from app.parsers.arnold import ArnoldParser
from app.parsers.prman import PrmanParser
from app.parsers.redshift import RedshiftParser
from app.parsers.table import Rule, TableParser
from app.parsers.vray import VrayParser

_NOT_RESULT = r"^(?!.*Result: ).*"  # a line that does not echo a value
_FAILED = r"(?:Frame aborted|Frame rendering aborted|Fatal Error|failed to render|\(kFailure\))"


class MayaParser(TableParser):
    """Maya's failure lines."""

    name = "maya"
    table = (
        Rule("fatal", _NOT_RESULT + r"Maya exited with status 210", needle="Maya exited"),
        Rule("error", _NOT_RESULT + _FAILED),
    )


class MayaArnoldParser(MayaParser, ArnoldParser):
    name = "maya_arnold"


class MayaRedshiftParser(MayaParser, RedshiftParser):
    name = "maya_redshift"


class MayaVrayParser(MayaParser, VrayParser):
    name = "maya_vray"


class MayaPrmanParser(MayaParser, PrmanParser):
    name = "maya_prman"

"""The ``openjd`` service: a task of an Open Job Description step, run as an OpenJD session.

The task's command is not a command line but a session document (JSON, written at submit by
app/services/openjd/template.py): the embedded files, the environments to enter and exit, and
the task's own action. On the render the service runs it with the render's own Python through
app/services/scripts/openjd_session.py, which needs nothing but the standard library; its
output goes to the generic parser (``openjd_progress``, ``openjd_status``, ``openjd_fail``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

SESSION_SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "openjd_session.py"
)
_VERSION_KEY = re.compile(r"""(?:^|[{,])\s*["']?specificationVersion["']?\s*:""", re.M)


def is_template(text: str) -> bool:
    """Whether a document is an OpenJD job template (YAML or JSON naming its
    specificationVersion)."""
    return _VERSION_KEY.search(text) is not None


class OpenJDService(Service):
    name = "openjd"
    description = "an Open Job Description task (submit a job template: corral submit T.yaml)"
    options: ClassVar[Mapping[str, str]] = {}

    def map_program(self, command: str) -> str:
        """No program to map: the actions are inside the session document."""
        return command

    def adjust_command(self, command: str) -> str:
        return join([sys.executable, SESSION_SCRIPT, command], self.platform)

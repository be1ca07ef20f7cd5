"""The ``openjd`` service: a task of an Open Job Description step, run as an OpenJD session.

The task's command is not a command line but a session document (JSON, written at submit by
app/services/openjd/template.py): the embedded files, the environments to enter and exit, and
the task's own action. On the render the service runs it with the render's own Python through
app/services/openjd/session.py, which needs nothing but the standard library; its
output goes to the generic parser (``openjd_progress``, ``openjd_status``, ``openjd_fail``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join
from app.services.openjd.session import check_session, map_texts

SESSION_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "session.py")
NEEDS_EXTRA = "Open Job Description templates need the openjd extra: pip install 'corral[openjd]'"
_VERSION_KEY = re.compile(r"""(?:^|[{,])\s*["']?specificationVersion["']?\s*:""", re.M)


def is_template(text: str) -> bool:
    """Whether a document is an OpenJD job template (YAML or JSON naming its
    specificationVersion)."""
    return _VERSION_KEY.search(text) is not None


class OpenJDService(Service):
    name = "openjd"
    description = "an Open Job Description task (submit a job template: corral submit T.yaml)"
    options: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        """No command pattern: the blocks come from a template."""
        raise ValueError(
            "service openjd: submit an Open Job Description template instead "
            "(corral submit TEMPLATE.yaml -p NAME=VALUE, or as the submit dialog's scene)"
        )

    def command(self) -> str:
        """The session script given the task's document, with this render's path maps
        applied to its texts (render programs are not mapped: the actions name them)."""
        try:
            session = json.loads(self.task.command)
            check_session(session)
        except ValueError as error:
            raise ValueError(
                f"the task's command is not an OpenJD session document: {error}"
            ) from None
        if self.path_map is not None:
            path_map = self.path_map
            session = map_texts(session, lambda text: path_map.in_text(text, "to_client"))
        document = json.dumps(session, separators=(",", ":"))
        return join([sys.executable, SESSION_SCRIPT, document], self.platform)

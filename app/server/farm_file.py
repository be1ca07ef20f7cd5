"""The optional farm file: a JSON pools tree, read at start and again whenever it changes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from app.core.errors import SpecError
from app.core.pools import PoolTree

log = logging.getLogger("corral.farm_file")


class FarmFile:
    """Watches one file; hands out a new tree each time its content changes and is valid."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: tuple[float, int] | None = None

    def load(self) -> PoolTree:
        """Read the file now; raises SpecError or OSError (used at start: fail loudly)."""
        stat = self.path.stat()
        self._seen = (stat.st_mtime, stat.st_size)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SpecError("", f"{self.path} is not valid JSON: {error}") from error
        return PoolTree.from_dict(data)

    def changed(self) -> PoolTree | None:
        """A new tree if the file changed since the last look and is valid, else None."""
        try:
            stat = self.path.stat()
        except OSError as error:
            log.warning("farm file %s: %s (keeping the current pools)", self.path, error)
            return None
        if self._seen == (stat.st_mtime, stat.st_size):
            return None
        try:
            tree = self.load()
        except (SpecError, OSError) as error:
            log.error("farm file %s not applied: %s (keeping the current pools)", self.path, error)
            return None
        log.info("farm file %s reloaded: %d pools", self.path, len(tree))
        return tree

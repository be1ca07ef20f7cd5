"""Parser names to classes: Corral's own, entry points `corral.parsers` and plugin files."""

from __future__ import annotations

import logging
from pathlib import Path

from app.core.plugins import Registry
from app.parsers.base import Parser
from app.parsers.generic import GenericParser

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "corral.parsers"
PARSERS = Registry("parser", "app.parsers", ENTRY_POINT_GROUP, Parser)
_warned: set[str] = set()


def load_parsers(plugins_dir: str | Path | None = None) -> None:
    """Find the parsers again, adding those of a plugins directory."""
    PARSERS.load(plugins_dir)


def get_parser(name: str) -> type[Parser]:
    """The parser class of a name: "generic" and "" (when no service chose one) are the generic
    parser, "none" reads nothing, and unknown names give the generic parser with a warning (once
    per name)."""
    found = PARSERS.get(name or "generic")
    if found is None:
        if name not in _warned:
            _warned.add(name)
            log.warning("unknown parser %r: using the generic parser", name)
        return GenericParser
    return found

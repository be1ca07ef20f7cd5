"""Parser names to classes: Corral's own, entry points `corral.parsers` and plugin files."""

from __future__ import annotations

from pathlib import Path

from app.parsers.base import Parser
from app.parsers.generic import GenericParser
from app.plugins import Registry

ENTRY_POINT_GROUP = "corral.parsers"
PARSERS = Registry("parser", "app.parsers", ENTRY_POINT_GROUP, Parser)


def load_parsers(plugins_dir: str | Path | None = None) -> None:
    """Find the parsers again, adding those of a plugins directory."""
    PARSERS.load(plugins_dir)


def get_parser(name: str) -> type[Parser]:
    """The parser class of a name: "generic" and "" (when no service chose one) are the generic
    parser, "none" reads nothing, and unknown names give the generic parser with a warning (once
    per name)."""
    return PARSERS.get_or(name or "generic", GenericParser)

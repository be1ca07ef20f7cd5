"""Parser names to classes."""

from __future__ import annotations

import logging

from app.parsers.base import Parser
from app.parsers.generic import GenericParser

log = logging.getLogger(__name__)

PARSERS: dict[str, type[Parser]] = {"": GenericParser, "generic": GenericParser, "none": Parser}
_warned: set[str] = set()


def get_parser(name: str) -> type[Parser]:
    """The parser class of a name: "" (the service default) is the generic parser, "none" reads
    nothing, and unknown names give the generic parser with a warning (once per name)."""
    found = PARSERS.get(name)
    if found is None:
        if name not in _warned:
            _warned.add(name)
            log.warning("unknown parser %r: using the generic parser", name)
        return GenericParser
    return found

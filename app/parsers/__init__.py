"""Task output parsers: read a task's output, produce progress, frame, warnings and errors."""

from app.parsers.base import Parser
from app.parsers.registry import PARSERS, get_parser, load_parsers

__all__ = ["PARSERS", "Parser", "get_parser", "load_parsers"]

"""A task's output bytes to its parser, as the render hands them over: decoded as UTF-8 (bytes
that are not UTF-8 replaced), in batches of up to OUTPUT_BATCH bytes."""

from __future__ import annotations

import codecs
from typing import BinaryIO

from app.parsers.base import Parser

OUTPUT_BATCH = 64 * 1024  # bytes of output the render collects before it parses and sends them


def output_decoder() -> codecs.IncrementalDecoder:
    """The decoder of one task's output (a character split across batches is kept whole)."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def parse_output(parser: Parser, source: BinaryIO) -> Parser:
    """Feed a saved output to a parser batch by batch, as a render would, and finish it."""
    decoder = output_decoder()
    while batch := source.read(OUTPUT_BATCH):
        parser.feed(decoder.decode(batch))
    parser.feed(decoder.decode(b"", final=True))
    parser.finish()
    return parser

"""Arnold's log (kick, MtoA, HtoA): ``00:00:05  1234MB  |    45% done - 12 rays/pixel``.

The percent is the current frame's; a frame ends at ``100% done`` / ``render done`` and the next
one starts with the next lower percent. ``peak CPU memory used  712.45MB`` is the peak memory,
``[driver_exr] writing file `/out/a.exr'`` an output file. Arnold stops at its first error by
default (``abort_on_error``), so every ``ERROR |`` line is an error; so are the abort messages
it prints at WARNING level (``render aborted due to earlier errors``, ``render terminating
early``), which are all that is left when the log's verbosity hides the errors. Without a
licence Arnold still renders, with watermarks: that output is wrong (a bad result) and a licence
failure is fatal, since retrying does not bring a licence.
"""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_LICENCE = "could not find license|no license available|license error|failed to checkout license"


class ArnoldParser(TableParser):
    """Arnold's percent, peak memory, written files, errors and licence failures."""

    name = "arnold"
    table = (
        Rule("frame_percent", r"(\d+(?:\.\d+)?)\s*%\s+done\b", needle="% done"),
        Rule("frame_done", r"render done", needle="render done"),
        Rule("peak", r"(?i)peak CPU memory used\s+(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B)"),
        Rule("file", r"writing file\s+[`'\"]([^`'\"]+)[`'\"]", needle="writing file"),
        Rule("bad_result", r"(?i)watermark", needle="atermark"),
        Rule("fatal", rf"(?i)^(?=.*licens).*(?:{_LICENCE}|rlm_init)", needle="icens"),
        Rule("fatal", r"\[ass\] (?:can't|cannot) (?:open|read)", needle="[ass] ca"),
        Rule("error", r"\bERROR\s*\|", needle="ERROR"),
        Rule("error", r"^(?=.*(?i:signal)).*\bSIG(?:SEGV|ABRT|BUS|ILL|FPE)\b", needle="SIG"),
        Rule("error", r"\[mtoa\] Failed batch render|Error reading pixel data|can't create file"),
        # https://github.com/Autodesk/arnold-usd/issues/1875: aborts printed as warnings
        Rule("error", r"render aborted|render terminating early", needle="render "),
    )

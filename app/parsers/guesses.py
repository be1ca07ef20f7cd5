"""What the generic parser guesses from programs it does not know (KeyShot, LuxCore, scripts):
obvious errors and percentages, without false alarms on harmless lines.

Lines reach these functions without ANSI codes. A line may start with prefixes that wrappers
and loggers add (timestamps, ``[INFO]``-style tags, ``0: STDOUT:``, ``|``); a message that
starts with ``Error`` after them is an error.
"""

from __future__ import annotations

import re

# Text a line must contain for an error to be guessed: few, as each is searched for in every
# chunk. (Percentages are found by their "%"; "out of memory", "access violation" and the
# like come with one of these: "CUDA error: out of memory", "Aborted (core dumped)".)
NEEDLES = (
    "rror",
    "RROR",
    "atal",
    "ATAL",
    "xception",
    "Traceback (",
    "ntation fault",
    "core dumped",
    "SIG",
    "Killed",
)
_WORDS = re.compile(r"error|fatal|exception")  # in lower case, as all below unless said
# Crashes, and harmless notices: of headless runs without a display (OpenGL, X) or a sound
# card, ignored errors, git outside a checkout. Plain text, which `in` finds faster than a
# pattern of many branches.
_CRASHES = (
    "traceback (most recent call last)",
    "segmentation fault",
    "core dumped",
    "terminate called after",
    "std::bad_alloc",
    "sigsegv",
    "sigabrt",
    "sigbus",
    "sigill",
    "sigfpe",
    "access violation",
    "out of memory",
)
_HEADLESS = (
    "libgl",
    "glx",
    "egl",
    "mesa",
    "swrast",
    "fbconfig",
    "opengl",
    "display",
    "xdg_runtime",
    "qxcb",
    "qt.qpa",
    "alsa",
    "pulseaudio",
    "non-fatal",
    "non fatal",
    "ignor",
    "not a git repository",  # a tool asking git for its version, outside a checkout
)
# "Killed" alone, or as a shell reports a command it saw killed: "sh: line 1: 4242 Killed  ..."
_KILLED = re.compile(r"^\s*killed\s*$|\d killed\s")
# What wrappers and loggers put before a message (lower case): tags, times, stream names.
_PREFIX = (
    r"^(?>\s*(?:\[[^\]]*\]|\(\d[^)]*\)|\d[\d:./,tz+-]*(?=[\s\]|])|std(?:out|err):"
    r"|\w+_output:|\|))*+\s*"
)
# The line's level is an error: "error:", "ERROR |", "[ERROR]", "<Error>", "Fatal: ...".
_LEVEL = re.compile(r"(?<![\w.-])(?:fatal\s+error|error|fatal|exception)\s*[:|\]>)]")
_STARTS = re.compile(_PREFIX + r"(?:fatal\s+)?error\b(?!-)")  # "Error reading file ..."
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception): ")  # "ValueError: bad value"
# Lines that only look like errors: counts of none, and the word in settings and names.
_HARMLESS = re.compile(
    r"(?:errors?|fatal|exception)\s*[:=|]?\s*(?:0|none|no|false|n/a)\s*(?:$|[,;.)\]])"
    r"|error[- _]?(?:correct|handl|level|log|report|threshold|metric|diffusion|bound|toleran)"
)
_NONE = re.compile(r"\b(?:no|0|zero|without)\s+(?:\w+\s+)?errors?\b")
_COUNTS = ("no", "0", "zero", "without")  # what _NONE needs, found fast

_PERCENT = re.compile(r"(?<![\w.%])(\d{1,3}(?:\.\d+)?) ?%(?![\w%])")
# A percent is progress when the line says so, or when the percent leads its message.
_PROGRESS_WORDS = re.compile(
    r"progress|\bdone\b|complete|render|finish|process|sav(?:e|ing)|export|bak(?:e|ing)"
    r"|writ(?:e|ing)|encod|\bpass\b|frame|sample|tile|bucket|converge|elapsed|\beta\b|remain"
)
_LEADS = re.compile(_PREFIX + r"(?:\[[=#>\-. ]*\]\s*)?\d{1,3}(?:\.\d+)? ?%")
# Percentages of something else: resources, settings, ratios (lower case).
_NOT_PROGRESS = re.compile(
    r"cpu|memory|mem[: ]|vram| ram|gpu|disk|battery|util|usage|noise|thresh|quality|compress"
    r"|scale|zoom|opacity| ratio| free| used|bandwidth|efficien|probab"
)


def is_error(line: str) -> bool:
    """Whether a line is an obvious error."""
    lower = line.lower()
    found = (
        _WORDS.search(lower) is not None
        and (
            _LEVEL.search(lower) is not None
            or _STARTS.match(lower) is not None
            or ("Error: " in line or "Exception: " in line)
            and _EXCEPTION.search(line) is not None
        )
    ) or (
        _contains_any(lower, _CRASHES) or ("killed" in lower and _KILLED.search(lower) is not None)
    )
    return (
        found
        and not _contains_any(lower, _HEADLESS)
        and _HARMLESS.search(lower) is None
        and not (_contains_any(lower, _COUNTS) and _NONE.search(lower))
    )


def _contains_any(text: str, words: tuple[str, ...]) -> bool:
    for word in words:  # noqa: SIM110 (a loop: twice as fast as any() over a generator)
        if word in text:
            return True
    return False


def percent_of(line: str) -> float | None:
    """The progress percentage a line gives (0..100), or None."""
    match = _PERCENT.search(line)
    if match is None or float(match[1]) > 100:
        return None
    lower = line.lower()
    if _NOT_PROGRESS.search(lower) is None and (
        _PROGRESS_WORDS.search(lower) is not None or _LEADS.match(lower) is not None
    ):
        return float(match[1])
    return None

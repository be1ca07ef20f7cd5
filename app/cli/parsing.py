"""Argument parsing shared by the verbs: argparse types, the shared options, usage errors."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from app.core.errors import SpecError
from app.core.patterns import compile_pattern

PROG = "corral"
SERVER_HELP = (
    "server URL (default: $CORRAL_SERVER, else this machine's at http://127.0.0.1:51000 if it "
    "answers, else the one the local network announces: $CORRAL_FARM_NAME picks among farms)"
)
TOKEN_HELP = (
    "API token (default: $CORRAL_TOKEN, else the OS keyring's, else for a server on this machine "
    "its default data folder's admin-token)"
)
CA_FILE_HELP = "verify an https server with this CA certificate file (default: the system's)"
SETTINGS_HELP = 'values are JSON when they parse (120, true, {"/gpu/": 10}), else text'


class UsageError(Exception):
    """A usage problem found after parsing: reported like argparse's own errors (exit 2)."""


# -- types -------------------------------------------------------------------------------------

_FRAMES_RE = re.compile(r"^\s*(-?\d+)(?:\s*-\s*(-?\d+))?(?:\s*x\s*(\d+))?\s*$")


def parse_frames(text: str) -> tuple[int, int, int]:
    """``"1-100"`` → (1, 100, 1); ``"1-100x2"`` → (1, 100, 2); ``"7"`` → (7, 7, 1)."""
    match = _FRAMES_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: expected FIRST-LAST or FIRST-LASTxSTEP, e.g. 1-100x2"
        )
    first = int(match[1])
    last = int(match[2]) if match[2] is not None else first
    step = int(match[3]) if match[3] is not None else 1
    if last < first:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: the last frame is before the first "
            f"(write it FIRST-LAST: {last}-{first})"
        )
    if step < 1:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: the step must be >= 1 (e.g. {first}-{last}x1)"
        )
    return first, last, step


_SETTING_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _no_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity stay text


def parse_setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` → (key, value): the value as JSON when it parses, else as text.

    ``priority=120`` → 120, ``offline=true`` → True, ``pools={"/gpu/":10}`` → a dict,
    ``hosts_mask=gpu`` → "gpu", ``annotation=`` → "".
    """
    key, sep, value = text.partition("=")
    if not sep or not _SETTING_KEY_RE.match(key):
        raise argparse.ArgumentTypeError(
            f"invalid setting {text!r}: expected KEY=VALUE, e.g. priority=120"
        )
    try:
        return key, json.loads(value, parse_constant=_no_json_constant)
    except (ValueError, RecursionError):
        return key, value


def settings_dict(pairs: Iterable[tuple[str, Any]]) -> dict:
    """The (key, value) pairs from parse_setting as one dict; a key given twice is an error."""
    settings: dict = {}
    for key, value in pairs:
        if key in settings:
            raise UsageError(f"{key} is given twice")
        settings[key] = value
    return settings


def _number(convert: Callable[[str], float], what: str, lo: float, hi: float | None = None):
    """An argparse type: text converted by convert, within lo..hi."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            limit = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: must be {limit}")
        return value

    return parse


def regex(text: str) -> str:
    """An argparse type: a regular expression (checked here, matched by the server)."""
    if not text:
        raise argparse.ArgumentTypeError("invalid regular expression: it is empty")
    try:
        compile_pattern(text, "mask")
    except SpecError as exc:
        message = f"invalid regular expression {text!r}: {exc.message}"
        raise argparse.ArgumentTypeError(message) from None
    return text


def _key_value(what: str):
    """An argparse type: ``NAME=VALUE`` → (name, value), both stripped and not empty."""

    def parse(text: str) -> tuple[str, str]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
        return name.strip(), value.strip()

    return parse


program = _key_value("NAME=COMMAND")
option = _key_value("KEY=VALUE")
port = _number(int, "port", 0, 65535)
positive_int = _number(int, "number", 1)
limit = _number(int, "limit (0: no limit)", 0)
block_number = _number(int, "block number", 0)
task_number = _number(int, "task number", 0)
seconds = _number(float, "number of seconds", 0)


# -- shared options ----------------------------------------------------------------------------


def json_option() -> argparse.ArgumentParser:
    """The parent parser of the verbs that print an answer: ``--json`` after the verb too."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the raw JSON answer (for scripts)",
    )
    return parent


def client_options() -> argparse.ArgumentParser:
    """The parent parser of the client verbs: ``--json``, ``--server``, ``--token`` and
    ``--ca-file`` after the verb too."""
    common = argparse.ArgumentParser(add_help=False, parents=[json_option()])
    add_server(common)
    add_credentials(common)
    return common


def add_server(p: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    """``--server URL`` after the verb; when absent, the one before the verb (or none) holds."""
    p.add_argument("--server", metavar="URL", default=default, help=SERVER_HELP)


def add_credentials(p: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    """``--token`` and ``--ca-file``: as ``--server``, after the verb or before it."""
    p.add_argument("--token", metavar="TOKEN", default=default, help=TOKEN_HELP)
    p.add_argument("--ca-file", metavar="FILE", default=default, help=CA_FILE_HELP)


def logging_options() -> argparse.ArgumentParser:
    """The parent parser of the long-running verbs: ``--log-level``."""
    logging_opts = argparse.ArgumentParser(add_help=False)
    logging_opts.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (default: info)",
    )
    return logging_opts


def add_mask(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--mask",
        type=regex,
        metavar="REGEX",
        help=f"act on every {what} whose whole name matches REGEX (instead of naming them)",
    )


def add_settings(p: argparse.ArgumentParser, nargs: str = "+") -> None:
    """The ``KEY=VALUE ...`` settings of a ``set`` (or ``add``) verb, parsed by parse_setting."""
    p.add_argument(
        "settings", nargs=nargs, type=parse_setting, metavar="KEY=VALUE", help=SETTINGS_HELP
    )

"""The ``corral`` command: its parser, made of each verb group's verbs, and ``main``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from app import __version__
from app.api import CorralError
from app.cli import (
    completion,
    dcc,
    doctor,
    farm,
    jobs,
    modes,
    parse_log,
    parsing,
    server_admin,
    servers,
    services,
    setup,
    submit,
)
from app.cli.output import print_error
from app.cli.parsing import UsageError


def build_parser() -> argparse.ArgumentParser:
    common = parsing.client_options()
    parser = argparse.ArgumentParser(
        prog=parsing.PROG,
        description="Corral render farm manager: server, render client and command line.",
        epilog="Run 'corral VERB --help' for the options of one verb.",
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    parser.add_argument(
        "--json", action="store_true", default=False, help="print raw JSON (for scripts)"
    )
    parsing.add_server(parser, default=None)
    parsing.add_credentials(parser, default=None)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    server, render = modes.add_verbs(verbs)
    submit.add_verbs(verbs, common)
    jobs.add_verbs(verbs, common)
    services.add_verbs(verbs, common)
    parse_log.add_verbs(verbs)
    dcc.add_verbs(verbs)
    servers.add_verbs(verbs)
    setup.add_verbs(verbs)
    farm.add_verbs(verbs, common, render)
    server_admin.add_verbs(server, common)
    doctor.add_verbs(verbs, common)
    completion.add_verbs(verbs)
    return parser


def split_command(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Split ``argv`` at the first ``--``: (options, command words or None)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line (raises SystemExit like argparse). For ``submit``, the words after
    ``--`` are the command, in ``args.command``."""
    argv = list(argv)
    parser = build_parser()
    head, command = split_command(argv)
    args = parser.parse_args(head)
    if args.verb == "submit":
        args.command = command
    elif command is not None:
        args = parser.parse_args(argv)  # no other verb takes "--": let argparse judge
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``corral`` command; return its exit code (0 ok, 1 error, 2 usage error). With
    no arguments on a machine with a display (a double click, the desktop entry): ``up``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and modes.has_display():
        argv = ["up"]
    if argv[:1] == [completion.COMPLETE_VERB]:
        return completion.complete(build_parser(), argv[1:])
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        return args.func(args)
    except UsageError as exc:
        args.usage_parser.print_usage(sys.stderr)
        print(f"{args.usage_parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except CorralError as exc:
        print_error(exc.detail())
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # corral jobs | head
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1

"""``corral parse SERVICE FILE``: run a service's parser over a saved log, as a render would
(the same decoding and batches), and say what it found: percent, frame, warnings, errors, files
and the verdict (exit status 0 when the output says the task is fine, 1 when it failed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli import parsing
from app.cli.output import format_fields, print_answer
from app.cli.parsing import UsageError


def add_verbs(verbs: Any) -> None:
    p = verbs.add_parser(
        "parse",
        parents=[parsing.json_option()],
        help="run a service's parser over a saved log (for TDs debugging a service)",
        description=(
            "Run the parser of SERVICE (or --parser NAME) over FILE ('-' reads standard input) "
            "as a render runs it over a task's output, and print what it found. Exit status: "
            "0 when the output says the task is fine, 1 when it failed, 2 for a usage error."
        ),
    )
    p.add_argument("service", metavar="SERVICE", help="the service whose parser reads the log")
    p.add_argument("file", metavar="FILE", help="the saved log, or - for standard input")
    p.add_argument("--parser", metavar="NAME", help="this parser instead of the service's")
    p.add_argument(
        "--frames",
        type=parsing.parse_frames,
        metavar="FIRST-LAST[xSTEP]",
        help="the task's frames (default: one frame, 0)",
    )
    p.add_argument("--plugins", metavar="DIR", help="also load the *.py plugins of DIR")
    p.set_defaults(func=cmd_parse, usage_parser=p)


def cmd_parse(args: argparse.Namespace) -> int:
    from app.parsers import PARSERS, load_parsers
    from app.parsers.stream import parse_output
    from app.services import SERVICES, load_services

    if args.plugins is not None and not Path(args.plugins).is_dir():
        raise UsageError(f"argument --plugins: {args.plugins} is not a directory")
    load_services(args.plugins)
    load_parsers(args.plugins)
    service = SERVICES.get(args.service)
    if service is None:
        raise UsageError(f"unknown service {args.service!r} ('corral services' lists them)")
    name = args.parser or service.parser
    parser_class = PARSERS.get(name)
    if parser_class is None:
        raise UsageError(f"unknown parser {name!r} ('corral services' lists them)")
    first, last, step = args.frames or (0, 0, 1)
    parser = parser_class(first, last, step)
    if args.file == "-":
        parse_output(parser, sys.stdin.buffer)
    else:
        try:
            with open(args.file, "rb") as source:
                parse_output(parser, source)
        except OSError as error:
            raise UsageError(f"cannot read {args.file}: {error.strerror or error}") from None
    report = _report(args.service, parser)
    print_answer(args, report, _text)
    return 0 if report["verdict"] == "ok" else 1


def _report(service: str, parser: Any) -> dict[str, Any]:
    problem = None if parser.success else parser.problem()
    frame = parser.frame
    return {
        "service": service,
        "parser": parser.name,
        "verdict": "failed" if problem else "ok",
        "problem": problem,
        "percent": parser.percent,
        "frame": None if frame is None else parser.frame_start + frame * parser.frames_inc,
        "frames": parser.frames,
        "frame_percent": parser.frame_percent,
        "activity": parser.activity,
        "warnings": parser.warnings,
        "errors": parser.errors,
        "dropped": parser.dropped,
        "fatal": parser.fatal,
        "bad_result": parser.bad_result,
        "success": parser.success,
        "files": parser.files,
        "resources": parser.resources,
    }


def _text(report: dict[str, Any]) -> str:
    verdict = report["verdict"] + (f": {report['problem']}" if report["problem"] else "")
    fields = format_fields(
        [
            ("service", f"{report['service']} (parser {report['parser']})"),
            ("percent", report["percent"]),
            ("frame", _frame(report)),
            ("activity", report["activity"] or None),
            ("warnings", len(report["warnings"])),
            ("errors", f"{len(report['errors'])}{' (fatal)' if report['fatal'] else ''}"),
            ("dropped", report["dropped"] or None),
            ("bad result", report["bad_result"]),
            ("files", len(report["files"])),
            ("resources", ", ".join(f"{k}={v}" for k, v in report["resources"].items()) or None),
            ("verdict", verdict),
        ]
    )
    lists = [
        f"\n{title}:\n" + "\n".join(f"  {line}" for line in report[key])
        for title, key in (("warnings", "warnings"), ("errors", "errors"), ("files", "files"))
        if report[key]
    ]
    return fields + "".join(lists)


def _frame(report: dict[str, Any]) -> str | None:
    if report["frame"] is None:
        return None
    done = f", {report['frame_percent']}% of it" if report["frame_percent"] is not None else ""
    return f"{report['frame']} ({report['frames']} in the task{done})"

"""``corral services``: the service and parser classes this host loads, and where each comes
from (built in, an entry point, a --plugins file); with --json one list, each item's ``kind``
``service`` or ``parser``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.output import print_answer, table
from app.cli.parsing import UsageError

_SERVICE_COLUMNS = (
    ("SERVICE", "name"),
    ("PARSER", "parser"),
    ("SOURCE", "source"),
    ("DESCRIPTION", "description"),
)
_PARSER_COLUMNS = (("PARSER", "name"), ("SOURCE", "source"))


def add_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser(
        "services", parents=[common], help="list the services and parsers this host has"
    )
    p.add_argument("--plugins", metavar="DIR", help="also load the *.py plugins of DIR")
    p.set_defaults(func=cmd_services, usage_parser=p)


def cmd_services(args: argparse.Namespace) -> int:
    from app.parsers import PARSERS, load_parsers
    from app.services import SERVICES, load_services

    if args.plugins is not None and not Path(args.plugins).is_dir():
        raise UsageError(f"argument --plugins: {args.plugins} is not a directory")
    load_services(args.plugins)
    load_parsers(args.plugins)
    services = [
        {
            "kind": "service",
            "name": name,
            "parser": cls.parser,
            "description": cls.description,
            "options": dict(cls.options),
            "source": source,
        }
        for name, cls, source in SERVICES.items()
    ]
    parsers = [
        {"kind": "parser", "name": name, "source": source} for name, _, source in PARSERS.items()
    ]
    return print_answer(
        args,
        services + parsers,
        lambda _: f"{table(services, _SERVICE_COLUMNS)}\n\n{table(parsers, _PARSER_COLUMNS)}",
    )

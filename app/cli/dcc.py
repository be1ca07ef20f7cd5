"""``corral plugins install|uninstall|list``: the submit plugins of Blender, Maya, Nuke and
Houdini, put where each application looks for them (app/cli/dcc_install.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.api import CorralError
from app.cli.dcc_install import APPLICATIONS, Application, install, installed, uninstall
from app.cli.output import print_answer, table
from app.cli.parsing import json_option

_COLUMNS = (("APPLICATION", "application"), ("FOLDER", "folder"), ("INSTALLED", "installed"))


def add_verbs(verbs: Any) -> None:
    common = json_option()
    group = verbs.add_parser(
        "plugins", parents=[common], help="install the submit plugins of Blender, Maya, Nuke..."
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    dest_help = "the folder to use instead of the application's own (e.g. a shared one)"
    for name, func, text in (
        ("install", cmd_install, "put an application's plugin and the client API in place"),
        ("uninstall", cmd_uninstall, "remove what install wrote"),
    ):
        p = actions.add_parser(name, parents=[common], help=text, description=text)
        p.add_argument("application", choices=sorted(APPLICATIONS))
        p.add_argument("--dest", metavar="DIR", type=Path, help=dest_help)
        p.set_defaults(func=func, usage_parser=p)
    p = actions.add_parser("list", parents=[common], help="what is installed where")
    p.add_argument("--dest", metavar="DIR", type=Path, help=dest_help)
    p.set_defaults(func=cmd_list, usage_parser=p)


def _dest(args: argparse.Namespace, app: Application) -> Path:
    return args.dest if args.dest is not None else app.default_dest()


def _report(args: argparse.Namespace, verb: str, app: Application, dest: Path, paths) -> int:
    answer = {"application": app.name, "folder": str(dest), verb: [str(p) for p in paths]}
    if not paths:
        return print_answer(args, answer, lambda _: f"no {app.name} plugin in {dest}")
    lines = [f"{verb} the {app.name} plugin in {dest}:", *(f"  {p}" for p in paths)]
    return print_answer(args, answer, lambda _: "\n".join(lines))


def cmd_install(args: argparse.Namespace) -> int:
    app = APPLICATIONS[args.application]
    dest = _dest(args, app)
    return _report(args, "installed", app, dest, install(app, dest))


def cmd_uninstall(args: argparse.Namespace) -> int:
    app = APPLICATIONS[args.application]
    dest = _dest(args, app)
    return _report(args, "removed", app, dest, uninstall(app, dest))


def cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for app in APPLICATIONS.values():
        try:
            dest = _dest(args, app)
            names = ", ".join(p.name for p in installed(app, dest)) or "-"
        except CorralError as exc:  # no folder of the application here, or no plugin
            rows.append({"application": app.name, "folder": str(exc), "installed": "-"})
            continue
        rows.append({"application": app.name, "folder": str(dest), "installed": names})
    return print_answer(args, rows, lambda _: table(rows, _COLUMNS))

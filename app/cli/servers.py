"""``corral servers``: the servers the local network announces; and which server a verb with
no address talks to (app/discovery.py's order, its problems worded as the verbs' errors)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from app.api import CorralError
from app.cli import parsing
from app.cli.output import print_list

COLUMNS = (
    ("FARM", "farm"),
    ("URL", "url"),
    ("VERSION", "version"),
    ("TLS", "tls"),
    ("ANNOUNCED AS", "instance"),
)


def add_verbs(verbs: Any) -> None:
    p = verbs.add_parser(
        "servers",
        parents=[parsing.json_option()],
        help="list the Corral servers announced on the local network",
        description="Ask the local network (mDNS/DNS-SD) which Corral servers it announces.",
    )
    p.add_argument(
        "--wait",
        type=parsing.seconds,
        default=2.0,
        metavar="S",
        help="listen for answers this long (default: 2)",
    )
    p.add_argument(
        "--farm-name", metavar="NAME", help="only this farm's servers (default: every farm)"
    )
    p.set_defaults(func=cmd_servers, usage_parser=p)


def cmd_servers(args: argparse.Namespace) -> int:
    from app.discovery import browse

    found = browse(args.wait, args.farm_name, settle=args.wait)
    items = [server.as_json() for server in found]
    return print_list(args, items, COLUMNS, "no Corral server answers on the local network")


def server_for(typed: str | None, farm_name: str | None = None, wait: bool = False) -> str:
    """The server a verb talks to: ``typed`` (``--server``), else ``$CORRAL_SERVER``, else one
    app/discovery.py finds (of ``farm_name``, else ``$CORRAL_FARM_NAME``). With ``wait`` (a
    render, which may start before its server) the network is asked until a server answers;
    without, the default address serves when none does. Several farms and none named: a
    CorralError saying what to give."""
    from app.discovery import FARM_NAME_ENV, DiscoveryError, server_url

    typed = typed or os.environ.get("CORRAL_SERVER", "").strip() or None
    farm_name = farm_name or os.environ.get(FARM_NAME_ENV, "").strip() or None
    try:
        if typed or not wait:
            return server_url(typed, farm_name)
        url = server_url(None, farm_name, fallback=None)
        if url is None:
            what = f"of the farm {farm_name!r} " if farm_name else ""
            print(f"corral: looking for a Corral server {what}on the local network...")
        while url is None:
            url = server_url(None, farm_name, fallback=None)
        return url
    except DiscoveryError as exc:
        raise CorralError(str(exc)) from None

"""``corral server config [KEY=VALUE ...]`` and ``corral server stats``: the running server's
settings, changed without a restart, and its traffic (``corral server`` alone runs a server)."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli import parsing
from app.cli.actions import client, edit
from app.cli.output import format_record, format_table, print_answer
from app.cli.parsing import settings_dict


def add_verbs(server: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """config and stats, under ``server``."""
    verbs = server.add_subparsers(dest="server_verb", metavar="ACTION", required=False)
    q = verbs.add_parser(
        "config",
        parents=[common],
        help="show or change the running server's settings (admin)",
        description="Show the running server's settings; with KEY=VALUE, change them at once "
        "(admin): log_level, heartbeat_period, zombie_time, reconnect_grace, max_queued_tasks, "
        "max_jobs_per_minute, outputs_days, runs_days, stats_days, retention_period, "
        "journal_backlog. A change is "
        "stored: after a restart it wins over the command line's flag.",
    )
    parsing.add_settings(q, nargs="*")
    q.set_defaults(func=cmd_server_config, usage_parser=q)
    q = verbs.add_parser(
        "stats",
        parents=[common],
        help="the server's traffic: requests, socket messages, bytes, connected peers",
    )
    q.set_defaults(func=cmd_server_stats, usage_parser=q)


def cmd_server_config(args: argparse.Namespace) -> int:
    changes = settings_dict(args.settings)
    api = client(args)
    answer = edit(api.edit_server_config, changes) if changes else api.server_config()
    return print_answer(args, answer, lambda a: format_record("Server settings", a.items()))


def format_stats(stats: dict) -> str:
    """The totals, then a table of each kind of count, largest first."""
    minutes = stats.get("uptime", 0) / 60
    head = format_record(
        f"Server traffic, {minutes:.1f} minutes",
        [
            ("bytes in", stats.get("bytes_in")),
            ("bytes out", stats.get("bytes_out")),
            ("connections", stats.get("connections")),
            ("renders", stats.get("renders")),
            ("monitors", stats.get("monitors")),
            ("decisions", stats.get("decisions")),
            ("decisions/s", f"{stats.get('decisions_per_second', 0):.1f}"),
        ],
    )
    parts = [head]
    for key, header in (
        ("requests", "REQUEST"),
        ("messages_in", "MESSAGE IN"),
        ("messages_out", "MESSAGE OUT"),
    ):
        counts: dict[str, Any] = stats.get(key) or {}
        rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if rows:
            parts.append(format_table([header, "COUNT"], rows))
    return "\n\n".join(parts)


def cmd_server_stats(args: argparse.Namespace) -> int:
    return print_answer(args, client(args).server_stats(), format_stats)

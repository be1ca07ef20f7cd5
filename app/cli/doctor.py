"""``corral doctor``: checks a farm from where you sit and says how to fix what is wrong.

Each check gives a finding: ``ok``, ``warning`` or ``problem``, what was found, and the fix. The
checks: the server is reachable, the token is valid, versions match (this command, the server,
every online render), renders are online with capacity, the database commits, the data folder
has disk space, and the clocks of this host and of the renders agree with the server's. The exit
status is 1 when any finding is a problem, else 0.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Any

from app import __version__
from app.api import Client, CorralError
from app.cli.actions import client
from app.cli.output import print_json, terminal

OK, WARNING, PROBLEM = "ok", "warning", "problem"
MAX_SKEW = 5.0  # seconds a clock may differ from the server's
LOW_DISK_BYTES = 2 * 2**30  # free bytes of the data folder below which it is a problem
LOW_DISK_SHARE = 0.05  # ... or free share of its disk
_MARKS = {OK: ("ok", "green"), WARNING: ("warn", "yellow"), PROBLEM: ("FAIL", "bold red")}


def add_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser(
        "doctor",
        parents=[common],
        help="check the farm: server, token, versions, renders, database, disk, clocks",
        description="Check the farm from this host: the server is reachable, the token is "
        "valid, versions match, renders are online with capacity, the database commits, the "
        "data folder has disk space, clocks agree. Each finding comes with its fix.",
        epilog="Exit status: 0 when nothing is a problem (warnings allowed), 1 otherwise.",
    )
    p.set_defaults(func=cmd_doctor)


def finding(check: str, status: str, message: str, fix: str = "") -> dict:
    return {"check": check, "status": status, "message": message, "fix": fix}


def examine(farm: Client, now=time.time) -> Iterator[dict]:
    """The findings on the farm farm talks to, one check after the other; the checks that need
    the server are left out when it cannot be reached."""
    sent = now()
    try:
        health = farm.health()
    except CorralError as exc:
        yield finding(
            "server",
            PROBLEM,
            exc.message,
            "start the server ('corral server', or 'corral up' on one machine), or give its "
            "URL with --server URL or $CORRAL_SERVER",
        )
        return
    received = now()
    yield finding("server", OK, f"{farm.server} answers (Corral {health.get('version')})")
    yield _version(health)
    yield _database(health)
    yield _clock("this host", health.get("time"), (sent + received) / 2)
    try:
        who = farm.whoami()
    except CorralError as exc:
        yield finding(
            "token",
            PROBLEM,
            exc.message.partition(" (give the token")[0],
            f"give a valid token for {farm.server} with --token or $CORRAL_TOKEN (an admin "
            "makes one with 'corral users add NAME' or 'corral users token NAME')",
        )
        return
    yield finding("token", OK, f"valid: user {who.get('name')} (role {who.get('role')})")
    yield from _renders(farm.renders(), health.get("version"))
    yield _disk(farm.server_stats().get("data_disk") or {})


def _version(health: dict) -> dict:
    theirs = health.get("version")
    if theirs == __version__:
        return finding("versions", OK, f"this command and the server run Corral {theirs}")
    return finding(
        "versions",
        WARNING,
        f"this command is Corral {__version__}, the server Corral {theirs}",
        f"install Corral {theirs} on this host",
    )


def _database(health: dict) -> dict:
    if not health.get("degraded"):
        return finding("database", OK, "the server commits its changes")
    return finding(
        "database",
        PROBLEM,
        f"the server cannot commit changes: {health['degraded']}",
        "free disk space in the server's data folder or bring its database back; the server "
        "retries on its own and refuses changes meanwhile",
    )


def _clock(host: str, theirs: Any, ours: float) -> dict:
    if not isinstance(theirs, (int, float)):
        return finding("clock", WARNING, f"{host}: the server does not tell its time", "")
    skew = round(ours - theirs, 1) + 0.0  # never "-0.0"
    if abs(skew) <= MAX_SKEW:
        return finding("clock", OK, f"{host}: {skew:+.1f} s from the server's clock")
    return finding(
        "clock",
        PROBLEM,
        f"{host}: {skew:+.0f} s from the server's clock (at most {MAX_SKEW:g} s)",
        f"synchronise the clock of {host} and the server with NTP (chrony, "
        "systemd-timesyncd or the OS's time service)",
    )


def _renders(renders: list[dict], server_version: Any) -> Iterator[dict]:
    online = [r for r in renders if r.get("online")]
    if not online:
        yield finding(
            "renders",
            PROBLEM,
            f"no render is online ({len(renders)} known)",
            "start a render on each farm host: 'corral render --server URL' (or 'corral up' "
            "on one machine)",
        )
        return
    usable = [r for r in online if not r.get("paused") and r.get("nimby") != "NIMBY"]
    free = [r for r in usable if (r.get("capacity") or 0) > (r.get("capacity_used") or 0)]
    message = f"{len(online)} online, {len(usable)} taking tasks, {len(free)} with free capacity"
    if not usable:
        nimby = " ".join(r["name"] for r in online if r.get("nimby") == "NIMBY")
        paused = " ".join(r["name"] for r in online if r.get("paused"))
        fixes = [f"corral render-ctl free {nimby}"] if nimby else []
        fixes += [f"corral render-ctl unpause {paused}"] if paused else []
        yield finding("renders", PROBLEM, message, "let them take tasks: " + "; ".join(fixes))
    else:
        yield finding("renders", OK, message)
    for render in online:
        host = render.get("host") or {}
        if host.get("version") not in (None, server_version):
            yield finding(
                "versions",
                PROBLEM,
                f"render {render['name']} runs Corral {host.get('version')}, the server "
                f"Corral {server_version}",
                f"install Corral {server_version} on {render['name']} and restart its render",
            )
        if "time" in host and render.get("time_registered"):
            yield _clock(f"render {render['name']}", render["time_registered"], host["time"])


def _disk(disk: dict) -> dict:
    free, total = disk.get("free_bytes"), disk.get("total_bytes")
    if not isinstance(free, int) or not total:
        return finding("disk", WARNING, "the server does not tell its disk space", "")
    text = f"the data folder's disk has {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB"
    if free < LOW_DISK_BYTES or free < LOW_DISK_SHARE * total:
        return finding(
            "disk",
            PROBLEM,
            text,
            "free space on the server's data folder (old outputs: see 'corral server config' "
            "for the days kept), or move it to a larger disk",
        )
    return finding("disk", OK, text)


def cmd_doctor(args: argparse.Namespace) -> int:
    found = list(examine(client(args)))
    code = 1 if any(f["status"] == PROBLEM for f in found) else 0
    if args.json:
        print_json(found)
        return code
    console = terminal()
    for item in found:
        mark, style = _MARKS[item["status"]]
        lines = [(f"{mark:<4}  {item['check']:<8}  ", style), (item["message"], "")]
        if item["fix"]:
            lines.append((f"\n{'':<4}  {'fix:':<8}  {item['fix']}", "dim"))
        if console is None:
            print("".join(text for text, _ in lines))
        else:
            from rich.text import Text

            console.print(Text.assemble(*lines))
    return code

"""The farm verbs: users, renders and pools: list them, change their settings, act on renders;
give users their tokens."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli import parsing, watch
from app.cli.actions import act_on_selection, client, edit
from app.cli.output import cell, format_record, format_time, print_answer, print_list, table
from app.cli.parsing import UsageError, settings_dict
from app.protocol import RENDER_ACTIONS

_RENDER_ACTIONS_DONE = {
    "nimby": "set to nimby",
    "NIMBY": "set to NIMBY",
    "free": "set free",
    "pause": "paused",
    "unpause": "unpaused",
    "eject": "ejected",
    "eject-not-mine": "ejected (tasks of other users)",
    "exit": "told to exit",
    "delete": "deleted",
    "sleep": "told to sleep",
    "wake": "told to wake",
    "heal-sick": "healed (no longer sick)",
}


def add_verbs(verbs: Any, common: argparse.ArgumentParser, render: argparse.ArgumentParser) -> None:
    """The farm verbs; ``render set`` goes under ``render``, which runs a render client when no
    sub-verb is given."""
    p = verbs.add_parser(
        "users",
        parents=[common],
        help="list users (or 'users add|token|revoke': their tokens)",
        description="List users. With add, token or revoke, manage their API tokens (admin).",
    )
    p.set_defaults(func=cmd_users)
    token_verbs = p.add_subparsers(dest="users_verb", metavar="ACTION", required=False)
    q = token_verbs.add_parser(
        "add",
        parents=[common],
        help="add a user with a token (printed once)",
        description="Add a user and print their new API token: it is shown only this once.",
    )
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", choices=("user", "admin"), default="user", help="default: user")
    q.set_defaults(func=cmd_users_add)
    q = token_verbs.add_parser(
        "token",
        parents=[common],
        help="give a user a new token (printed once; the old one stops working)",
    )
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=cmd_users_token)
    q = token_verbs.add_parser("revoke", parents=[common], help="end a user's token")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=cmd_users_revoke)
    p = verbs.add_parser("user", parents=[common], help="change a user's settings")
    user_verbs = p.add_subparsers(dest="user_verb", metavar="ACTION", required=True)
    q = user_verbs.add_parser(
        "set",
        parents=[common],
        help="change settings: priority, max_running_tasks, ...",
        description="Change a user's settings (admin): priority, max_running_tasks, "
        "max_queued_tasks and max_jobs_per_minute (quotas: -1 the server's default, 0 no "
        "limit), hosts_mask, errors_retries, ...",
    )
    q.add_argument("name", metavar="NAME")
    parsing.add_settings(q)
    q.set_defaults(func=cmd_user_set, usage_parser=q)

    render_verbs = render.add_subparsers(dest="render_verb", metavar="ACTION", required=False)
    q = render_verbs.add_parser(
        "set",
        parents=[common],
        help="change a render's settings",
        description="Change a render's settings: user_name, nimby, paused, priority, pool, "
        "services_disabled.",
    )
    q.add_argument("name", metavar="NAME")
    parsing.add_settings(q)
    q.set_defaults(func=cmd_render_set, usage_parser=q)

    p = verbs.add_parser("renders", parents=[common], help="list renders (--watch: live)")
    p.add_argument(
        "--watch",
        action="store_true",
        help="draw the list again every --every seconds until interrupted (with --json: a "
        "line of JSON per change)",
    )
    p.add_argument(
        "--every",
        type=parsing.seconds,
        default=watch.WATCH_EVERY,
        metavar="SECONDS",
        help=f"with --watch, look again every SECONDS (default: {watch.WATCH_EVERY:g})",
    )
    p.set_defaults(func=cmd_renders)
    p = verbs.add_parser(
        "render-ctl",
        parents=[common],
        help="act on renders: nimby, NIMBY, free, pause, unpause, eject, exit, delete, heal-sick",
        description="Act on renders. nimby: only the render's user's jobs start there; "
        "NIMBY: no new task starts; free: both off; eject: stop its tasks (ready again); "
        "eject-not-mine: those of other users; exit: the render client exits; delete: forget "
        "an offline render; heal-sick: a render made sick by errors from many users (it gets no "
        "task, so no success can heal it) takes tasks again.",
    )
    p.add_argument("action", choices=RENDER_ACTIONS, metavar="ACTION")
    p.add_argument("names", nargs="*", metavar="NAME")
    parsing.add_mask(p, "render")
    p.set_defaults(func=cmd_render_ctl, usage_parser=p)

    p = verbs.add_parser("pools", parents=[common], help="list pools with their effective settings")
    p.set_defaults(func=cmd_pools)
    p = verbs.add_parser("pool", parents=[common], help="add, change or delete a pool")
    pool_verbs = p.add_subparsers(dest="pool_verb", metavar="ACTION", required=True)
    q = pool_verbs.add_parser(
        "add",
        parents=[common],
        help="add a pool: pool add /gpu/ pattern=gpu.* capacity_host=2000",
        description="Add a pool (its parent must exist). Renders whose names fully match its "
        "pattern move into it. Settings not given are inherited (-1).",
    )
    q.add_argument("path", metavar="PATH", help="pool path, e.g. /gpu/ or /gpu/big/")
    parsing.add_settings(q, nargs="*")
    q.set_defaults(func=cmd_pool_add, usage_parser=q)
    q = pool_verbs.add_parser(
        "set",
        parents=[common],
        help="change a pool's settings: capacity_host=2000 ...",
        description="Change a pool's settings: pattern, priority, paused, capacity_host, "
        "max_tasks_host, power_host, properties_host, services, services_disabled, "
        "heartbeat_period, zombie_time, sick_errors_count, tickets_pool, tickets_host, "
        "annotation. -1 (or empty) inherits from the parent pool.",
    )
    q.add_argument("path", metavar="PATH")
    parsing.add_settings(q)
    q.set_defaults(func=cmd_pool_set, usage_parser=q)
    q = pool_verbs.add_parser(
        "delete",
        parents=[common],
        help="delete a pool without child pools (its renders go to the next pool matching them)",
    )
    q.add_argument("path", metavar="PATH")
    q.set_defaults(func=cmd_pool_delete)


# -- users -------------------------------------------------------------------------------------


def _limit(value: Any) -> Any:
    """-1 (no limit) as ``-``."""
    return None if isinstance(value, int) and value < 0 else value


def _need(value: Any) -> Any:
    return f"{value:.1f}" if isinstance(value, (int, float)) else value


def _quota(used: Any, limit: Any) -> Any:
    """A quota's use and limit, as ``USED/LIMIT``; its use alone without a limit (0)."""
    return f"{used}/{limit}" if limit else used


_USER_COLUMNS = (
    ("NAME", "name"),
    ("PRI", "priority"),
    ("RUN", lambda user: user.get("running_tasks", 0)),
    ("MAX_RUN", lambda user: _limit(user.get("max_running_tasks"))),
    ("QUEUED", lambda user: _quota(user.get("queued_tasks"), user.get("queued_tasks_limit"))),
    (
        "JOBS/MIN",
        lambda user: _quota(user.get("jobs_last_minute"), user.get("jobs_per_minute_limit")),
    ),
    ("SOLVE", "solve_method"),
    ("NEED", lambda user: _need(user.get("need"))),
)


def cmd_users(args: argparse.Namespace) -> int:
    return print_list(args, client(args).users(), _USER_COLUMNS, "No users.")


def _user_value(key: str, value: Any) -> Any:
    if key.startswith("time_"):
        return format_time(value)
    return None if value == "" else value


def format_user(user: dict) -> str:
    pairs = ((k, _user_value(k, v)) for k, v in user.items() if k != "name")
    return format_record(f"User {user.get('name')}", pairs)


def cmd_user_set(args: argparse.Namespace) -> int:
    user = edit(client(args).edit_user, args.name, settings_dict(args.settings))
    return print_answer(args, user, format_user)


def format_new_token(answer: dict, done: str) -> str:
    """Whose new token it is, then the token alone on the last line."""
    return (
        f"User {answer.get('name')} (role {answer.get('role')}) {done}.\n"
        f"Token, shown only this once:\n{answer.get('token')}"
    )


def cmd_users_add(args: argparse.Namespace) -> int:
    answer = client(args).add_user(args.name, role=args.role)
    return print_answer(args, answer, lambda a: format_new_token(a, "added"))


def cmd_users_token(args: argparse.Namespace) -> int:
    answer = client(args).issue_token(args.name)
    return print_answer(args, answer, lambda a: format_new_token(a, "has a new token"))


def cmd_users_revoke(args: argparse.Namespace) -> int:
    client(args).revoke_token(args.name)
    return print_answer(args, {"ok": True}, lambda _: f"Token of {args.name} revoked")


# -- renders -----------------------------------------------------------------------------------


def _render_tasks(render: dict) -> Any:
    running = render.get("tasks", render.get("running", render.get("tasks_running")))
    if isinstance(running, (list, tuple, dict)):
        running = len(running)
    limit = render.get("max_tasks")
    if running is None:
        return limit
    return f"{running}/{limit}" if limit is not None else running


def _render_capacity(render: dict) -> Any:
    used = render.get("capacity_used")
    total = render.get("capacity")
    if used is None:
        return total
    return f"{used}/{total}" if total is not None else used


_RENDER_COLUMNS = (
    ("NAME", "name"),
    ("STATE", "state"),
    ("TASKS", _render_tasks),
    ("CAPACITY", _render_capacity),
    ("NIMBY", "nimby"),
    ("PAUSED", "paused"),
    ("POOL", "pool"),
    ("USER", lambda render: render.get("user_name") or None),
)


def cmd_renders(args: argparse.Namespace) -> int:
    if args.watch:
        return watch.watch_renders(args, _RENDER_COLUMNS)
    return print_list(args, client(args).renders(), _RENDER_COLUMNS, "No renders.")


def cmd_render_ctl(args: argparse.Namespace) -> int:
    renders_client = client(args)
    action = args.action

    def act(name: str) -> dict:
        return renders_client.render_action(name, action)

    def act_by_mask(mask: str) -> list:
        return renders_client.renders_action(action, mask=mask).get("renders") or []

    done = _RENDER_ACTIONS_DONE.get(action, action)
    return act_on_selection(args, args.names, act, act_by_mask, "Render", done)


def format_render(render: dict) -> str:
    return format_record(
        f"Render {render.get('name')}",
        [
            ("state", render.get("state")),
            ("user", render.get("user_name") or None),
            ("nimby", render.get("nimby")),
            ("paused", render.get("paused")),
            ("priority", render.get("priority")),
            ("pool", render.get("pool")),
            ("services disabled", render.get("services_disabled")),
            ("tasks", _render_tasks(render)),
            ("capacity", _render_capacity(render)),
        ],
    )


def cmd_render_set(args: argparse.Namespace) -> int:
    render = edit(client(args).edit_render, args.name, settings_dict(args.settings))
    return print_answer(args, render, format_render)


# -- pools -------------------------------------------------------------------------------------


def _some_names(names: Any, shown: int = 4) -> Any:
    """At most ``shown`` names, then ``+N``: a pool may hold hundreds of renders."""
    if not isinstance(names, list) or len(names) <= shown:
        return names
    return names[:shown] + [f"+{len(names) - shown}"]


_POOL_COLUMNS = (
    ("PATH", "path"),
    ("CAPACITY", "capacity_host"),
    ("MAX_TASKS", "max_tasks_host"),
    ("PRIORITY", "priority"),
    ("PAUSED", "paused"),
    ("SERVICES", "services"),
    ("DISABLED", "services_disabled"),
    ("RENDERS", lambda pool: _some_names(pool.get("renders"))),
)


def pool_list(answer: dict) -> list[dict]:
    """The pools of a pools-tree answer (Client.pools) as a list, parents before their children
    (sorted paths keep subtrees together): each pool's effective settings with its ``path``, its
    own ``settings`` (-1: inherited) and its ``tickets_used``."""
    own, tickets = answer.get("pools") or {}, answer.get("tickets") or {}
    return [
        {**pool, "path": path, "settings": own.get(path, {}), "tickets_used": tickets.get(path, {})}
        for path, pool in sorted((answer.get("effective") or {}).items())
    ]


def format_pools(pools: list[dict]) -> str:
    return table(pools, _POOL_COLUMNS)


def pool_key(path: str) -> str:
    """``/gpu/`` from ``gpu``, ``/gpu`` or ``/gpu/``, as the server names pools."""
    inner = path.strip("/")
    return f"/{inner}/" if inner else "/"


def format_pool(pool: dict) -> str:
    """One pool of pool_list: its pattern and effective settings, ``(inherited)`` where its own
    is -1."""
    key, own = pool.get("path"), pool.get("settings")
    if not isinstance(own, dict):
        return f"Pool {key}"

    def value(name: str) -> Any:
        if own.get(name) == -1 and key != "/":
            return f"{cell(pool.get(name))} (inherited)"
        return pool.get(name)

    return format_record(
        f"Pool {key}",
        [
            ("pattern", own.get("pattern") or None),
            ("capacity", value("capacity_host")),
            ("max tasks", value("max_tasks_host")),
            ("priority", pool.get("priority")),
            ("paused", pool.get("paused")),
            ("properties", pool.get("properties") or None),
            ("services", pool.get("services")),
            ("disabled", pool.get("services_disabled")),
            ("heartbeat", value("heartbeat_period")),
            ("zombie time", value("zombie_time")),
            ("renders", pool.get("renders")),
            ("annotation", own.get("annotation") or None),
        ],
    )


def cmd_pools(args: argparse.Namespace) -> int:
    return print_answer(args, pool_list(client(args).pools()), format_pools)


def _print_pool(args: argparse.Namespace, answer: dict) -> int:
    """The pool of args.path in the tree the server answered, as pool_list shows each pool."""
    key = pool_key(args.path)
    pool = next((p for p in pool_list(answer) if p["path"] == key), {"path": key})
    return print_answer(args, pool, format_pool)


def cmd_pool_add(args: argparse.Namespace) -> int:
    settings = settings_dict(args.settings)
    if "path" in settings:
        raise UsageError("the pool's path is PATH, not a setting")
    return _print_pool(args, edit(client(args).add_pool, args.path, settings))


def cmd_pool_set(args: argparse.Namespace) -> int:
    settings = settings_dict(args.settings)
    return _print_pool(args, edit(client(args).edit_pool, args.path, settings))


def cmd_pool_delete(args: argparse.Namespace) -> int:
    return print_answer(
        args, client(args).delete_pool(args.path), lambda _: f"Pool {pool_key(args.path)} deleted"
    )

"""Shell completion: ``corral completion bash|zsh|fish`` prints the script a shell sources, and
the script asks ``corral __complete WORD...`` (the words typed after ``corral``, the last one
being completed) for the candidates, one per line.

Verbs, actions, options and choices come from the argument parser itself; job ids, render
names, user names and services come from the server, asked with a short timeout. When the server
cannot be reached the answer is just shorter: completion never prints an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from app.api import Client, CorralError
from app.cli import parsing
from app.cli.output import print_json

COMPLETE_VERB = "__complete"  # the hidden verb the scripts call (not a verb of the parser)
SERVER_TIMEOUT = 1.0  # seconds a completion waits for the server at most
SHELLS = ("bash", "zsh", "fish")

_SCRIPTS = {
    "bash": """# corral completion for bash: source <(corral completion bash)
_corral() {
    local IFS=$'\\n'
    COMPREPLY=($(corral __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _corral corral
""",
    "zsh": """#compdef corral
# corral completion for zsh: source <(corral completion zsh) after compinit
_corral() {
    local -a candidates
    candidates=("${(@f)$(corral __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -- "${(@)candidates:#}"
}
compdef _corral corral
""",
    "fish": """# corral completion for fish: corral completion fish | source
function __corral_complete
    set -l words (commandline -opc) (commandline -ct)
    corral __complete $words[2..-1] 2>/dev/null
end
complete -c corral -f -a '(__corral_complete)'
""",
}


def add_verbs(verbs: Any) -> None:
    p = verbs.add_parser(
        "completion",
        parents=[parsing.json_option()],
        help="print the shell completion script for bash, zsh or fish",
        description="Print the completion script of SHELL. bash: add "
        "'source <(corral completion bash)' to ~/.bashrc; zsh: add "
        "'source <(corral completion zsh)' to ~/.zshrc after compinit; fish: "
        "'corral completion fish > ~/.config/fish/completions/corral.fish'. Job ids, render "
        "names and services are completed from the server ($CORRAL_SERVER, or --server typed "
        'before them). With --json: {"shell", "script"}.',
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(func=cmd_completion)


def cmd_completion(args: argparse.Namespace) -> int:
    if args.json:
        print_json({"shell": args.shell, "script": _SCRIPTS[args.shell]})
    else:
        sys.stdout.write(_SCRIPTS[args.shell])
    return 0


# -- the candidates ------------------------------------------------------------------------------


def _server_names(kind: str) -> Callable[[Client], list[str]]:
    """What the server lists of kind: job ids, render names, user names or services."""

    def names(farm: Client) -> list[str]:
        if kind == "jobs":
            return [str(job["id"]) for job in farm.jobs()]
        if kind == "renders":
            return [render["name"] for render in farm.renders()]
        if kind == "users":
            return [user["name"] for user in farm.users()]
        return farm.services()

    return names


def _server_kind(path: Sequence[str], dest: str) -> str | None:
    """What a positional argument names, by its verb path and dest: jobs, renders, users,
    services or None (nothing the server lists)."""
    if dest in ("id", "ids", "job"):
        return "jobs"
    if dest == "service":
        return "services"
    if dest in ("name", "names") and path and path[0] in ("render", "render-ctl"):
        return "renders"
    if dest == "name" and path and path[0] in ("user", "users"):
        return "users"
    return None


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _option_values(action: argparse.Action) -> int:
    """How many words follow the option (0 for flags, 1 otherwise)."""
    return 0 if action.nargs == 0 else 1


def candidates(parser: argparse.ArgumentParser, words: Sequence[str]) -> list[str]:
    """The completions of words[-1] after the words before it (those typed after ``corral``)."""
    *before, current = words or [""]
    path: list[str] = []
    positionals: list[str] = []
    server: dict[str, str] = {}
    pending: argparse.Action | None = None
    for word in before:
        if pending is not None:
            if pending.dest in ("server", "token", "ca_file"):
                server[pending.dest] = word
            pending = None
            continue
        if word.startswith("-") and word != "-":
            action = parser._option_string_actions.get(word.partition("=")[0])
            if action is not None and "=" not in word and _option_values(action):
                pending = action
            continue
        sub = _subparsers(parser)
        if sub is not None and not positionals and word in sub.choices:
            parser, positionals = sub.choices[word], []
            path.append(word)
            continue
        positionals.append(word)
    if pending is not None:
        found = _values(pending, path, server)
    elif current.startswith("-"):
        found = [o for o in parser._option_string_actions if o.startswith("--")]
    else:
        found = _positional_candidates(parser, path, positionals, server)
    return list(dict.fromkeys(c for c in found if c.startswith(current)))


def _positional_candidates(
    parser: argparse.ArgumentParser, path: list[str], positionals: list[str], server: dict
) -> list[str]:
    sub = _subparsers(parser)
    if sub is not None and not positionals:
        return [name for name in sub.choices if not name.startswith("_")]
    actions = [a for a in parser._actions if not a.option_strings and a is not sub]
    index = len(positionals)
    for action in actions:
        if index == 0 or action.nargs in ("*", "+"):
            return _values(action, path, server)
        index -= 1
    return []


def _values(action: argparse.Action, path: list[str], server: dict) -> list[str]:
    """The values an argument takes: its choices, else what the server lists of its kind."""
    if action.choices:
        return [str(c) for c in action.choices]
    kind = _server_kind(path, action.dest)
    return _ask_server(kind, server) if kind else []


def _ask_server(kind: str, typed: dict[str, str]) -> list[str]:
    """The names the server lists of kind; none when it cannot answer in SERVER_TIMEOUT."""
    try:
        farm = Client(
            typed.get("server"),
            timeout=SERVER_TIMEOUT,
            token=typed.get("token"),
            ca_file=typed.get("ca_file"),
        )
        return _server_names(kind)(farm)
    except (CorralError, OSError, KeyError, TypeError):
        return []


def complete(parser: argparse.ArgumentParser, words: Sequence[str]) -> int:
    """``corral __complete WORD...``: print the candidates, one per line; always exit 0."""
    try:
        found = candidates(parser, list(words))
    except Exception:  # noqa: BLE001 - a completion must never show a traceback at a prompt
        found = []
    sys.stdout.write("".join(c + "\n" for c in found))
    return 0

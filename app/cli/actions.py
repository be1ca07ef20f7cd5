"""Asking the server: the client of a verb, edits, and actions on several jobs or renders."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from app.api import Client, CorralError
from app.cli.output import print_error, print_json
from app.cli.parsing import UsageError
from app.cli.servers import server_for


def client(args: argparse.Namespace) -> Client:
    """The client for ``--server``, else ``$CORRAL_SERVER``, else the server app/discovery.py
    finds; with the token of ``--token`` (else app/credentials.py finds one) and
    ``--ca-file``."""
    return Client(server_for(args.server), token=args.token, ca_file=args.ca_file)


def edit(change: Callable[..., Any], *params: Any) -> Any:
    """change(*params); a refused value becomes ``invalid: FIELD: reason``."""
    try:
        return change(*params)
    except CorralError as exc:
        if exc.status == 400:
            message = f"invalid: {exc.detail()}"
            raise CorralError(message, status=exc.status, field=exc.field) from None
        raise


def report_refused(exc: CorralError) -> str:
    """Print what the server said when it refused one of several items, and return it; the
    verb goes on with the others. A server not reached ends the verb (raises exc again)."""
    if exc.status is None:
        raise exc
    print_error(exc.detail())
    return exc.detail()


def act_on_selection(
    args: argparse.Namespace,
    items: Sequence[Any],
    act: Callable[[Any], Any],
    act_by_mask: Callable[[str], list],
    label: str,
    done_text: str,
) -> int:
    """Act on the items named (job ids or render names) one by one with act(item), or on those
    ``--mask`` chooses at once with act_by_mask(mask) → the chosen items. Prints
    ``LABEL ITEM DONE_TEXT`` lines, or a JSON list of the answers.

    An item the server refuses is reported and the others are still done; then exit 1.
    """
    key = "id" if label == "Job" else "name"
    if items and args.mask is not None:
        raise UsageError(f"give {key.upper()}s or --mask, not both")
    if not items and args.mask is None:
        raise UsageError(f"the following arguments are required: {key.upper()} (or --mask REGEX)")
    if args.mask is not None:
        chosen = act_by_mask(args.mask)
        if not chosen and not args.json:
            print(f"No {label.lower()} name matches {args.mask!r}")
        items, act = chosen, lambda _: None  # done: each chosen item is reported as done
    results, failed = [], False
    for item in items:
        try:
            answer = act(item)
        except CorralError as exc:
            results.append({key: item, "ok": False, "error": report_refused(exc)})
            failed = True
            continue
        result = {key: item}
        result.update(answer if isinstance(answer, dict) else {"ok": True})
        results.append(result)
        if not args.json:
            print(f"{label} {item} {done_text}")
    if args.json:
        print_json(results)
    return 1 if failed else 0

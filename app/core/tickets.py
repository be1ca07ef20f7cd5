"""Tickets: software-licence and other counted limits.

A block needs ``tickets`` ``{name: count}`` for every task it runs. The farm limits them in
the pools tree:

- pool tickets, ``tickets_pool[name] = {count, max_hosts}`` on a pool, limit all renders of
  that pool's subtree together: tickets in use there + the task's need <= ``count``, and at most
  ``max_hosts`` distinct hosts may hold the ticket at once (a host that already holds it may
  take more). -1 = unlimited. Every pool of the render's chain that limits a ticket is checked.
- host tickets, ``tickets_host[name] = count``, taken from the nearest pool of the render's
  chain that sets one (-1 = inherit): tickets in use on that host + need <= ``count``.

A ticket that no pool limits is unlimited. Together these give the "service limits" of
Afanasy's old farm file: total starts on the farm (a root pool ticket's count), hosts running
it (``max_hosts``) and starts per host (a host ticket).

:class:`TicketLedger` tracks what is in use. The scheduler asks :meth:`TicketLedger.blocked`
before it starts a task, then calls :meth:`~TicketLedger.acquire`, and
:meth:`~TicketLedger.release` when the run ends. Each call costs O(tickets x pool depth).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.pools import PoolTree, ancestor_paths, normalize_path


class _Use:
    """Tickets of one name in use in one pool's subtree."""

    __slots__ = ("count", "hosts")

    def __init__(self) -> None:
        self.count = 0
        self.hosts: dict[str, int] = {}  # render -> tickets it holds in the subtree


class TicketLedger:
    """Tickets in use: per render, and per pool (each pool counts its whole subtree)."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], dict[str, int]] = {}  # (render, pool) -> name -> n
        self._host: dict[str, dict[str, int]] = {}  # render -> name -> n
        self._pools: dict[str, dict[str, _Use]] = {}  # pool path -> name -> use in subtree

    def blocked(
        self, tickets: Mapping[str, int], render: str, pool_path: str, tree: PoolTree
    ) -> str | None:
        """None when a task needing ``tickets`` may start on ``render`` (in ``pool_path``),
        else why not, e.g. ``ticket NUKE: pool /: 10 of 10 in use``."""
        if not tickets:
            return None
        settings = tree.effective(pool_path)
        host_use = self._host.get(render, {})
        for name, need in tickets.items():
            if need <= 0:
                continue
            limit = settings.tickets_host.get(name)
            if limit is not None:
                used = host_use.get(name, 0)
                if used + need > limit:
                    return f"ticket {name}: host limit {limit} on {render}" + _detail(used, need)
            for path, ticket in settings.tickets_pool.get(name, ()):
                use = self._pools.get(path, {}).get(name)
                used = use.count if use else 0
                if 0 <= ticket.count < used + need:
                    return f"ticket {name}: pool {path}: {used} of {ticket.count} in use" + (
                        f", {need} needed" if need > 1 else ""
                    )
                if ticket.max_hosts >= 0 and not (use and render in use.hosts):
                    hosts = len(use.hosts) if use else 0
                    if hosts >= ticket.max_hosts:
                        who = "1 host already uses" if hosts == 1 else f"{hosts} hosts already use"
                        return (
                            f"ticket {name}: pool {path}: {who} it (max_hosts {ticket.max_hosts})"
                        )
        return None

    def acquire(self, tickets: Mapping[str, int], render: str, pool_path: str) -> None:
        """Count a started task's tickets as in use. It does not check limits (ask
        :meth:`blocked` first): a run adopted after a restart, or running while a limit was
        lowered, is counted even beyond a limit."""
        if not tickets:
            return
        pool_path = _normalized(pool_path)
        chain = None
        for name, need in tickets.items():
            if need <= 0:
                continue
            held = self._held.setdefault((render, pool_path), {})
            held[name] = held.get(name, 0) + need
            host = self._host.setdefault(render, {})
            host[name] = host.get(name, 0) + need
            if chain is None:
                chain = ancestor_paths(pool_path)
            for path in chain:
                use = self._pools.setdefault(path, {}).get(name)
                if use is None:
                    use = self._pools[path][name] = _Use()
                use.count += need
                use.hosts[render] = use.hosts.get(render, 0) + need

    def release(self, tickets: Mapping[str, int], render: str, pool_path: str) -> bool:
        """Undo :meth:`acquire` with the same arguments. Never releases more than the render
        holds under that pool (counts never go negative); False if some of it was not held."""
        if not tickets:
            return True
        pool_path = _normalized(pool_path)
        key = (render, pool_path)
        held = self._held.get(key, {})
        complete = True
        chain = None
        for name, need in tickets.items():
            if need <= 0:
                continue
            have = held.get(name, 0)
            n = min(need, have)
            if n < need:
                complete = False
            if n <= 0:
                continue
            _decrement(held, name, n)
            _decrement(self._host[render], name, n)
            if chain is None:
                chain = ancestor_paths(pool_path)
            for path in chain:
                pool = self._pools[path]
                use = pool[name]
                use.count -= n
                _decrement(use.hosts, render, n)
                if not use.count:
                    del pool[name]
                    if not pool:
                        del self._pools[path]
        if not held:
            self._held.pop(key, None)
        if render in self._host and not self._host[render]:
            del self._host[render]
        return complete

    def in_use(self, pool_path: str, name: str) -> tuple[int, int]:
        """(tickets in use, hosts using them) in a pool's subtree."""
        use = self._pools.get(_normalized(pool_path), {}).get(name)
        return (use.count, len(use.hosts)) if use else (0, 0)

    def host_usage(self, render: str) -> dict[str, int]:
        """Tickets a render holds, by name."""
        return dict(self._host.get(render, {}))

    def usage(self) -> dict[str, dict[str, dict]]:
        """For display: ``{pool: {ticket: {"count": n, "hosts": [renders]}}}``, each pool
        counting its subtree; only tickets in use appear."""
        return {
            path: {
                name: {"count": use.count, "hosts": sorted(use.hosts)}
                for name, use in sorted(names.items())
            }
            for path, names in sorted(self._pools.items())
        }


def _detail(used: int, need: int) -> str:
    if need > 1:
        return f" ({used} in use, {need} needed)"
    return f" ({used} in use)"


def _decrement(counts: dict[str, int], key: str, n: int) -> None:
    left = counts[key] - n
    if left > 0:
        counts[key] = left
    else:
        del counts[key]


def _normalized(path: str) -> str:
    if path.startswith("/") and path.endswith("/"):
        return path
    return normalize_path(path)

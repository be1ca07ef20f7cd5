"""Where runs failed: error counts per host, with Afanasy's avoid limits and forgive time."""

from __future__ import annotations

from collections.abc import Collection


class ErrorHosts:
    """Error count and last error time per host name, for a block or a task."""

    __slots__ = ("_hosts",)

    def __init__(self) -> None:
        self._hosts: dict[str, list] = {}

    def __bool__(self) -> bool:
        return bool(self._hosts)

    def add(self, host: str, now: float) -> int:
        entry = self._hosts.setdefault(host, [0, now])
        entry[0] += 1
        entry[1] = now
        return entry[0]

    def count(self, host: str, now: float, forgive: float) -> int:
        """Errors of a host, forgetting them once forgive seconds passed since the last one."""
        entry = self._hosts.get(host)
        if entry is None:
            return 0
        if forgive > 0 and now - entry[1] >= forgive:
            del self._hosts[host]
            return 0
        return entry[0]

    def avoids(self, host: str, limit: int, now: float, forgive: float) -> bool:
        return limit > 0 and self.count(host, now, forgive) >= limit

    def avoided(self, limit: int, now: float, forgive: float) -> list[str]:
        """The hosts avoided now: limit errors or more, not yet forgiven."""
        return [host for host in list(self._hosts) if self.avoids(host, limit, now, forgive)]

    def hosts(self) -> list[str]:
        """The hosts with errors, by name."""
        return sorted(self._hosts)

    def clear(self) -> None:
        self._hosts.clear()

    def summary(self, avoided: Collection[str] = ()) -> list[dict]:
        return [
            {"host": host, "errors": count, "time_last": last, "avoided": host in avoided}
            for host, (count, last) in sorted(self._hosts.items())
        ]

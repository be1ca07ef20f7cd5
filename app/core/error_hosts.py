"""Where runs failed: error counts per host, with Afanasy's avoid limits and forgive time."""

from __future__ import annotations


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

    def clear(self) -> None:
        self._hosts.clear()

    def summary(self) -> list[dict]:
        return [
            {"host": host, "errors": count, "time_last": last}
            for host, (count, last) in sorted(self._hosts.items())
        ]

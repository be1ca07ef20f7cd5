"""A render host as the scheduler sees it: capacity, task slots, what it runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from app.core.jobspec import DEFAULT_CAPACITY
from app.protocol import NIMBY_STATES, RunKey

__all__ = ["NIMBY_STATES", "OnlineNames", "Render", "RunKey"]


@dataclass(eq=False)
class Render:
    """One render client and the task runs it holds (including runs being stopped)."""

    id: int
    name: str
    capacity: int = 1000
    max_tasks: int = 1
    online: bool = False
    host: dict = field(default_factory=dict)
    time_registered: float = 0.0
    last_seen: float = 0.0
    capacity_used: int = 0
    runs: dict[RunKey, int] = field(default_factory=dict)  # run -> capacity it holds
    job_tasks: dict[int, int] = field(default_factory=dict)  # job id -> runs held
    user_tasks: dict[str, int] = field(default_factory=dict)  # user name -> runs held
    run_users: dict[RunKey, str] = field(default_factory=dict)
    capacity_host: int | None = None  # set by the render itself; None: its pool's
    max_tasks_host: int | None = None
    user_name: str = ""  # who works at this machine (nimby lets only their jobs run)
    nimby: str = "free"
    paused: bool = False
    priority: int = 99  # 0: never gets tasks
    pool: str = "/"
    services: set[str] = field(default_factory=set)  # enabled here whatever the pool says
    services_disabled: set[str] = field(default_factory=set)
    sick: bool = False
    recent_errors: list[tuple[str, str, float]] = field(default_factory=list)  # user, service
    resources: dict = field(default_factory=dict)  # the latest heartbeat's
    last_task_change: float = 0.0
    identity: str = ""  # the connected render process's (see app/server/render_ws.py)

    @property
    def os(self) -> str:
        return str(self.host.get("os", ""))

    @property
    def properties(self) -> str:
        return str(self.host.get("properties", ""))

    @property
    def free_slots(self) -> int:
        return self.max_tasks - len(self.runs) if self.online else 0

    def apply_pool(self, capacity_host: int, max_tasks_host: int) -> None:
        """Its capacity and task slots: its own where it set them, else its pool's. A render
        that set its task slots but not its capacity has room for that many ordinary tasks (of
        a block's default capacity): `--max-tasks 4` runs four at once."""
        self.max_tasks = self.max_tasks_host or max_tasks_host
        self.capacity = self.capacity_host or capacity_host
        if self.capacity_host is None and self.max_tasks_host:
            self.capacity = max(self.capacity, self.max_tasks_host * DEFAULT_CAPACITY)

    def fits(self, capacity: int) -> bool:
        return self.free_slots > 0 and self.capacity_used + capacity <= self.capacity

    def hold(self, key: RunKey, capacity: int, user_name: str = "") -> None:
        if key in self.runs:
            return
        self.runs[key] = capacity
        self.capacity_used += capacity
        self.job_tasks[key[0]] = self.job_tasks.get(key[0], 0) + 1
        self.run_users[key] = user_name
        self.user_tasks[user_name] = self.user_tasks.get(user_name, 0) + 1

    def release(self, key: RunKey) -> bool:
        """Forget a run; False if it was not held."""
        capacity = self.runs.pop(key, None)
        if capacity is None:
            return False
        self.capacity_used -= capacity
        _decrement(self.job_tasks, key[0])
        _decrement(self.user_tasks, self.run_users.pop(key))
        return True

    def state_codes(self) -> list[str]:
        codes = ["ONL" if self.online else "OFF"]
        if self.runs:
            codes.append("RUN")
        if self.nimby == "nimby":
            codes.append("NbY")
        elif self.nimby == "NIMBY":
            codes.append("NBY")
        if self.paused:
            codes.append("PAU")
        if self.sick:
            codes.append("SIC")
        return codes

    def summary(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "state": " ".join(self.state_codes()),
            "online": self.online,
            "user_name": self.user_name,
            "nimby": self.nimby,
            "paused": self.paused,
            "priority": self.priority,
            "pool": self.pool,
            "sick": self.sick,
            "services": sorted(self.services),
            "services_disabled": sorted(self.services_disabled),
            "capacity": self.capacity,
            "capacity_used": self.capacity_used,
            "capacity_host": self.capacity_host,
            "max_tasks_host": self.max_tasks_host,
            "max_tasks": self.max_tasks,
            "host": self.host,
            "time_registered": self.time_registered or None,
            "last_seen": self.last_seen or None,
            "tasks": [
                {"job": job, "block": block, "task": task, "run": run}
                for job, block, task, run in self.runs
            ],
        }


def _decrement(counts: dict, key) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


class OnlineNames:
    """The names of the online renders, read live from the farm's tables (no copy): what job
    summaries ask (`name in online`, `len(online)`) costs O(1)."""

    __slots__ = ("_by_name", "_online")

    def __init__(self, by_name: Mapping[str, Render], online: Mapping[int, Render]) -> None:
        self._by_name = by_name
        self._online = online

    def __contains__(self, name: object) -> bool:
        render = self._by_name.get(name) if isinstance(name, str) else None
        return render is not None and render.online

    def __len__(self) -> int:
        return len(self._online)

    def __iter__(self) -> Iterator[str]:
        return (render.name for render in self._online.values())

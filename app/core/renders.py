"""A render host as the scheduler sees it: capacity, task slots, what it runs."""

from __future__ import annotations

from dataclasses import dataclass, field

RunKey = tuple[int, int, int, int]  # job id, block number, task number, run number


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

    @property
    def free_slots(self) -> int:
        return self.max_tasks - len(self.runs) if self.online else 0

    def fits(self, capacity: int) -> bool:
        return self.free_slots > 0 and self.capacity_used + capacity <= self.capacity

    def hold(self, key: RunKey, capacity: int) -> None:
        if key in self.runs:
            return
        self.runs[key] = capacity
        self.capacity_used += capacity
        self.job_tasks[key[0]] = self.job_tasks.get(key[0], 0) + 1

    def release(self, key: RunKey) -> bool:
        """Forget a run; False if it was not held."""
        capacity = self.runs.pop(key, None)
        if capacity is None:
            return False
        self.capacity_used -= capacity
        left = self.job_tasks[key[0]] - 1
        if left:
            self.job_tasks[key[0]] = left
        else:
            del self.job_tasks[key[0]]
        return True

    def state_code(self) -> str:
        if not self.online:
            return "OFF"
        return "RUN" if self.runs else "ONL"

    def summary(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state_code(),
            "online": self.online,
            "capacity": self.capacity,
            "capacity_used": self.capacity_used,
            "max_tasks": self.max_tasks,
            "host": self.host,
            "time_registered": self.time_registered or None,
            "last_seen": self.last_seen or None,
            "tasks": [
                {"job": job, "block": block, "task": task, "run": run}
                for job, block, task, run in self.runs
            ],
        }

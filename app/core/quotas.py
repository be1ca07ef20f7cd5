"""Per-user quotas on submitting: tasks in the queue and jobs per minute.

A user's tasks in the queue are the tasks of their jobs not yet done (neither DON nor SKP); each
block's task table keeps its user's count as its tasks change (TaskTable.count_for), so a check
costs nothing per task. Jobs per minute is a sliding window of the user's recent submit times.

Each limit is the user's own setting (User.max_queued_tasks, User.max_jobs_per_minute), or the
server's default where the user's is -1; 0 is no limit. The quota is the job's user's, whoever
submits it: an admin submitting for an artist uses the artist's quota.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from app.core.users import User

DEFAULT_MAX_QUEUED_TASKS = 10_000_000  # per user: half the largest job (jobspec MAX_JOB_TASKS)
DEFAULT_MAX_JOBS_PER_MINUTE = 600  # per user
WINDOW = 60.0  # seconds: the jobs-per-minute window


class QuotaExceeded(Exception):
    """A submit over one of its user's quotas; nothing was stored.

    ``quota`` is the user setting that sets the limit, ``used`` the current use, ``requested``
    what the refused request adds, ``retry_after`` the seconds until the jobs-per-minute window
    has room (None for the queue, which empties only as tasks finish or jobs go).
    """

    def __init__(
        self,
        user: str,
        quota: str,
        limit: int,
        used: int,
        requested: int,
        message: str,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.user = user
        self.quota = quota
        self.limit = limit
        self.used = used
        self.requested = requested
        self.retry_after = retry_after

    def details(self) -> dict:
        """The JSON fields an answer carries besides the message."""
        return {
            "quota": self.quota,
            "user": self.user,
            "limit": self.limit,
            "used": self.used,
            "requested": self.requested,
        }


@dataclass(frozen=True)
class QuotaDefaults:
    """The server's limits for users whose own setting is -1 (0: no limit)."""

    max_queued_tasks: int = DEFAULT_MAX_QUEUED_TASKS
    max_jobs_per_minute: int = DEFAULT_MAX_JOBS_PER_MINUTE

    def __post_init__(self) -> None:
        for name in ("max_queued_tasks", "max_jobs_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0: no limit)")


class Quotas:
    """The server's defaults and every user's recent submits; checks before a job or tasks are
    added. A user not yet known (None) has nothing queued and the defaults."""

    def __init__(self, defaults: QuotaDefaults) -> None:
        self.defaults = defaults
        self._submits: dict[str, deque[float]] = {}  # per user name: submit times, oldest first

    def limit(self, user: User | None, quota: str) -> int:
        """The limit a user has for a quota (a User setting's name); 0: no limit."""
        own = getattr(user, quota) if user is not None else -1
        return own if own >= 0 else getattr(self.defaults, quota)

    def recent_jobs(self, name: str, now: float) -> int:
        """How many jobs the user submitted in the window up to now."""
        times = self._submits.get(name)
        if times is None:
            return 0
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self._submits[name]
        return len(times)

    def check_job(self, name: str, user: User | None, tasks: int, now: float) -> None:
        """Raise QuotaExceeded if one more job of `tasks` tasks is over the user's quotas."""
        limit = self.limit(user, "max_jobs_per_minute")
        used = self.recent_jobs(name, now)
        if limit and used >= limit:
            raise QuotaExceeded(
                name,
                "max_jobs_per_minute",
                limit,
                used,
                1,
                f"user {name} submitted {used} jobs in the last minute: at their limit, "
                f"max_jobs_per_minute {limit}. {_RAISE.format(name, 'max_jobs_per_minute')} "
                "(server default: --max-jobs-per-minute-per-user)",
                retry_after=max(1, math.ceil(self._submits[name][0] + WINDOW - now)),
            )
        self.check_tasks(name, user, tasks)

    def check_tasks(self, name: str, user: User | None, tasks: int) -> None:
        """Raise QuotaExceeded if `tasks` more tasks are over the user's queue quota."""
        limit = self.limit(user, "max_queued_tasks")
        used = user.queued_tasks if user is not None else 0
        if limit and used + tasks > limit:
            raise QuotaExceeded(
                name,
                "max_queued_tasks",
                limit,
                used,
                tasks,
                f"user {name} has {used:,} tasks not yet done and this adds {tasks:,}: over "
                f"their limit, max_queued_tasks {limit:,}. Wait for tasks to finish, delete "
                f"jobs, or {_RAISE.format(name, 'max_queued_tasks')} "
                "(server default: --max-queued-tasks-per-user)",
            )

    def job_submitted(self, name: str, now: float) -> None:
        """Count a job accepted now in the user's window."""
        self._submits.setdefault(name, deque()).append(now)

    def usage(self, user: User, now: float) -> dict:
        """The user's use and effective limits, for their summary (limits 0: none)."""
        return {
            "queued_tasks": user.queued_tasks,
            "queued_tasks_limit": self.limit(user, "max_queued_tasks"),
            "jobs_last_minute": self.recent_jobs(user.name, now),
            "jobs_per_minute_limit": self.limit(user, "max_jobs_per_minute"),
        }


_RAISE = "an admin may raise it: corral user set {0} {1}=N (0: no limit)"

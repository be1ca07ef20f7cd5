"""A job on the farm: its spec, its blocks' task tables, and the summaries built from counters."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from app.core import states
from app.core.error_hosts import ErrorHosts
from app.core.jobspec import BlockSpec, JobSpec, edited_settings
from app.core.pick_order import PickOrder
from app.core.task_table import TaskTable
from app.core.users import User

USER_ERROR_DEFAULTS = {
    "errors_retries": 3,
    "errors_avoid_host": 3,
    "errors_task_same_host": 3,
    "errors_forgive_time": 18000,
}


class Block:
    """One block of a job: its spec and the state of its tasks."""

    __slots__ = (
        "job",
        "num",
        "spec",
        "tasks",
        "error_hosts",
        "task_error_hosts",
        "waiting",
        "progress",
        "try_next",
        "_names",
    )

    def __init__(self, job: Job, num: int, spec: BlockSpec) -> None:
        self.job = job
        self.num = num
        self.spec = spec
        order = None if spec.sequential == 1 else PickOrder.for_block(spec)
        self.tasks = TaskTable(spec.tasks_num, order)
        self.error_hosts = ErrorHosts()
        self.task_error_hosts: dict[int, ErrorHosts] = {}
        self.waiting = ""  # why the block waits for other blocks ("" = it does not)
        self._names: dict[str, int] | None = None
        # running tasks' last report: (percent, frame offset in the task or None, time changed)
        self.progress: dict[int, tuple[int, int | None, float]] = {}
        self.try_next: set[int] = set()  # tasks a person asked to run before the others

    def preview_only(self) -> bool:
        """With the job's ppa, only the preview part of the pick order (first, last, every
        N-th frame) runs until someone approves (clears ppa)."""
        return self.job.spec.ppa and self.tasks.order is not None

    def task_named(self, name: str) -> int | None:
        """The number of the listed task with this name (maintenance jobs: a render's name)."""
        if self._names is None or len(self._names) != len(self.spec.tasks):
            self._names = {task.name: n for n, task in enumerate(self.spec.tasks)}
        return self._names.get(name)

    @property
    def running(self) -> int:
        return self.tasks.counts[states.RUN]

    def error_setting(self, name: str) -> int:
        """An errors_* limit of the block, or its user's where the block says -1."""
        value = getattr(self.spec, name)
        if value >= 0:
            return value
        user = self.job.user
        return getattr(user, name) if user is not None else USER_ERROR_DEFAULTS[name]

    def task_errors(self, n: int) -> ErrorHosts:
        hosts = self.task_error_hosts.get(n)
        if hosts is None:
            hosts = self.task_error_hosts[n] = ErrorHosts()
        return hosts

    def can_start_more(self) -> bool:
        """Ready tasks exist and the block's running limit allows one more."""
        limit = self.spec.max_running_tasks
        if self.waiting or not self.tasks.ready:
            return False
        return limit < 0 or self.running < limit

    def state_codes(self) -> list[str]:
        return _state_codes(self.tasks.counts, self.tasks.size)

    def avoided(self, now: float | None, online: Collection[str] | None) -> tuple[list[str], bool]:
        """The hosts the block avoids after errors there (errors_avoid_host, until forgiven),
        and whether it is stuck on them: it has ready tasks and avoids every online render."""
        if now is None or not self.error_hosts:
            return [], False
        hosts = self.error_hosts.avoided(
            self.error_setting("errors_avoid_host"),
            now,
            self.error_setting("errors_forgive_time"),
        )
        stuck = (
            online is not None
            and self.tasks.ready > 0
            and not self.waiting
            and 0 < len(online) <= sum(host in online for host in hosts)
        )
        return hosts, stuck

    def summary(self, now: float | None = None, online: Collection[str] | None = None) -> dict:
        """The block's JSON; with now and the online render names, AVD replaces RDY when the
        block avoids every online render after errors there."""
        spec = self.spec
        hosts, stuck = self.avoided(now, online)
        codes = self.state_codes()
        if stuck:
            codes = _avoiding(codes)
        return {
            "num": self.num,
            "name": spec.name,
            "service": spec.service,
            "numeric": spec.numeric,
            "capacity": spec.capacity,
            "state": " ".join(codes + (["WDP"] if self.waiting else [])),
            "waiting": self.waiting,
            "error_hosts": self.error_hosts.summary(hosts),
            **_counters(self.tasks.counts, self.tasks.size),
        }


@dataclass(eq=False)
class Job:
    """A submitted job and its runtime state (priority and pause can change after submit)."""

    id: int
    spec: JobSpec
    time_created: float
    priority: int = -1
    offline: bool = False
    time_started: float = 0.0
    time_done: float = 0.0
    blocks: list[Block] = field(default_factory=list)
    user: User | None = None
    order: int = 0  # place in its user's queue (solve_method "order")
    waiting: str = ""  # why the job waits for other jobs ("" = it does not)

    def __post_init__(self) -> None:
        if self.priority < 0:
            self.priority = self.spec.priority
        if not self.blocks:
            self.blocks = [Block(self, num, spec) for num, spec in enumerate(self.spec.blocks)]
            pairs = zip(self.spec.try_this_blocks_num, self.spec.try_this_tasks_num, strict=True)
            for block_num, n in pairs:
                self.blocks[block_num].try_next.add(n)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def user_name(self) -> str:
        return self.spec.user_name

    @property
    def running(self) -> int:
        return sum(block.running for block in self.blocks)

    @property
    def done(self) -> bool:
        return all(b.tasks.finished == b.tasks.size for b in self.blocks)

    def count_tasks(self, user: User | None) -> None:
        """Count the job's unfinished tasks in user's queue (None: in nobody's), every block's
        from now on (app/core/quotas.py)."""
        for block in self.blocks:
            block.tasks.count_for(user)

    def order_key(self) -> tuple[int, int]:
        """Solving order: higher priority first, then earlier submission."""
        return (-self.priority, self.id)

    def can_start_more(self) -> bool:
        """Not paused, under its running limit, and some block has a task to start."""
        if self.offline or self.waiting:
            return False
        limit = self.spec.max_running_tasks
        if limit >= 0 and self.running >= limit:
            return False
        return any(block.can_start_more() for block in self.blocks)

    def has_ready(self) -> bool:
        return not self.offline and any(block.tasks.ready for block in self.blocks)

    def summary(
        self,
        with_blocks: bool = True,
        now: float | None = None,
        online: Collection[str] | None = None,
    ) -> dict:
        """The job's JSON; with now, a job whose time_wait is still ahead shows WTM, and with
        the online render names too, AVD replaces RDY when every block with ready tasks avoids
        every online render after errors there (see Block.avoided)."""
        counts, total = self.task_counts()
        spec = self.spec
        data = {
            "id": self.id,
            "name": spec.name,
            "user_name": spec.user_name,
            "host_name": spec.host_name,
            "priority": self.priority,
            "state": " ".join(self._state_codes(counts, total, now, online)),
            "offline": self.offline,
            "max_running_tasks": spec.max_running_tasks,
            "annotation": spec.annotation,
            "settings": edited_settings(spec),
            "waiting": self.waiting,
            "order": self.order,
            "time_created": self.time_created,
            "time_started": self.time_started or None,
            "time_done": self.time_done or None,
            **_counters(counts, total),
        }
        if with_blocks:
            data["blocks"] = [block.summary(now, online) for block in self.blocks]
        return data

    def state_codes(
        self, now: float | None = None, online: Collection[str] | None = None
    ) -> list[str]:
        """The codes of the summary's state, without the rest of the summary."""
        return self._state_codes(*self.task_counts(), now, online)

    def task_counts(self) -> tuple[list[int], int]:
        """The job's tasks in each state (the blocks' counts added), and their total."""
        counts = [0] * states.COUNT
        total = 0
        for block in self.blocks:
            total += block.tasks.size
            for state, count in enumerate(block.tasks.counts):
                counts[state] += count
        return counts, total

    def _state_codes(
        self,
        counts: list[int],
        total: int,
        now: float | None,
        online: Collection[str] | None,
    ) -> list[str]:
        codes = _state_codes(counts, total)
        waits_time = now is not None and self.spec.time_wait > now
        if (self.waiting or waits_time) and "RDY" in codes:
            codes.remove("RDY")  # WDP and WTM replace RDY (Afanasy)
        if self.waiting and "WDP" not in codes:
            codes.append("WDP")
        if waits_time and "DON" not in codes:
            codes.append("WTM")
        if "RDY" in codes and self._stuck_on_errors(now, online):
            codes = _avoiding(codes)
        if self.spec.ppa:
            codes.append("PPA")
        if self.offline:
            codes.append("OFF")
        return codes

    def _stuck_on_errors(self, now: float | None, online: Collection[str] | None) -> bool:
        """Every block with ready tasks avoids every online render (Block.avoided)."""
        ready = [block for block in self.blocks if block.tasks.ready and not block.waiting]
        return bool(ready) and all(block.avoided(now, online)[1] for block in ready)


def _counters(counts: list[int], total: int) -> dict[str, int]:
    return {
        "tasks_total": total,
        "tasks_ready": counts[states.RDY] + counts[states.RER],
        "tasks_running": counts[states.RUN],
        "tasks_done": counts[states.DON] + counts[states.SKP],
        "tasks_error": counts[states.ERR],
        "tasks_error_ready": counts[states.RER],
        "tasks_skipped": counts[states.SKP],
        "tasks_waiting_reconnect": counts[states.WRC],
        "tasks_waiting_depends": counts[states.WDP],
        "tasks_suspended": counts[states.SUS],
    }


def _avoiding(codes: list[str]) -> list[str]:
    """AVD in place of RDY: the ready tasks wait on renders no longer avoided (or a reset)."""
    return ["AVD" if code == "RDY" else code for code in codes]


# the codes of a job's `state`: its tasks' (_state_codes), then the job's own (Job.summary)
JOB_STATES = ("RDY", "AVD", "RUN", "DON", "ERR", "WRC", "WDP", "SUS", "WTM", "PPA", "OFF")


def _state_codes(counts: list[int], total: int) -> list[str]:
    """Afanasy-style state of a set of tasks: DON when all finished, else what is present."""
    if counts[states.DON] + counts[states.SKP] == total:
        return ["DON"]
    codes = []
    if counts[states.RUN] or counts[states.WRC]:
        codes.append("RUN")
    if counts[states.ERR]:
        codes.append("ERR")
    if counts[states.RDY] or counts[states.RER]:
        codes.append("RDY")
    if counts[states.WRC]:
        codes.append("WRC")
    if counts[states.WDP]:
        codes.append("WDP")
    if counts[states.SUS]:
        codes.append("SUS")
    return codes


def task_summary(block: Block, n: int, render_name: str = "") -> dict:
    """The JSON shape of one task (see docs/protocol.md)."""
    starts, errors, _, time_start, time_done = block.tasks.detail(n)
    frame_start, frame_end = block.spec.task_frames(n)
    percent, frame, _ = block.progress.get(n, (None, None, 0.0))
    state = block.tasks.state(n)
    if state in (states.DON, states.SKP):
        percent = 100
    return {
        "num": n,
        "name": block.spec.task_name(n),
        "state": states.code(state),
        "frame_start": frame_start,
        "frame_end": frame_end,
        "starts": starts,
        "errors": errors,
        "render": render_name or None,
        "time_start": time_start or None,
        "time_done": time_done or None,
        "percent": percent,
        "frame": frame,
        "error_hosts": block.task_error_hosts[n].hosts() if n in block.task_error_hosts else [],
    }

"""The rules that decide whether work may start on a render, each with its reason.

Every check answers None (allowed) or a short reason a person can read. The solver uses the
same checks as the explainer, so every "no" the scheduler says can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core import states
from app.core.errors import SpecError
from app.core.jobs import Block, Job
from app.core.masks import HostMask, needs_met
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.tickets import TicketLedger
from app.core.users import User


@dataclass
class FarmView:
    """What the rules need to know about the farm beyond the job and the render."""

    pools: PoolTree
    tickets: TicketLedger
    now: float


def render_reason(render: Render) -> str | None:
    """Why a render takes no new task at all, or None."""
    if not render.online:
        return "render is offline"
    if render.sick:
        return "render is sick (too many errors)"
    if render.priority <= 0:
        return "render priority is 0"
    if render.free_slots <= 0:
        return f"render runs its maximum of {render.max_tasks} tasks"
    return None


def user_reason(user: User, render: Render) -> str | None:
    if user.paused:
        return f"user {user.name} is paused"
    if 0 <= user.max_running_tasks <= user.running_tasks:
        return f"user {user.name} runs {user.running_tasks} tasks (max_running_tasks)"
    per_host = user.max_running_tasks_per_host
    if per_host >= 0 and render.user_tasks.get(user.name, 0) >= per_host:
        return f"user {user.name} runs {per_host} tasks on this render (max per host)"
    return _mask_reason(
        "user", user.hosts_mask, user.hosts_mask_exclude, user.hosts_mask_type, render.name
    )


def job_reason(job: Job, render: Render, view: FarmView) -> str | None:
    """Why this job starts nothing on this render (its blocks aside), or None."""
    spec = job.spec
    if job.offline:
        return "job is paused"
    if job.waiting:
        return job.waiting
    if spec.time_wait > view.now:
        return f"job waits until {spec.time_wait:.0f} (time_wait)"
    if job.priority <= 0:
        return "job priority is 0"
    limit = spec.max_running_tasks
    if limit >= 0 and job.running >= limit:
        return f"job runs {job.running} of max_running_tasks {limit}"
    per_host = spec.max_running_tasks_per_host
    if per_host >= 0 and render.job_tasks.get(job.id, 0) >= per_host:
        return f"job runs {per_host} tasks on this render (max_running_tasks_per_host)"
    return job_host_reason(job, render, view)


def job_host_reason(job: Job, render: Render, view: FarmView) -> str | None:
    """Why this job may not use this render at all (nimby, pause, masks, needs, pools)."""
    spec = job.spec
    if render.nimby == "NIMBY" and not spec.ignorenimby:
        return "render is NIMBY"
    if render.nimby == "nimby" and not spec.ignorenimby and render.user_name != job.user_name:
        return f"render is nimby: only {render.user_name or 'its owner'}'s jobs run there"
    if render.paused and not spec.ignorepaused:
        return "render is paused"
    reason = _mask_reason(
        "job", spec.hosts_mask, spec.hosts_mask_exclude, _mask_type(job), render.name
    )
    if reason:
        return reason
    if spec.need_os and not needs_met(spec.need_os, render.os):
        return f"render OS '{render.os}' does not meet need_os '{spec.need_os}'"
    properties = view.pools.effective(render.pool).properties + " " + render.properties
    if spec.need_properties and not needs_met(spec.need_properties, properties):
        return f"render lacks need_properties '{spec.need_properties}'"
    return pools_reason(spec.pools, render.pool)


def pools_reason(pools: dict[str, int], pool: str) -> str | None:
    """Afanasy's job pools: <= -100 forbids a pool; >= 100 makes the listed pools exclusive."""
    if not pools:
        return None
    matched = [prio for name, prio in pools.items() if _pool_matches(name, pool)]
    if any(prio <= -100 for prio in matched):
        return f"job pools forbid pool {pool}"
    if not matched and any(prio >= 100 for prio in pools.values()):
        return f"job pools allow only {', '.join(n for n, p in pools.items() if p >= 100)}"
    return None


def block_reason(block: Block, render: Render, view: FarmView) -> str | None:
    """Why this block starts nothing on this render, or None."""
    spec, tasks = block.spec, block.tasks
    if block.waiting:
        return block.waiting
    if block.job.spec.maintenance:
        n = block.task_named(render.name)
        if n is None or tasks.state(n) not in states.READY:
            return f"maintenance job: no ready task named {render.name}"
    elif not tasks.ready:
        waiting = tasks.counts[states.WDP]
        return "tasks wait for their dependencies" if waiting else "no ready tasks"
    elif block.preview_only() and not any(map(tasks.order.is_early, _first(tasks))):
        return "preview done: waiting for approval (ppa)"
    limit = spec.max_running_tasks
    if limit >= 0 and block.running >= limit:
        return f"block runs {block.running} of max_running_tasks {limit}"
    return host_reason(block, render, view)


def host_reason(block: Block, render: Render, view: FarmView) -> str | None:
    """Why no task of this block may take this render (its limits per host, capacity,
    service, tickets, avoided hosts, masks, needs), or None."""
    spec = block.spec
    per_host = spec.max_running_tasks_per_host
    if per_host >= 0 and block_tasks_on(block, render) >= per_host:
        return f"block runs {per_host} tasks on this render (max_running_tasks_per_host)"
    need = spec.capacity * max(1, spec.capacity_coeff_min)
    if render.capacity_used + need > render.capacity:
        return f"render has {render.capacity - render.capacity_used} capacity free, needs {need}"
    settings = view.pools.effective(render.pool)
    if not service_allowed(spec.service, render, settings):
        return f"service {spec.service} is not enabled on this render"
    reason = view.tickets.blocked(spec.tickets, render.name, render.pool, view.pools)
    if reason:
        return reason
    forgive = block.error_setting("errors_forgive_time")
    if block.error_hosts.avoids(
        render.name, block.error_setting("errors_avoid_host"), view.now, forgive
    ):
        return f"block avoids {render.name} after errors there (errors_avoid_host)"
    reason = _mask_reason(
        "block", spec.hosts_mask, spec.hosts_mask_exclude, _mask_type(block.job), render.name
    )
    if reason:
        return reason
    return _needs_reason(block, render, settings.properties)


def _first(tasks) -> list[int]:
    """The first ready task in pick order, as a list of at most one."""
    return [n for n, _ in zip(tasks.ready_numbers(), range(1), strict=False)]


def service_allowed(service: str, render: Render, settings) -> bool:
    """Afanasy's canRunService over the render and its pool chain: disabled anywhere -> no;
    listed anywhere -> yes; nobody lists any service -> yes; else no."""
    if service in render.services_disabled or service in settings.services_disabled:
        return False
    if service in render.services or service in settings.services:
        return True
    return not render.services and not settings.services


def capacity_coefficient(block: Block, render: Render) -> int:
    """The capacity multiplier a task of a variable-capacity block gets on this render."""
    spec = block.spec
    if not spec.variable_capacity:
        return 1
    coeff = (render.capacity - render.capacity_used) // spec.capacity
    if spec.capacity_coeff_max > 0:
        coeff = min(coeff, spec.capacity_coeff_max)
    return max(coeff, spec.capacity_coeff_min, 1)


def block_tasks_on(block: Block, render: Render) -> int:
    job_id, num = block.job.id, block.num
    if render.job_tasks.get(job_id, 0) == 0:
        return 0
    return sum(1 for key in render.runs if key[0] == job_id and key[1] == num)


def _needs_reason(block: Block, render: Render, pool_properties: str) -> str | None:
    spec, res, host = block.spec, render.resources, render.host
    mhz, cores = res.get("cpu_mhz"), host.get("cpu_count")
    total_mhz = mhz * cores if mhz is not None and type(cores) is int else None
    checks = (
        ("need_memory", spec.need_memory, res.get("mem_free_mb", host.get("mem_total_mb")), "MB"),
        ("need_hdd", spec.need_hdd, res.get("hdd_free_gb"), "GB"),
        ("need_cpu_cores", spec.need_cpu_cores, host.get("cpu_count"), "cores"),
        ("need_gpu_mem_mb", spec.need_gpu_mem_mb, res.get("gpu_mem_free_mb"), "MB"),
        ("need_cpu_freq_mgz", spec.need_cpu_freq_mgz, mhz, "MHz"),
        ("need_cpu_freq_cores", spec.need_cpu_freq_cores, total_mhz, "MHz"),
    )
    for key, need, have, unit in checks:
        if need > 0 and (have is None or have < need):
            shown = "unknown" if have is None else f"{have} {unit}"
            return f"{key} {need} {unit}: render has {shown}"
    properties = pool_properties + " " + render.properties
    if spec.need_properties and not needs_met(spec.need_properties, properties):
        return f"render lacks need_properties '{spec.need_properties}'"
    return None


def _mask_type(job: Job) -> str:
    """The job's hosts_mask_type, or its user's when the job does not say."""
    user = job.user
    return job.spec.hosts_mask_type or (user.hosts_mask_type if user else "find")


def _mask_reason(who: str, include: str, exclude: str, mode: str, name: str) -> str | None:
    """Why the hosts masks keep this render out, or None. A mask that does not compile in this
    mode (a job without hosts_mask_type takes its user's, which may change) runs nothing."""
    try:
        if include and not HostMask.compile(include, mode, "hosts_mask").matches(name):
            return f"{who} hosts_mask '{include}' does not match {name}"
        if exclude and HostMask.compile(exclude, mode, "hosts_mask_exclude").matches(name):
            return f"{who} hosts_mask_exclude '{exclude}' matches {name}"
    except SpecError as error:
        return f"{who} {error}"
    return None


def _pool_matches(name: str, pool: str) -> bool:
    """A job pools key: '/path' matches that pool and below; a plain word is a substring."""
    if name.startswith("/"):
        prefix = name if name.endswith("/") else name + "/"
        return pool.startswith(prefix)
    return name in pool

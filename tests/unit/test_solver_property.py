"""Property test: every task the solver starts is legal, checked against a slow reference.

Hypothesis builds small random farms (users, jobs with blocks, renders, a pools tree with
tickets) and plays a random sequence of steps: a render asks for work (``Solver.pick``), a
running task ends (done; lost, so it is ready again; or failed, counting an error against the
task and the host), or something is edited (job paused, user paused, render paused or nimby).
Starting and ending runs does the bookkeeping exactly as ``app/server/farm.py`` does
(``_start``/``_hold``/``_release``/``_finish_task``; sick renders stay off, as with the root
pool's default ``sick_errors_count``).

The reference below knows nothing of the solver, the rules or the counters the app keeps: it
reads the farm as drawn (plain dicts) and the test's own ledger of running tasks, and recomputes
every count with plain loops. After every pick it checks that the picked task was legal; when
the solver declines a render, it checks that no legal task existed for that render; after every
step it checks that the app's counters agree with the ledger and that no limit is exceeded.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import states
from app.core.jobs import Block, Job
from app.core.jobspec import parse_job
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.rules import FarmView, capacity_coefficient
from app.core.solver import Solver
from app.core.tickets import TicketLedger
from app.core.users import User

NOW = 1000.0
TICKET = "LIC"
USER_NAMES = ("ann", "bob", "cy", "dee")
RENDER_NAMES = ("gpu01", "gpu02", "gpu12", "cpu01", "cpu02", "cpu11")
PREFIXES = ("gpu", "cpu", "gpu0", "cpu0", "GPU", "Cpu1", "g", "c", "gpu01", "cpu02", "x")
SEPARATORS = (",", "|", " ", ";", ":", ", ", " | ")
READY, RUNNING, DONE, FAILED = "ready", "running", "done", "failed"  # FAILED: out of retries
STATES_OF = {
    READY: states.READY,
    RUNNING: {states.RUN},
    DONE: {states.DON},
    FAILED: {states.ERR},
}

# -- strategies ---------------------------------------------------------------------------------
# Most draws allow work, so that picks succeed and limits fill up; every restriction is drawn
# now and then.


def sometimes(strategy, default, odds: int = 15):
    """default, or once in odds + 1 draws a value drawn from strategy."""
    drawn = st.tuples(st.sampled_from([False] * odds + [True]), strategy)
    return drawn.map(lambda pair: pair[1] if pair[0] else default)


def usually(default, *others, odds: int = 15):
    """default, or once in odds + 1 draws one of the others."""
    return sometimes(st.sampled_from(others), default, odds)


limits = usually(-1, 1, 2, 3, 0, 1, 2, odds=4)
per_host_limits = usually(-1, 1, 2, 1, 2, 0, odds=3)
rarely = usually(False, True)
# a find-mode mask: its tokens (for the reference) and its text (for the app)
masks = st.tuples(
    st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=2), st.sampled_from(SEPARATORS)
).map(lambda drawn: (tuple(drawn[0]), drawn[1].join(drawn[0])))
rare_masks = sometimes(masks, ((), ""))

users_st = st.fixed_dictionaries(
    {
        "priority": st.sampled_from([99, 1, 50, 150, 250]),
        "max_running_tasks": limits,
        "max_running_tasks_per_host": limits,
        "paused": rarely,
        "mask": rare_masks,
        "exclude": rare_masks,
        "solve_method": st.sampled_from(["order", "priority"]),
        "solve_need": st.sampled_from(["capacity", "tasks"]),
        "errors_retries": st.sampled_from([3, 0, 1]),
        "errors_avoid_host": st.sampled_from([3, 1, 2, 0]),
        "errors_task_same_host": st.sampled_from([3, 1, 2, 0]),
    }
)
blocks_st = st.fixed_dictionaries(
    {
        "tasks": st.one_of(st.integers(1, 4), st.integers(1, 20)),  # small blocks run out
        "capacity": st.sampled_from([1000, 250, 500]),
        "max_running_tasks": limits,
        "max_running_tasks_per_host": per_host_limits,
        "tickets": usually({}, {TICKET: 1}, {TICKET: 1}, {TICKET: 2}, odds=3),
        "need_memory": usually(-1, 4000, 16000, 64000),
        "mask": rare_masks,
        "exclude": rare_masks,
        "sequential": st.sampled_from([1, -1, 0, 3]),
        "coeff": usually((0, 0), (1, 0), (0, 2), (2, 3), odds=4),
    }
)
jobs_st = st.fixed_dictionaries(
    {
        "user": st.integers(0, 3),  # modulo the number of users
        "priority": st.tuples(rarely, st.sampled_from([99, 10, 200])).map(
            lambda drawn: 0 if drawn[0] else drawn[1]
        ),
        "offline": rarely,
        "time_wait": usually(0, 500, 2000),
        "max_running_tasks": limits,
        "max_running_tasks_per_host": limits,
        "mask": rare_masks,
        "exclude": rare_masks,
        "need_os": usually(
            (),
            ("linux",),
            ("windows",),
            ("64",),
            ("LINUX",),
            ("windows", "linux"),
            ("mac",),
            odds=6,
        ),
        "ignorenimby": rarely,
        "ignorepaused": rarely,
        "blocks": st.lists(blocks_st, min_size=1, max_size=3),
    }
)
renders_st = st.fixed_dictionaries(
    {
        "max_tasks": st.integers(1, 4),
        "capacity": st.sampled_from([1000, 500, 750, 1500, 2000]),
        "online": usually(True, False),
        "nimby": usually("free", "nimby", "nimby", "NIMBY", odds=8),
        "user_name": st.sampled_from(["", "ann", "bob", "zed"]),
        "paused": rarely,
        "os": usually("unix linux 64", "windows 64", odds=6),
        "mem_total_mb": st.sampled_from([32000, 8000, 128000]),
        "mem_free_mb": usually(None, 2000, 20000, odds=6),
    }
)
pool_tickets = sometimes(
    st.tuples(st.sampled_from([2, 1, 3, 0, -1]), st.sampled_from([-1, 1, 2])), None, odds=2
)
pools_st = st.fixed_dictionaries(
    {
        "root_pool": pool_tickets,  # tickets_pool LIC (count, max_hosts) on /
        "root_host": st.sampled_from([None, 1, 2]),  # tickets_host LIC on /
        "gpu": st.booleans(),  # a child pool /gpu/ catching gpuNN renders
        "gpu_pool": pool_tickets,
        "gpu_host": st.sampled_from([None, -1, 0, 1, 3]),
    }
)
farms = st.fixed_dictionaries(
    {
        "users": st.lists(users_st, min_size=1, max_size=4),
        "jobs": st.lists(jobs_st, min_size=1, max_size=5),
        "render_names": st.lists(
            st.sampled_from(RENDER_NAMES), min_size=1, max_size=4, unique=True
        ),
        "renders": st.lists(renders_st, min_size=4, max_size=4),
        "pools": pools_st,
    }
)
# (what, which, how): pick on render `which`; end run `which` (how % 3: 0 done, 1 lost, 2 an
# error); edit (how % 4: 0 job offline, 1 user paused, 2 render paused, 3 render nimby) `which`
steps = st.lists(
    st.tuples(
        st.sampled_from(["pick"] * 6 + ["end"] * 2 + ["edit"]),
        st.integers(0, 50),
        st.integers(0, 11),
    ),
    min_size=10,
    max_size=50,
)

# -- the farm under test ------------------------------------------------------------------------


@dataclass
class Run:
    """A running task in the test's own ledger (plain values only)."""

    job: int
    block: int
    task: int
    render: str
    user: str
    capacity: int
    tickets: dict
    pool: str
    key: tuple


class Farm:
    """The app objects built from a drawn farm, and the drawn farm itself for the reference."""

    def __init__(self, farm: dict) -> None:
        self.udesc = {USER_NAMES[i]: dict(d) for i, d in enumerate(farm["users"])}
        self.rdesc = {
            name: dict(d) for name, d in zip(farm["render_names"], farm["renders"], strict=False)
        }
        self.jdesc = {i + 1: dict(d) for i, d in enumerate(farm["jobs"])}
        for d in self.jdesc.values():
            d["user_name"] = USER_NAMES[d["user"] % len(self.udesc)]
        self.pdesc = farm["pools"]

        self.tree = PoolTree.from_dict({"pools": pools_dict(self.pdesc)})
        self.view = FarmView(pools=self.tree, tickets=TicketLedger(), now=NOW)
        self.users = {name: make_user(name, d) for name, d in self.udesc.items()}
        self.renders = [
            make_render(i + 1, name, d, self.tree) for i, (name, d) in enumerate(self.rdesc.items())
        ]
        self.render_of = {render.name: render for render in self.renders}
        self.jobs = {job_id: make_job(job_id, d, self.users) for job_id, d in self.jdesc.items()}
        self.solver = Solver()
        for job in self.jobs.values():
            self.solver.refresh(job)

        self.runs: list[Run] = []
        self.errors: dict[tuple, int] = {}  # (job, block, task) -> errors of the task
        self.block_errors: dict[tuple, int] = {}  # (job, block, render) -> errors there
        self.task_errors: dict[tuple, int] = {}  # (job, block, task, render) -> errors there
        self.state = {
            (job_id, b, n): READY
            for job_id, d in self.jdesc.items()
            for b, bd in enumerate(d["blocks"])
            for n in range(bd["tasks"])
        }

    # -- steps, with the bookkeeping of app/server/farm.py ---------------------------------

    def start(self, render: Render, job: Job, block: Block, n: int) -> None:
        run = block.tasks.start(n, render.id, NOW)
        key = (job.id, block.num, n, run)
        coefficient = capacity_coefficient(block, render)
        capacity = block.spec.capacity * coefficient
        render.hold(key, capacity, job.user_name)
        user = block.job.user
        user.running_tasks += 1
        user.running_capacity += capacity
        if block.spec.tickets:
            self.view.tickets.acquire(block.spec.tickets, render.name, render.pool)
        self.solver.refresh(job)
        bd = self.jdesc[job.id]["blocks"][block.num]
        self.runs.append(
            Run(
                job=job.id,
                block=block.num,
                task=n,
                render=render.name,
                user=self.jdesc[job.id]["user_name"],
                capacity=capacity,
                tickets=dict(bd["tickets"]),
                pool=reference_pool(self.pdesc, render.name),
                key=key,
            )
        )
        self.state[job.id, block.num, n] = RUNNING

    def end(self, index: int, outcome: int) -> None:
        """A run ends: 0 done, 1 lost with its render (ready again, no error), 2 an error."""
        run = self.runs.pop(index % len(self.runs))
        render, job = self.render_of[run.render], self.jobs[run.job]
        block, n = job.blocks[run.block], run.task
        task = (run.job, run.block, n)
        user = self.users[render.run_users[run.key]]
        assert render.release(run.key)
        user.running_tasks -= 1
        user.running_capacity -= run.capacity
        if block.spec.tickets:
            assert self.view.tickets.release(block.spec.tickets, render.name, render.pool)
        if outcome == 1:
            block.tasks.set(n, states.RDY)
            self.state[task] = READY
        elif outcome == 2:
            errors = block.tasks.add_error(n)
            retries = block.error_setting("errors_retries")
            block.tasks.finish(n, states.RER if errors <= retries else states.ERR, NOW)
            block.error_hosts.add(render.name, NOW)
            block.task_errors(n).add(render.name, NOW)
            self.errors[task] = self.errors.get(task, 0) + 1
            where = (run.job, run.block, run.render)
            self.block_errors[where] = self.block_errors.get(where, 0) + 1
            where = (run.job, run.block, n, run.render)
            self.task_errors[where] = self.task_errors.get(where, 0) + 1
            allowed = self.udesc[run.user]["errors_retries"]  # the blocks' are -1: the user's
            self.state[task] = READY if self.errors[task] <= allowed else FAILED
        else:
            block.tasks.finish(n, states.DON, NOW)
            self.state[task] = DONE
        self.solver.refresh(job)

    def edit(self, which: int, how: int) -> None:
        if how == 0:
            job = self.jobs[which % len(self.jobs) + 1]
            job.offline = self.jdesc[job.id]["offline"] = not job.offline
            self.solver.refresh(job)
        elif how == 1:
            user = list(self.users.values())[which % len(self.users)]
            user.paused = self.udesc[user.name]["paused"] = not user.paused
        elif how == 2:
            render = self.renders[which % len(self.renders)]
            render.paused = self.rdesc[render.name]["paused"] = not render.paused
        else:
            render = self.renders[which % len(self.renders)]
            cycle = {"free": "nimby", "nimby": "NIMBY", "NIMBY": "free"}
            render.nimby = self.rdesc[render.name]["nimby"] = cycle[render.nimby]


def pools_dict(pd: dict) -> dict:
    def pool(tickets, host) -> dict:
        out = {}
        if tickets is not None:
            out["tickets_pool"] = {TICKET: {"count": tickets[0], "max_hosts": tickets[1]}}
        if host is not None:
            out["tickets_host"] = {TICKET: host}
        return out

    pools = {"/": pool(pd["root_pool"], pd["root_host"])}
    if pd["gpu"]:
        pools["/gpu/"] = {"pattern": r"gpu\d+", **pool(pd["gpu_pool"], pd["gpu_host"])}
    return pools


def make_user(name: str, d: dict) -> User:
    return User(
        name=name,
        priority=d["priority"],
        max_running_tasks=d["max_running_tasks"],
        max_running_tasks_per_host=d["max_running_tasks_per_host"],
        hosts_mask=d["mask"][1],
        hosts_mask_exclude=d["exclude"][1],
        solve_method=d["solve_method"],
        solve_need=d["solve_need"],
        paused=d["paused"],
        errors_retries=d["errors_retries"],
        errors_avoid_host=d["errors_avoid_host"],
        errors_task_same_host=d["errors_task_same_host"],
    )


def make_render(render_id: int, name: str, d: dict, tree: PoolTree) -> Render:
    resources = {} if d["mem_free_mb"] is None else {"mem_free_mb": d["mem_free_mb"]}
    return Render(
        id=render_id,
        name=name,
        capacity=d["capacity"],
        max_tasks=d["max_tasks"],
        online=d["online"],
        host={"os": d["os"], "mem_total_mb": d["mem_total_mb"]},
        user_name=d["user_name"],
        nimby=d["nimby"],
        paused=d["paused"],
        pool=tree.pool_for_render(name),
        resources=resources,
    )


def make_job(job_id: int, d: dict, users: dict[str, User]) -> Job:
    blocks = []
    for b, bd in enumerate(d["blocks"]):
        block = {
            "name": f"b{b}",
            "numeric": True,
            "frame_first": 1,
            "frame_last": bd["tasks"],
            "command": "echo @#@",
            "capacity": bd["capacity"],
            "max_running_tasks": bd["max_running_tasks"],
            "max_running_tasks_per_host": bd["max_running_tasks_per_host"],
            "need_memory": bd["need_memory"],
            "hosts_mask": bd["mask"][1],
            "hosts_mask_exclude": bd["exclude"][1],
            "sequential": bd["sequential"],
            "capacity_coeff_min": bd["coeff"][0],
            "capacity_coeff_max": bd["coeff"][1],
        }
        if bd["tickets"]:
            block["tickets"] = bd["tickets"]
        blocks.append(block)
    spec = parse_job(
        {
            "name": f"job{job_id}",
            "user_name": d["user_name"],
            "priority": d["priority"],
            "time_wait": d["time_wait"],
            "max_running_tasks": d["max_running_tasks"],
            "max_running_tasks_per_host": d["max_running_tasks_per_host"],
            "hosts_mask": d["mask"][1],
            "hosts_mask_exclude": d["exclude"][1],
            "need_os": " ".join(d["need_os"]),
            "ignorenimby": d["ignorenimby"],
            "ignorepaused": d["ignorepaused"],
            "blocks": blocks,
        }
    )
    return Job(
        id=job_id,
        spec=spec,
        time_created=0.0,
        offline=d["offline"],
        user=users[d["user_name"]],
        order=job_id,
    )


# -- the slow reference -------------------------------------------------------------------------


def reference_pool(pd: dict, render_name: str) -> str:
    return "/gpu/" if pd["gpu"] and render_name.startswith("gpu") else "/"


def mask_allows(include: tuple, exclude: tuple, name: str) -> bool:
    """Find mode: a name matches when it starts with a token, ignoring case; an empty
    include allows every name, an empty exclude excludes none."""
    name = name.lower()
    if include and not any(name.startswith(token.lower()) for token in include):
        return False
    return not any(name.startswith(token.lower()) for token in exclude)


def ticket_limits(pd: dict, pool: str) -> tuple[int | None, list[tuple[str, int, int]]]:
    """(the host limit of the nearest pool that sets one, [(pool, count, max_hosts)])."""
    chain = [("/", pd["root_pool"], pd["root_host"])]
    if pool == "/gpu/":
        chain.append(("/gpu/", pd["gpu_pool"], pd["gpu_host"]))
    host = None
    for _, _, limit in chain:
        if limit is not None and limit != -1:
            host = limit
    return host, [(path, *tickets) for path, tickets, _ in chain if tickets is not None]


def ticket_reasons(farm: Farm, render: str, tickets: dict) -> list[str]:
    why = []
    pool = reference_pool(farm.pdesc, render)
    host_limit, pool_limits = ticket_limits(farm.pdesc, pool)
    for name, need in tickets.items():
        if need <= 0:
            continue
        if host_limit is not None:
            used = 0
            for run in farm.runs:
                if run.render == render:
                    used += run.tickets.get(name, 0)
            if used + need > host_limit:
                why.append(f"ticket {name}: {used}+{need} > host limit {host_limit}")
        for path, count, max_hosts in pool_limits:
            used, hosts = 0, set()
            for run in farm.runs:
                if run.pool.startswith(path) and run.tickets.get(name, 0) > 0:
                    used += run.tickets[name]
                    hosts.add(run.render)
            if count >= 0 and used + need > count:
                why.append(f"ticket {name}: {used}+{need} > pool {path} count {count}")
            if max_hosts >= 0 and render not in hosts and len(hosts) >= max_hosts:
                why.append(f"ticket {name}: pool {path} hosts {sorted(hosts)} max {max_hosts}")
    return why


def count_runs(farm: Farm, **match) -> int:
    n = 0
    for run in farm.runs:
        if all(getattr(run, key) == value for key, value in match.items()):
            n += 1
    return n


def reference_reasons(farm: Farm, render: str, job: int, block: int, task: int) -> list[str]:
    """Every rule that forbids starting this task on this render now (empty: legal)."""
    rd, jd = farm.rdesc[render], farm.jdesc[job]
    bd, user = jd["blocks"][block], jd["user_name"]
    ud = farm.udesc[user]
    why = []
    # the render
    if not rd["online"]:
        why.append("render offline")
    if count_runs(farm, render=render) >= rd["max_tasks"]:
        why.append("render max_tasks")
    # the user
    if ud["paused"]:
        why.append("user paused")
    limit = ud["max_running_tasks"]
    if limit >= 0 and count_runs(farm, user=user) >= limit:
        why.append("user max_running_tasks")
    limit = ud["max_running_tasks_per_host"]
    if limit >= 0 and count_runs(farm, user=user, render=render) >= limit:
        why.append("user max_running_tasks_per_host")
    if not mask_allows(ud["mask"][0], ud["exclude"][0], render):
        why.append("user hosts mask")
    # the job
    if jd["offline"]:
        why.append("job offline")
    if jd["time_wait"] > NOW:
        why.append("job time_wait")
    if jd["priority"] <= 0:
        why.append("job priority 0")
    limit = jd["max_running_tasks"]
    if limit >= 0 and count_runs(farm, job=job) >= limit:
        why.append("job max_running_tasks")
    limit = jd["max_running_tasks_per_host"]
    if limit >= 0 and count_runs(farm, job=job, render=render) >= limit:
        why.append("job max_running_tasks_per_host")
    if rd["nimby"] == "NIMBY" and not jd["ignorenimby"]:
        why.append("render NIMBY")
    if rd["nimby"] == "nimby" and not jd["ignorenimby"] and rd["user_name"] != user:
        why.append("render nimby, another user's job")
    if rd["paused"] and not jd["ignorepaused"]:
        why.append("render paused")
    if not mask_allows(jd["mask"][0], jd["exclude"][0], render):
        why.append("job hosts mask")
    if jd["need_os"] and not any(token.lower() in rd["os"].lower() for token in jd["need_os"]):
        why.append("job need_os")
    # the block
    limit = bd["max_running_tasks"]
    if limit >= 0 and count_runs(farm, job=job, block=block) >= limit:
        why.append("block max_running_tasks")
    limit = bd["max_running_tasks_per_host"]
    if limit >= 0 and count_runs(farm, job=job, block=block, render=render) >= limit:
        why.append("block max_running_tasks_per_host")
    used = sum(run.capacity for run in farm.runs if run.render == render)
    if used + bd["capacity"] * max(1, bd["coeff"][0]) > rd["capacity"]:
        why.append(f"render capacity {used}/{rd['capacity']}")
    why += ticket_reasons(farm, render, bd["tickets"])
    if not mask_allows(bd["mask"][0], bd["exclude"][0], render):
        why.append("block hosts mask")
    memory = rd["mem_total_mb"] if rd["mem_free_mb"] is None else rd["mem_free_mb"]
    if bd["need_memory"] > 0 and memory < bd["need_memory"]:
        why.append("block need_memory")
    limit = ud["errors_avoid_host"]  # the blocks' errors_* are -1: the user's
    if limit > 0 and farm.block_errors.get((job, block, render), 0) >= limit:
        why.append("block avoids the render after errors (errors_avoid_host)")
    # the task
    if farm.state[job, block, task] != READY:
        why.append(f"task is {farm.state[job, block, task]}")
    limit = ud["errors_task_same_host"]
    if limit > 0 and farm.task_errors.get((job, block, task, render), 0) >= limit:
        why.append("task avoids the render after errors (errors_task_same_host)")
    return why


def reference_coefficient(farm: Farm, render: str, job: int, block: int) -> int:
    bd = farm.jdesc[job]["blocks"][block]
    low, high = bd["coeff"]
    if low == 0 and high == 0:
        return 1
    free = farm.rdesc[render]["capacity"]
    for run in farm.runs:
        if run.render == render:
            free -= run.capacity
    coefficient = free // bd["capacity"]
    if high > 0:
        coefficient = min(coefficient, high)
    return max(coefficient, low, 1)


def legal_tasks(farm: Farm, render: str) -> list[tuple[int, int, int]]:
    """(job, block, task) that may start on the render: the first legal task of each block."""
    found = []
    for job, jd in farm.jdesc.items():
        for block, bd in enumerate(jd["blocks"]):
            for task in range(bd["tasks"]):
                if not reference_reasons(farm, render, job, block, task):
                    found.append((job, block, task))
                    break
    return found


def check_books(farm: Farm) -> None:
    """The app's counters agree with the ledger, and no limit is exceeded."""
    for render in farm.renders:
        rd, mine = farm.rdesc[render.name], [r for r in farm.runs if r.render == render.name]
        assert sorted(render.runs) == sorted(r.key for r in mine)
        assert render.capacity_used == sum(r.capacity for r in mine) <= rd["capacity"]
        assert len(mine) <= rd["max_tasks"]
        assert render.pool == reference_pool(farm.pdesc, render.name)
    for name, user in farm.users.items():
        mine = [r for r in farm.runs if r.user == name]
        assert user.running_tasks == len(mine)
        assert user.running_capacity == sum(r.capacity for r in mine)
        limit = farm.udesc[name]["max_running_tasks"]
        assert limit < 0 or len(mine) <= limit
        per_host = farm.udesc[name]["max_running_tasks_per_host"]
        for render in farm.render_of:
            assert per_host < 0 or count_runs(farm, user=name, render=render) <= per_host
    for job_id, job in farm.jobs.items():
        jd = farm.jdesc[job_id]
        assert (
            jd["max_running_tasks"] < 0 or count_runs(farm, job=job_id) <= jd["max_running_tasks"]
        )
        for render in farm.render_of:
            on_host = count_runs(farm, job=job_id, render=render)
            assert (
                jd["max_running_tasks_per_host"] < 0 or on_host <= jd["max_running_tasks_per_host"]
            )
        for block in job.blocks:
            bd = jd["blocks"][block.num]
            running = count_runs(farm, job=job_id, block=block.num)
            assert block.running == running
            assert bd["max_running_tasks"] < 0 or running <= bd["max_running_tasks"]
            for render in farm.render_of:
                on_host = count_runs(farm, job=job_id, block=block.num, render=render)
                limit = bd["max_running_tasks_per_host"]
                assert limit < 0 or on_host <= limit
            for n in range(bd["tasks"]):
                state = block.tasks.state(n)
                allowed = STATES_OF[farm.state[job_id, block.num, n]]
                assert state in allowed, (job_id, block.num, n, states.code(state))
            ready = [n for n in range(bd["tasks"]) if farm.state[job_id, block.num, n] == READY]
            assert block.tasks.ready == len(ready)
            # the ready cursor (what the solver takes a block's next task from) misses none
            found = block.tasks.next_ready()
            assert found in ready if ready else found is None, (job_id, block.num, found, ready)
    for path in ("/", "/gpu/"):
        subtree = [r for r in farm.runs if r.pool.startswith(path) and r.tickets.get(TICKET)]
        used = sum(r.tickets[TICKET] for r in subtree)
        hosts = {r.render for r in subtree}
        if path in farm.tree:
            assert farm.view.tickets.in_use(path, TICKET) == (used, len(hosts))
    for render in farm.render_of:
        pool = reference_pool(farm.pdesc, render)
        host_limit, pool_limits = ticket_limits(farm.pdesc, pool)
        held = sum(r.tickets.get(TICKET, 0) for r in farm.runs if r.render == render)
        assert farm.view.tickets.host_usage(render).get(TICKET, 0) == held
        assert host_limit is None or held <= host_limit
        for path, count, max_hosts in pool_limits:
            subtree = [r for r in farm.runs if r.pool.startswith(path) and r.tickets.get(TICKET)]
            assert count < 0 or sum(r.tickets[TICKET] for r in subtree) <= count
            assert max_hosts < 0 or len({r.render for r in subtree}) <= max_hosts


def play(farm: Farm, plan: list[tuple[str, int, int]]) -> None:
    check_books(farm)
    for what, which, how in plan:
        if what == "pick":
            render = farm.renders[which % len(farm.renders)]
            picked = farm.solver.pick(render, farm.view)
            if picked is None:
                legal = legal_tasks(farm, render.name)
                assert not legal, (
                    f"pick gave nothing on {render.name}; the reference allows {legal}"
                )
            else:
                job, block, n = picked
                why = reference_reasons(farm, render.name, job.id, block.num, n)
                assert not why, f"picked {job.id}/{block.num}/{n} on {render.name}, but: {why}"
                expected = reference_coefficient(farm, render.name, job.id, block.num)
                assert capacity_coefficient(block, render) == expected, "capacity coefficient"
                farm.start(render, job, block, n)
        elif what == "end" and farm.runs:
            farm.end(which, how % 3)
        elif what == "edit":
            farm.edit(which, how % 4)
        check_books(farm)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(farm=farms, plan=steps)
def test_every_pick_is_legal_and_nothing_legal_is_missed(farm, plan):
    play(Farm(farm), plan)

"""The scheduler: fair share, priority and order, limits, masks, needs, render states."""

from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.rules import FarmView
from app.core.solver import Solver, explain
from app.core.tickets import TicketLedger
from app.core.users import User

USERS: dict[str, User] = {}


def make_job(job_id, priority=99, frames=10, capacity=1000, user="ann", job_keys=None, **block):
    spec = parse_job(
        {
            "name": f"job{job_id}",
            "user_name": user,
            "priority": priority,
            **(job_keys or {}),
            "blocks": [
                {
                    "numeric": True,
                    "frame_first": 1,
                    "frame_last": frames,
                    "command": "echo @#@",
                    "capacity": capacity,
                    **block,
                }
            ],
        }
    )
    owner = USERS.setdefault(user, User(name=user))
    return Job(id=job_id, spec=spec, time_created=0.0, user=owner, order=job_id)


def render(max_tasks=1, capacity=1000, render_id=1, **keys):
    return Render(
        id=render_id,
        name=keys.pop("name", f"r{render_id}"),
        max_tasks=max_tasks,
        capacity=capacity,
        online=True,
        **keys,
    )


def view():
    return FarmView(pools=PoolTree(), tickets=TicketLedger(), now=1000.0)


def solver_of(*jobs):
    USERS.clear()
    solver = Solver()
    for job in jobs:
        USERS.setdefault(job.user_name, job.user)
        solver.refresh(job)
    return solver


def start(solver, host):
    picked = solver.pick(host, view())
    if picked is None:
        return None
    job, block, n = picked
    run = block.tasks.start(n, host.id, 0.0)
    host.hold((job.id, block.num, n, run), block.spec.capacity, job.user_name)
    job.user.running_tasks += 1
    job.user.running_capacity += block.spec.capacity
    solver.refresh(job)
    return job.id, n


def test_higher_priority_first_then_submission_order():
    low, high, high_later = make_job(1, 10), make_job(2, 200), make_job(3, 200)
    solver = solver_of(low, high, high_later)
    assert [job.id for job in solver.queues["ann"]] == [2, 3, 1]
    assert start(solver, render()) == (2, 0)


def test_fair_share_between_users():
    jobs = [make_job(1, user="ann", frames=100), make_job(2, user="bob", frames=100)]
    solver = solver_of(*jobs)
    host = render(max_tasks=10, capacity=10_000)
    users = [start(solver, host)[0] for _ in range(6)]
    assert users.count(1) == 3 and users.count(2) == 3  # equal priority: alternate
    solver.users["bob"].priority = 120  # 1.1^21 ~ 7.4 times the share
    more = [start(solver, render(max_tasks=40, capacity=10**6, render_id=2))[0] for _ in range(40)]
    assert more.count(2) > 3 * more.count(1)


def test_render_max_tasks_and_capacity():
    job = make_job(1, capacity=500)
    solver = solver_of(job)
    host = render(max_tasks=3, capacity=1000)
    assert [start(solver, host) for _ in range(2)] == [(1, 0), (1, 1)]
    assert solver.pick(host, view()) is None  # capacity used up although a slot is free
    why = explain(job, [host], view())["renders"][0]["reason"]
    assert "render has 0 capacity free, needs 500" in why


def test_job_block_and_user_limits():
    job = make_job(1, job_keys={"max_running_tasks": 2})
    solver = solver_of(job)
    host = render(max_tasks=5, capacity=10_000)
    start(solver, host), start(solver, host)
    assert solver.pick(host, view()) is None
    limited = make_job(2, max_running_tasks=1, user="cy")
    solver = solver_of(limited)
    start(solver, host)
    assert solver.pick(host, view()) is None
    other = make_job(3, user="dee", frames=5)
    solver = solver_of(other)
    solver.users["dee"].max_running_tasks = 1
    start(solver, host)
    assert solver.pick(host, view()) is None


def test_masks_and_needs():
    masked = make_job(1, job_keys={"hosts_mask": "gpu"})
    solver = solver_of(masked)
    assert solver.pick(render(name="cpu01"), view()) is None
    assert solver.pick(render(name="gpu01"), view()) is not None
    hungry = make_job(2, need_memory=64_000, user="eve")
    solver = solver_of(hungry)
    small = render(host={"mem_total_mb": 16_000})
    assert solver.pick(small, view()) is None
    assert (
        "need_memory 64000 MB: render has 16000 MB"
        in explain(hungry, [small], view())["renders"][0]["reason"]
    )
    assert solver.pick(render(host={"mem_total_mb": 128_000}), view()) is not None


def test_cpu_frequency_needs():
    """need_cpu_freq_mgz compares the render's cpu_mhz, need_cpu_freq_cores its MHz times its
    cores; an unknown clock, or a cpu_count that is not a whole number, does not qualify."""
    fast = make_job(1, need_cpu_freq_mgz=3000)
    wide = make_job(2, need_cpu_freq_cores=20_000, user="eve")

    def host(mhz, cores):
        return render(host={"cpu_count": cores}, resources={"cpu_mhz": mhz})

    for job, qualify, fail in (
        (fast, host(3000, 1), host(2999, 64)),
        (wide, host(2500, 8), host(2500, 7)),
        (wide, host(2500, 8), host(None, 8)),
        (wide, host(2500, 8), host(2500, "8")),
    ):
        solver = solver_of(job)
        assert solver.pick(fail, view()) is None
        assert solver.pick(qualify, view()) is not None
    reason = explain(wide, [host(2500, 7)], view())["renders"][0]["reason"]
    assert "need_cpu_freq_cores 20000 MHz: render has 17500 MHz" in reason


def test_nimby_NIMBY_and_paused_renders():
    job = make_job(1, user="ann")
    solver = solver_of(job)
    assert solver.pick(render(nimby="NIMBY"), view()) is None
    assert solver.pick(render(nimby="nimby", user_name="bob"), view()) is None
    assert solver.pick(render(nimby="nimby", user_name="ann"), view()) is not None
    assert solver.pick(render(paused=True), view()) is None
    bold = make_job(2, user="ann", job_keys={"ignorenimby": True, "ignorepaused": True})
    solver = solver_of(bold)
    assert solver.pick(render(nimby="NIMBY", paused=True), view()) is not None


def test_paused_and_finished_jobs_leave_the_queue():
    job = make_job(1, frames=1)
    solver = solver_of(job)
    job.offline = True
    solver.refresh(job)
    assert not solver.queued(job)
    job.offline = False
    solver.refresh(job)
    start(solver, render())
    assert not solver.queued(job)


def test_decision_cost_does_not_depend_on_task_count():
    """A million-task job is solved through the cursor, without touching other tasks."""
    job = make_job(1, frames=1_000_000)
    solver = solver_of(job)
    host = render(max_tasks=1000, capacity=10**9)
    for expected in range(100):
        assert start(solver, host) == (1, expected)
    assert job.blocks[0].tasks.counts[0] == 1_000_000 - 100


def test_a_mask_invalid_in_the_users_mode_keeps_only_its_job_off():
    """A job without hosts_mask_type takes its user's mode, which may change after the job was
    accepted: the scheduler gives a reason for that job and picks the others."""
    stuck = make_job(1, user="ann", job_keys={"hosts_mask": "farm["})
    other = make_job(2, user="bob")
    solver = solver_of(stuck, other)
    stuck.user.hosts_mask_type = "regex"
    host = render(name="farm01")
    assert solver.pick(host, view())[0] is other
    reason = explain(stuck, [host], view())["renders"][0]["reason"]
    assert "hosts_mask" in reason and "not a valid regular expression" in reason

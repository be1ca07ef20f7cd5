"""The first scheduler: priority, submission order, capacity, max tasks, running limits."""

from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.renders import Render
from app.core.solver import JobQueue, pick_task


def make_job(job_id, priority=99, frames=10, capacity=1000, **block_keys):
    spec = parse_job(
        {
            "name": f"job{job_id}",
            "priority": priority,
            "blocks": [
                {
                    "numeric": True,
                    "frame_first": 1,
                    "frame_last": frames,
                    "command": "echo @#@",
                    "capacity": capacity,
                    **block_keys,
                }
            ],
        }
    )
    return Job(id=job_id, spec=spec, time_created=0.0)


def render(max_tasks=1, capacity=1000, render_id=1):
    return Render(id=render_id, name=f"r{render_id}", max_tasks=max_tasks, capacity=capacity,
                  online=True)  # fmt: skip


def start(picked, on):
    job, block, n = picked
    run = block.tasks.start(n, on.id, 0.0)
    on.hold((job.id, block.num, n, run), block.spec.capacity)
    return job.id, n


def queue_of(*jobs):
    queue = JobQueue()
    for job in jobs:
        queue.refresh(job)
    return queue


def test_higher_priority_first_then_submission_order():
    low, high, high_later = make_job(1, 10), make_job(2, 200), make_job(3, 200)
    queue = queue_of(low, high, high_later)
    assert [job.id for job in queue] == [2, 3, 1]
    job, _, n = pick_task(render(), queue)
    assert (job.id, n) == (2, 0)


def test_render_max_tasks_and_capacity():
    job = make_job(1, capacity=500)
    queue = queue_of(job)
    host = render(max_tasks=3, capacity=1000)
    started = [start(pick_task(host, queue), host) for _ in range(2)]
    assert started == [(1, 0), (1, 1)]
    assert pick_task(host, queue) is None  # capacity 1000 used although a slot is free
    big = make_job(2, capacity=2000)
    assert pick_task(render(max_tasks=4, capacity=1000, render_id=2), queue_of(big)) is None


def test_job_and_block_max_running_tasks():
    job = make_job(1, max_running_tasks=2)
    queue = queue_of(job)
    host = render(max_tasks=5, capacity=10_000)
    start(pick_task(host, queue), host)
    start(pick_task(host, queue), host)
    assert pick_task(host, queue) is None
    spec = parse_job(
        {
            "max_running_tasks": 1,
            "blocks": [{"numeric": True, "frame_last": 5, "command": "x"}],
        }
    )
    limited = Job(id=2, spec=spec, time_created=0)
    queue = queue_of(limited)
    start(pick_task(host, queue), host)
    queue.refresh(limited)
    assert limited not in queue
    assert pick_task(host, queue) is None


def test_paused_and_finished_jobs_leave_the_queue():
    job = make_job(1, frames=1)
    queue = queue_of(job)
    job.offline = True
    queue.refresh(job)
    assert len(queue) == 0
    job.offline = False
    queue.refresh(job)
    host = render()
    start(pick_task(host, queue), host)
    queue.refresh(job)
    assert len(queue) == 0


def test_decision_cost_does_not_depend_on_task_count():
    """A million-task job is solved through the cursor, without touching other tasks."""
    job = make_job(1, frames=1_000_000)
    queue = queue_of(job)
    host = render(max_tasks=1000, capacity=10**9)
    for expected in range(100):
        assert start(pick_task(host, queue), host) == (1, expected)
    assert job.blocks[0].tasks.counts[0] == 1_000_000 - 100

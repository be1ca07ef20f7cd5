"""What a render is sent to start a run: the `assign.task` object (docs/protocol.md)."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.jobs import Block, Job


def assignment(
    job: Job, block: Block, n: int, run: int, coefficient: int, hosts: Sequence[str] = ()
) -> dict:
    """The `assign.task` object of a run (docs/protocol.md); the render's service fills
    @AF_CAPACITY@ from capacity_coeff, and @AF_HOSTS@ from hosts (a multihost task's)."""
    spec = block.spec
    start, end = spec.task_frames(n)
    return {
        "job": job.id,
        "block": block.num,
        "task": n,
        "run": run,
        "job_name": job.name,
        "block_name": spec.name,
        "task_name": spec.task_name(n),
        "user_name": job.user_name,
        "command": spec.task_command(n),
        "working_directory": spec.working_directory,
        "environment": spec.task_environment(n),
        "frame_start": start,
        "frame_end": end,
        "frames_inc": spec.frames_inc,
        "capacity": spec.capacity * coefficient,
        "capacity_coeff": coefficient,
        "service": spec.service,
        "parser": spec.parser,
        "files": spec.task_files(n),
        "skip_existing_files": spec.skip_existing_files,
        "check_rendered_files": spec.check_rendered_files,
        "skip_thumbnails": spec.skip_thumbnails,
        "file_size_min": spec.file_size_min,
        "file_size_max": spec.file_size_max,
        "parser_coeff": spec.parser_coeff,
        **({"hosts": list(hosts)} if hosts else {}),
    }


def service_assignment(job: Job, block: Block, n: int, run: int, hosts: Sequence[str]) -> dict:
    """The `assign.task` object of a multihost host's service run: the block's
    multihost_service as a generic command, without parser or files."""
    task = assignment(job, block, n, run, 1, hosts)
    task.update(
        command=block.spec.multihost_service,
        service="generic",
        parser="none",
        files=[],
        skip_existing_files=False,
        check_rendered_files=False,
        skip_thumbnails=True,
        parser_coeff=1,
    )
    return task

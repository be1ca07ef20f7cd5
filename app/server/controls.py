"""What people change on a running farm: edits of jobs, blocks, users and renders, moves,
appended work, render actions (nimby, eject, exit, wake...) and the explainer.

These are methods of the Farm (mixed in); what they change in the task life cycle (ejected
runs, a deleted render's lost runs) is decided in app/core/lifecycle.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import states
from app.core.errors import SpecError
from app.core.jobs import Block, Job
from app.core.jobspec import (
    BLOCK_EDITABLE,
    JOB_EDITABLE,
    check_services,
    job_to_dict,
    parse_job,
)
from app.core.pick_order import PickOrder
from app.core.renders import Render
from app.core.solver import explain
from app.core.users import User
from app.protocol import RENDER_ACTIONS
from app.server.errors import FarmError
from app.server.render_settings import check_render_settings
from app.services.registry import service_names

if TYPE_CHECKING:
    from app.server.farm import Farm


class FarmControls:
    """Edits and actions; `self` is the Farm."""

    def edit_job(self: Farm, job_id: int, params: object, block_num: int | None = None) -> None:
        """Change editable keys of a job (or of one of its blocks), validated like a submit."""
        job = self.job(job_id)
        editable = JOB_EDITABLE if block_num is None else BLOCK_EDITABLE
        if not isinstance(params, dict) or not params:
            raise SpecError("", "expected a non-empty object of settings")
        for key in params:
            if key not in editable:
                raise SpecError(str(key)[:60], f"is not editable; editable: {', '.join(editable)}")
        data = job_to_dict(job.spec)
        if block_num is None:
            data.update(params)
        else:
            self.block(job_id, block_num)
            data["blocks"][block_num].update(params)
        spec = parse_job(data)
        if block_num is not None and "service" in params:
            check_services(spec.blocks[block_num : block_num + 1], service_names(), block_num)
        job.spec = spec
        for block, block_spec in zip(job.blocks, spec.blocks, strict=True):
            if block_spec.sequential != block.spec.sequential:
                order = None if block_spec.sequential == 1 else PickOrder.for_block(block_spec)
                block.tasks.reorder(order)
            block.spec = block_spec
        if block_num is None:
            job.priority = params.get("priority", job.priority)
            job.offline = params.get("offline", job.offline)
        self._save_job_spec(job)
        self.job_added(job)
        self.fill_all()

    def append_blocks(self: Farm, job_id: int, blocks: object) -> list[int]:
        """Add blocks to a job (validated like a submit); returns their numbers."""
        job = self.job(job_id)
        if not isinstance(blocks, list) or not blocks:
            raise SpecError("blocks", "expected a non-empty list of blocks")
        data = job_to_dict(job.spec)
        data["blocks"].extend(blocks)
        spec = parse_job(data)
        first = len(job.blocks)
        check_services(spec.blocks[first:], service_names(), first)
        added = sum(block.tasks_num for block in spec.blocks[first:])
        self.quotas.check_tasks(job.user_name, job.user, added)
        job.spec = spec
        job.blocks.extend(
            Block(job, num, spec.blocks[num]) for num in range(first, len(spec.blocks))
        )
        self._job_reshaped(job)
        return list(range(first, len(job.blocks)))

    def append_tasks(self: Farm, job_id: int, block_num: int, tasks: object) -> list[int]:
        """Add tasks to a non-numeric block of a job; returns their numbers."""
        block = self.block(job_id, block_num)
        if block.spec.numeric:
            raise FarmError("tasks can only be appended to a block with a tasks list", 409)
        if not isinstance(tasks, list) or not tasks:
            raise SpecError("tasks", "expected a non-empty list of tasks")
        job = block.job
        data = job_to_dict(job.spec)
        data["blocks"][block_num]["tasks"].extend(tasks)
        spec = parse_job(data)
        first = block.tasks.size
        self.quotas.check_tasks(job.user_name, job.user, spec.blocks[block_num].tasks_num - first)
        job.spec = spec
        block.spec = spec.blocks[block_num]
        order = None if block.spec.sequential == 1 else PickOrder.for_block(block.spec)
        block.tasks.extend(block.spec.tasks_num - first, order)
        added = list(range(first, block.tasks.size))
        if block.spec.suspend_new_tasks:  # before the job is offered to the renders again
            for n in added:
                block.tasks.set(n, states.SUS)
            self._save_tasks(job, block_num, added)
        self._job_reshaped(job)
        return added

    def _job_reshaped(self: Farm, job: Job) -> None:
        """After blocks or tasks were added: store the spec, re-derive waits, offer the work."""
        if job.time_done:
            job.time_done = 0.0
        self._save_job_spec(job)
        self.job_added(job)

    def move_job(self: Farm, job_id: int, where: str) -> None:
        """Move a job up, down, to the top or the bottom of its user's queue."""
        job = self.job(job_id)
        mine = sorted(
            (j for j in self.jobs.values() if j.user_name == job.user_name),
            key=lambda j: (-j.priority, j.order),
        )
        at = mine.index(job)
        if where == "top":
            job.order = min(j.order for j in mine) - 1
        elif where == "bottom":
            job.order = max(j.order for j in mine) + 1
        elif where in ("up", "down"):
            other = at - 1 if where == "up" else at + 1
            if 0 <= other < len(mine):
                job.order, mine[other].order = mine[other].order, job.order
                self.changes.job_changed(mine[other])
                self.solver.refresh(mine[other])
        else:
            raise FarmError(f"unknown move {where!r}; use up, down, top or bottom")
        self.changes.job_changed(job)
        self.solver.refresh(job)

    def edit_user(self: Farm, name: str, params: object, create: bool = False) -> User:
        """Change a user's settings; with create, a user not yet known (a person with a token
        but no job yet, whose quotas an admin sets) is made once the settings are found valid."""
        user = self.users.get(name)
        if user is None and not create:
            raise FarmError(f"no user named {name!r}", 404)
        if user is None:
            User(name).edit(params)  # a refused edit makes no user
            user = self.user(name)
        user.edit(params)
        self.changes.user_changed(user)
        for job in self.jobs.values():
            if job.user is user:
                self.solver.refresh(job)
        self.fill_all()
        return user

    def explain(self: Farm, job_id: int) -> dict:
        return explain(self.job(job_id), list(self.online.values()), self.view())

    def render_action(self: Farm, name: str, action: str) -> None:
        """A RENDER_ACTIONS action; eject-not-mine keeps the tasks of the render's own user."""
        render = self.render(name)
        if action in ("nimby", "NIMBY", "free"):
            render.nimby = action
        elif action in ("pause", "unpause"):
            render.paused = action == "pause"
        elif action in ("eject", "eject-not-mine"):
            keep = render.user_name if action == "eject-not-mine" else None
            self.eject(render, keep)
        elif action in ("exit", "sleep"):
            link = self.links.get(render.id)
            if link is None:
                raise FarmError(f"render {name} is offline", 409)
            link.send({"type": action})
        elif action == "wake":
            self._wake(render)
        elif action == "heal-sick":
            self.heal(render)
        elif action == "delete":
            if render.online:
                raise FarmError(
                    f"render {name} is online: only offline renders can be deleted", 409
                )
            self.forget_render(render)
            return
        else:
            raise FarmError(
                f"unknown render action {action!r}; use one of {', '.join(RENDER_ACTIONS)}"
            )
        self._save_render(render)
        self.fill(render)

    def edit_render(self: Farm, name: str, params: object) -> Render:
        """Change a render's settings: user_name, nimby, paused, priority, pool, services."""
        render = self.render(name)
        changes = check_render_settings(params, self.pools)
        for key, value in changes.items():
            setattr(render, key, value)
        self._apply_pool(render)
        self._save_render(render)
        self.fill(render)
        return render

    def _wake(self: Farm, render: Render) -> None:
        """Ask another online render to send Wake-on-LAN packets to this offline one."""
        macs = render.host.get("macs") or []
        if render.online:
            raise FarmError(f"render {render.name} is already online", 409)
        if not macs:
            raise FarmError(f"render {render.name} reported no hardware address to wake", 409)
        if not self.links:
            raise FarmError("no online render can send the wake-up packet", 409)
        self.links[next(iter(self.links))].send({"type": "wake", "macs": list(macs)})

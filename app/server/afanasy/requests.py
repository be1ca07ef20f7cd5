"""Afanasy's JSON requests (``job``, ``get``, ``action``, ``monitor``) turned into the server's
routes, and the routes' answers shaped as Afanasy's clients read them.

What each request becomes is listed in docs/migrating-from-afanasy.md.
"""

from __future__ import annotations

import itertools

from app.core.errors import SpecError
from app.core.patterns import compile_pattern
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS
from app.server.afanasy.bridge import AfanasyError, Bridge, segment
from app.server.auth.identity import Identity

# Afanasy's render operations by the names of Corral's render actions
_RENDER_OPERATIONS = {
    "eject_tasks": "eject",
    "eject_tasks_keep_my": "eject-not-mine",
    "wol_sleep": "sleep",
    "wol_wake": "wake",
    "heal_sick": "heal-sick",
}
# render parameters Afanasy sets that are Corral render actions: (parameter, value) -> action
_RENDER_STATE_PARAMS = {
    ("nimby", True): "nimby",
    ("nimby", False): "free",
    ("NIMBY", True): "NIMBY",
    ("NIMBY", False): "free",
    ("paused", True): "pause",
    ("paused", False): "unpause",
}
# job and block operations: Corral's job and task actions, as Afanasy spells them
_JOB_OPERATIONS = {
    *(name.replace("-", "_") for name in (*JOB_ACTIONS, *TASK_ACTIONS)),
    "append_blocks",
    "append_tasks",
}
assert set(_RENDER_OPERATIONS.values()) | set(_RENDER_STATE_PARAMS.values()) <= set(RENDER_ACTIONS)


def info(text: str, kind: str = "log") -> dict:
    """Afanasy's answer to an action done."""
    return {"info": {"kind": kind, "text": text}}


def refusal(text: str) -> dict:
    """A refusal as both Afanasy's answers read: ``info`` of kind error (newer Afanasy) and the
    ``error`` key of earlier versions."""
    return {"error": text, **info(text, "error")}


class Requests:
    """Answers one decoded Afanasy request through the bridge."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._monitor_ids = itertools.count(1)

    async def answer(self, message: object) -> dict:
        """The answer object, a refusal included."""
        try:
            return await self._answer(message)
        except AfanasyError as refused:
            if isinstance(message, dict) and "job" in message:  # as Afanasy refuses a job
                return {"id": 0, "serial": 0, "error": str(refused)}
            return refusal(str(refused))

    async def _answer(self, message: object) -> dict:
        if not isinstance(message, dict) or len(message) != 1:
            raise AfanasyError('expected one request: {"job"|"get"|"action"|"monitor": {...}}')
        ((kind, data),) = message.items()
        if not isinstance(data, dict):
            raise AfanasyError(f"{kind}: expected an object")
        if kind == "job":
            return await self._job(data)
        if kind == "monitor":
            return {"monitor": {"id": next(self._monitor_ids)}}
        who = self._bridge.person(data.get("user_name"))
        if kind == "get":
            return await self._get(who, data)
        if kind == "action":
            return await self._action(who, data)
        raise AfanasyError(f"unknown request {kind!r}: expected job, get, action or monitor")

    async def _job(self, job: dict) -> dict:
        """Register a job for its user_name; Afanasy answers its id and serial number (a
        Corral job id is never used again: the same)."""
        who = self._bridge.person(job.get("user_name"))
        answer = await self._bridge.call(who, "POST", "/jobs", job)
        return {"id": answer["id"], "serial": answer["id"]}

    # -- get --------------------------------------------------------------------------------

    async def _get(self, who: Identity, data: dict) -> dict:
        kind, mode = data.get("type"), data.get("mode")
        if kind == "jobs":
            ids = _ids(data)
            if "block_ids" in data or mode == "output":
                return await self._task(who, data, ids)
            if mode == "progress":
                return await self._progress(who, _one(ids, "ids"))
            return {"jobs": await self._jobs(who, data, ids, full=mode == "full")}
        if kind == "renders":
            renders = await self._bridge.call(who, "GET", "/renders")
            return {"renders": _chosen(renders, data)}
        if kind == "users":
            users = await self._bridge.call(who, "GET", "/users")
            return {"users": _chosen(users, data)}
        if kind == "monitors" and mode == "events":
            return {"events": {}}
        raise AfanasyError(f"get: type {kind!r} is not served: jobs, renders or users")

    async def _jobs(self, who: Identity, data: dict, ids: list[int] | None, full: bool) -> list:
        if ids is not None and len(ids) == 1:
            jobs = [await self._bridge.call(who, "GET", f"/jobs/{ids[0]}")]
        else:
            jobs = _chosen(await self._bridge.call(who, "GET", "/jobs"), data)
        if full:  # the job's keys as submitted and edited, beside its state
            for job in jobs:
                spec = await self._bridge.call(who, "GET", f"/jobs/{job['id']}/spec")
                blocks = [
                    {**a, **b}
                    for a, b in zip(spec.pop("blocks"), job.get("blocks", ()), strict=False)
                ]
                job.update({**spec, **job, "blocks": blocks})
        return jobs

    async def _progress(self, who: Identity, job_id: int) -> dict:
        """Afanasy's job_progress: per block, per task its state, percent and starts."""
        job = await self._bridge.call(who, "GET", f"/jobs/{job_id}")
        progress = [
            [_task_progress(task) for task in await self._tasks(who, job_id, block)]
            for block in range(len(job.get("blocks", ())))
        ]
        return {"job_progress": {"id": job_id, "progress": progress}}

    async def _tasks(self, who: Identity, job_id: int, block: int) -> list[dict]:
        tasks, offset = [], 0
        while True:
            page = await self._bridge.call(
                who, "GET", f"/jobs/{job_id}/blocks/{block}/tasks?offset={offset}&limit=1000"
            )
            tasks += page["tasks"]
            offset += len(page["tasks"])
            if not page["tasks"] or offset >= page["total"]:
                return tasks

    async def _task(self, who: Identity, data: dict, ids: list[int] | None) -> dict:
        """A task's info, or with mode "output" the output of its run ``number`` (0 or absent:
        the last one)."""
        job_id = _one(ids, "ids")
        block = _one(_ids(data, "block_ids"), "block_ids")
        task = _one(_ids(data, "task_ids"), "task_ids")
        path = f"/jobs/{job_id}/blocks/{block}/tasks/{task}"
        detail = await self._bridge.call(who, "GET", path)
        if data.get("mode") != "output":
            return {"task": detail}
        number = data.get("number") or len(detail["runs"])
        if type(number) is not int or not 1 <= number <= len(detail["runs"]):
            raise AfanasyError(f"task {task} has no run {number}")
        text = await self._bridge.call(who, "GET", f"{path}/runs/{number}/output")
        name = f"{detail['name']}[{number}]"
        return {"message": {"name": name, "type": "output", "list": [text]}}

    # -- action -----------------------------------------------------------------------------

    async def _action(self, who: Identity, data: dict) -> dict:
        kind = data.get("type")
        operation, params = data.get("operation"), data.get("params")
        if operation is None and params is None:
            raise AfanasyError("action: expected an operation or params")
        if operation is not None and not (
            isinstance(operation, dict) and isinstance(operation.get("type"), str)
        ):
            raise AfanasyError('action: operation: expected {"type": NAME, ...}')
        if params is not None and not isinstance(params, dict):
            raise AfanasyError("action: params: expected an object")
        if kind == "jobs":
            return await self._job_action(who, data, operation, params)
        if kind == "renders":
            return await self._render_action(who, data, operation, params)
        if kind == "users" and params is not None and operation is None:
            names = [user["name"] for user in await self._selected(who, "/users", data)]
            for name in names:
                await self._bridge.call(who, "PATCH", f"/users/{segment(name)}", params)
            return info(f"users {', '.join(names)}: {_keys(params)} set")
        if kind == "monitors":
            return info("monitors: done")
        raise AfanasyError(f"action: type {kind!r} is not served: jobs, renders or users")

    async def _job_action(self, who: Identity, data, operation, params) -> dict:
        if operation is not None and operation["type"] not in _JOB_OPERATIONS:
            raise AfanasyError(f"job operation {operation['type']!r} is not served")
        ids = [job["id"] for job in await self._selected(who, "/jobs", data)]
        blocks = _ids(data, "block_ids")
        done = []
        for job_id in ids:
            for block in blocks if blocks is not None else [None]:
                done.append(await self._on_job(who, job_id, block, operation, params))
        return info("; ".join(done) or "no job chosen")

    async def _on_job(self, who: Identity, job_id: int, block, operation, params) -> str:
        path = f"/jobs/{job_id}" if block is None else f"/jobs/{job_id}/blocks/{block}"
        if params is not None:
            await self._bridge.call(who, "PATCH", path, params)
        if operation is None:
            return f"{path[1:]}: {_keys(params)} set"
        name = operation["type"]
        if name == "append_blocks" and block is None:
            await self._bridge.call(who, "POST", f"{path}/blocks", _list(operation, "blocks"))
        elif name == "append_tasks" and block is not None:
            await self._bridge.call(who, "POST", f"{path}/tasks", _list(operation, "tasks"))
        elif block is None and name.replace("_", "-") in JOB_ACTIONS:
            await self._bridge.call(who, "POST", f"{path}/{name.replace('_', '-')}")
        elif name.replace("_", "-") in TASK_ACTIONS:  # on the block's tasks, or every block's
            tasks = {"tasks": operation["task_ids"]} if operation.get("task_ids") else {}
            blocks = [block] if block is not None else range(await self._block_count(who, path))
            for number in blocks:
                await self._bridge.call(
                    who,
                    "POST",
                    f"/jobs/{job_id}/blocks/{number}/tasks/{name.replace('_', '-')}",
                    tasks,
                )
        else:
            raise AfanasyError(f"operation {name!r} is not served on {path[1:]}")
        return f"{path[1:]}: {name}"

    async def _block_count(self, who: Identity, path: str) -> int:
        return len((await self._bridge.call(who, "GET", path)).get("blocks", ()))

    async def _render_action(self, who: Identity, data, operation, params) -> dict:
        names = [render["name"] for render in await self._selected(who, "/renders", data)]
        actions, settings = [], {}
        for key, value in (params or {}).items():
            action = _RENDER_STATE_PARAMS.get((key, value)) if type(value) is bool else None
            if action is not None:
                actions.append(action)
            else:
                settings[key] = value
        if operation is not None:
            name = operation["type"]
            action = _RENDER_OPERATIONS.get(name, name)
            if action not in RENDER_ACTIONS:
                raise AfanasyError(f"render operation {name!r} is not served")
            actions.append(action)
        for name in names:
            if settings:
                await self._bridge.call(who, "PATCH", f"/renders/{segment(name)}", settings)
            for action in actions:
                await self._bridge.call(who, "POST", f"/renders/{segment(name)}/{action}")
        return info(f"renders {', '.join(names) or 'none'}: {', '.join(actions) or 'set'}")

    async def _selected(self, who: Identity, path: str, data: dict) -> list[dict]:
        """The items of a list route that the request's ids or mask choose."""
        if data.get("ids") is None and data.get("mask") is None:
            raise AfanasyError("action: expected ids or a mask")
        return _chosen(await self._bridge.call(who, "GET", path), data)


# a task's progress as Afanasy writes it: (its key, Corral's task field), each only when set
_PROGRESS_KEYS = (
    ("per", "percent"),
    ("frm", "frame"),
    ("str", "starts"),
    ("err", "errors"),
    ("tst", "time_start"),
    ("tdn", "time_done"),
    ("hst", "render"),
)


def _task_progress(task: dict) -> dict:
    progress = {"state": task["state"]}
    progress.update((key, task[field]) for key, field in _PROGRESS_KEYS if task[field])
    return progress


def _chosen(items: list[dict], data: dict) -> list[dict]:
    """The items whose id is among ``ids`` and whose name matches all of ``mask`` (each
    only when given, as Afanasy chooses)."""
    ids, mask = _ids(data), data.get("mask")
    if mask is not None:
        try:
            pattern = compile_pattern(mask, "mask")  # RE2, as the REST API's masks
        except SpecError as error:
            raise AfanasyError(str(error)) from None
        items = [item for item in items if pattern.fullmatch(item["name"])]
    if ids is not None:
        items = [item for item in items if item.get("id") in ids]
    return items


def _ids(data: dict, key: str = "ids") -> list[int] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(type(item) is int for item in value):
        raise AfanasyError(f"{key}: expected a list of integers")
    return value


def _one(values: list[int] | None, key: str) -> int:
    if not values or len(values) != 1:
        raise AfanasyError(f"{key}: expected exactly one")
    return values[0]


def _list(operation: dict, key: str) -> dict:
    value = operation.get(key)
    if not isinstance(value, list) or not value:
        raise AfanasyError(f"operation {operation['type']}: {key}: expected a list")
    return {key: value}


def _keys(params: dict | None) -> str:
    return ", ".join(sorted(params or ())) or "nothing"

"""REST routes under /api/v1 (docs/protocol.md): jobs, tasks, outputs, renders.

Every change answers only after the journal has committed it.
"""

from __future__ import annotations

import asyncio
import json
import math
import re

from aiohttp import web

import app
from app.core.errors import SpecError
from app.core.jobs import task_summary
from app.core.jobspec import job_to_dict, parse_job
from app.core.pools import Pool, PoolTree, normalize_path
from app.core.renders import Render
from app.server import persistence
from app.server.errors import FarmError
from app.server.farm import Farm
from app.server.openapi import OPENAPI

routes = web.RouteTableDef()
MAX_PAGE = 1000


def _error(status: int, message: str, **extra) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Refusals become JSON errors; nothing a client sends may crash the server."""
    try:
        return await handler(request)
    except SpecError as error:
        return _error(400, str(error), field=error.field)
    except FarmError as error:
        return _error(error.status, str(error))
    except web.HTTPException as error:
        if error.status >= 400 and error.content_type != "application/json":
            return _error(error.status, error.reason)
        raise


def _farm(request: web.Request) -> Farm:
    return request.app["farm"]


def _int_arg(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not text.isdigit() or len(text) > 15:
        raise FarmError(f"{name}: expected a non-negative integer, not {text[:32]!r}", 400)
    return int(text)


def _query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise FarmError(f"{name}: expected an integer {lo}..{hi}", 400)
    return int(text)


async def _json_body(request: web.Request) -> object:
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SpecError("", "the body is not valid UTF-8") from error
    except json.JSONDecodeError as error:
        raise SpecError("", f"the body is not valid JSON: {error.msg} at {error.pos}") from error


@routes.get("/api/v1/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "version": app.__version__})


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Live changes for monitors (a WebSocket; docs/protocol.md)."""
    return await _farm(request).events.serve(request)


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@routes.post("/api/v1/jobs")
async def submit_job(request: web.Request) -> web.Response:
    spec = parse_job(await _json_body(request))
    job = await _farm(request).submit(spec)
    return web.json_response({"id": job.id}, status=201)


@routes.get("/api/v1/jobs")
async def list_jobs(request: web.Request) -> web.Response:
    farm = _farm(request)
    now = farm.clock()
    return web.json_response([job.summary(now=now) for job in farm.jobs.values()])


@routes.get("/api/v1/jobs/{job}")
async def get_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(farm.job(_int_arg(request, "job")).summary(now=farm.clock()))


@routes.get("/api/v1/jobs/{job}/spec")
async def get_job_spec(request: web.Request) -> web.Response:
    """The job as submitted and since edited: every key, blocks included (for edit forms)."""
    return web.json_response(job_to_dict(_farm(request).job(_int_arg(request, "job")).spec))


@routes.delete("/api/v1/jobs/{job}")
async def delete_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    farm.job_action(_int_arg(request, "job"), "delete")
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.post("/api/v1/jobs/actions")
async def jobs_action(request: web.Request) -> web.Response:
    """One action on many jobs: {"action": A, "ids": [...]} or {"mask": "regex on names"}."""
    farm = _farm(request)
    action, selected = _selection(await _json_body(request))
    if isinstance(selected, str):
        pattern = _name_pattern(selected)
        ids = [job.id for job in farm.jobs.values() if pattern.fullmatch(job.name)]
    else:
        ids = selected
        for job_id in ids:
            farm.job(job_id)  # every id must exist before anything changes
    for job_id in ids:
        farm.job_action(job_id, action)
    await farm.journal.flush()
    return web.json_response({"ok": True, "jobs": ids})


@routes.post("/api/v1/renders/actions")
async def renders_action(request: web.Request) -> web.Response:
    """One action on many renders: {"action": A, "names": [...]} or {"mask": "regex"}."""
    farm = _farm(request)
    action, selected = _selection(await _json_body(request), "names")
    if isinstance(selected, str):
        pattern = _name_pattern(selected)
        names = [name for name in farm.renders if pattern.fullmatch(name)]
    else:
        names = selected
        for name in names:
            farm.render(name)
    for name in names:
        farm.render_action(name, action)
    await farm.journal.flush()
    return web.json_response({"ok": True, "renders": names})


def _selection(body: object, ids_key: str = "ids") -> tuple[str, list | str]:
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise SpecError("action", "expected an action name")
    if "mask" in body:
        if not isinstance(body["mask"], str) or not body["mask"]:
            raise SpecError("mask", "expected a regular expression")
        return body["action"], body["mask"]
    selected = body.get(ids_key)
    kind = int if ids_key == "ids" else str
    if not isinstance(selected, list) or not all(type(item) is kind for item in selected):
        raise SpecError(ids_key, f"expected a list of {kind.__name__}s (or a mask)")
    return body["action"], selected


def _name_pattern(mask: str) -> re.Pattern:
    try:
        return re.compile(mask)
    except (re.error, RecursionError, OverflowError) as error:
        raise SpecError("mask", f"not a valid regular expression: {error}") from None


@routes.post("/api/v1/jobs/{job}/blocks")
async def append_blocks(request: web.Request) -> web.Response:
    farm = _farm(request)
    body = await _json_body(request)
    blocks = body.get("blocks") if isinstance(body, dict) else None
    numbers = farm.append_blocks(_int_arg(request, "job"), blocks)
    await farm.journal.flush()
    return web.json_response({"block_ids": numbers}, status=201)


@routes.post("/api/v1/jobs/{job}/blocks/{block}/tasks")
async def append_tasks(request: web.Request) -> web.Response:
    farm = _farm(request)
    body = await _json_body(request)
    tasks = body.get("tasks") if isinstance(body, dict) else None
    numbers = farm.append_tasks(_int_arg(request, "job"), _int_arg(request, "block"), tasks)
    await farm.journal.flush()
    return web.json_response({"task_ids": numbers}, status=201)


@routes.post("/api/v1/jobs/{job}/{action}")
async def job_action(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, action = _int_arg(request, "job"), request.match_info["action"]
    if action == "move":
        body = await _json_body(request)
        farm.move_job(job_id, body.get("to") if isinstance(body, dict) else None)
    else:
        farm.job_action(job_id, action)
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.patch("/api/v1/jobs/{job}")
async def edit_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request))
    await farm.journal.flush()
    return web.json_response(farm.job(job_id).summary(now=farm.clock()))


@routes.patch("/api/v1/jobs/{job}/blocks/{block}")
async def edit_block(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request), _int_arg(request, "block"))
    await farm.journal.flush()
    return web.json_response(farm.job(job_id).summary(now=farm.clock()))


@routes.get("/api/v1/jobs/{job}/explain")
async def explain_job(request: web.Request) -> web.Response:
    return web.json_response(_farm(request).explain(_int_arg(request, "job")))


@routes.get("/api/v1/users")
async def list_users(request: web.Request) -> web.Response:
    return web.json_response([user.summary() for user in _farm(request).users.values()])


@routes.patch("/api/v1/users/{name}")
async def edit_user(request: web.Request) -> web.Response:
    farm = _farm(request)
    user = farm.edit_user(request.match_info["name"], await _json_body(request))
    await farm.journal.flush()
    return web.json_response(user.summary())


@routes.get("/api/v1/renders/{name}")
async def get_render(request: web.Request) -> web.Response:
    return web.json_response(_render_page(_farm(request).render(request.match_info["name"])))


def _render_page(render: Render) -> dict:
    """One render as GET and PATCH answer it: the summary (as listed) and its latest resources,
    which the list leaves out to stay small."""
    return {**render.summary(), "resources": render.resources}


@routes.get("/api/v1/renders/{name}/resources")
async def render_resources(request: web.Request) -> web.Response:
    """The render's recent heartbeat resources, oldest first; ?since=EPOCH: only newer ones."""
    farm = _farm(request)
    render = farm.render(request.match_info["name"])
    since = _query_epoch(request, "since")
    history = farm.resource_history.get(render)
    samples = history.since(since) if history is not None else []
    return web.json_response({"render": render.name, "samples": samples})


def _query_epoch(request: web.Request, name: str) -> float | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise FarmError(f"{name}: expected a time in seconds since the epoch", 400)
    return value


@routes.patch("/api/v1/renders/{name}")
async def edit_render(request: web.Request) -> web.Response:
    farm = _farm(request)
    render = farm.edit_render(request.match_info["name"], await _json_body(request))
    await farm.journal.flush()
    return web.json_response(_render_page(render))


@routes.post("/api/v1/renders/{name}/{action}")
async def render_action(request: web.Request) -> web.Response:
    farm = _farm(request)
    farm.render_action(request.match_info["name"], request.match_info["action"])
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.get("/api/v1/jobs/{job}/blocks/{block}/tasks")
async def list_tasks(request: web.Request) -> web.Response:
    farm = _farm(request)
    block = farm.block(_int_arg(request, "job"), _int_arg(request, "block"))
    size = block.tasks.size
    offset = _query_int(request, "offset", 0, 0, max(size, 0))
    limit = _query_int(request, "limit", 100, 1, MAX_PAGE)
    names = farm.render_names
    tasks = [
        task_summary(block, n, names.get(block.tasks.detail(n)[2], ""))
        for n in range(offset, min(offset + limit, size))
    ]
    return web.json_response({"total": size, "offset": offset, "tasks": tasks})


@routes.post("/api/v1/jobs/{job}/blocks/{block}/tasks/{action}")
async def task_action(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise SpecError("", 'expected {"tasks": [n, ...]} (without "tasks": every task)')
    tasks = body.get("tasks")
    if tasks is not None and (
        not isinstance(tasks, list) or not all(type(n) is int for n in tasks)
    ):
        raise SpecError("tasks", "expected a list of task numbers")
    farm = _farm(request)
    count = farm.task_action(
        _int_arg(request, "job"), _int_arg(request, "block"), request.match_info["action"], tasks
    )
    await farm.journal.flush()
    return web.json_response({"ok": True, "count": count})


@routes.get("/api/v1/jobs/{job}/blocks/{block}/tasks/{task}")
async def get_task(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, block_num = _int_arg(request, "job"), _int_arg(request, "block")
    block = farm.block(job_id, block_num)
    n = _task_number(request, block)
    data = task_summary(block, n, farm.render_names.get(block.tasks.detail(n)[2], ""))
    spec = block.spec
    data.update(
        command=spec.task_command(n),
        working_directory=spec.working_directory,
        environment=spec.task_environment(n),
        files=spec.task_files(n),
        runs=await _in_thread(request, persistence.runs.task_runs, job_id, block_num, n),
    )
    return web.json_response(data)


@routes.get("/api/v1/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/thumbnail")
async def task_thumbnail(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, block_num = _int_arg(request, "job"), _int_arg(request, "block")
    n = _task_number(request, farm.block(job_id, block_num))
    key = (job_id, block_num, n, _int_arg(request, "run"))
    data = await _in_thread(request, farm.outputs.read_thumbnail, key)
    if data is None:
        raise FarmError(f"task {n} run {key[3]} has no thumbnail", 404)
    return web.Response(body=data, content_type="image/jpeg")


@routes.get("/api/v1/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/output")
async def task_output(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, block_num = _int_arg(request, "job"), _int_arg(request, "block")
    block = farm.block(job_id, block_num)
    n = _task_number(request, block)
    key = (job_id, block_num, n, _int_arg(request, "run"))
    text = farm.live.get(key)
    if text is None:
        text = await _in_thread(request, farm.outputs.read, key)
    if text is None and 1 <= key[3] <= block.tasks.detail(n)[0]:
        text = ""  # the run happened and printed nothing
    if text is None:
        raise FarmError(f"task {n} has no run {key[3]}", 404)
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


@routes.get("/api/v1/renders")
async def list_renders(request: web.Request) -> web.Response:
    return web.json_response([render.summary() for render in _farm(request).renders.values()])


@routes.get("/api/v1/pools")
async def list_pools(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(pools_summary(farm))


@routes.post("/api/v1/pools")
async def add_pool(request: web.Request) -> web.Response:
    farm = _farm(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("path"), str):
        raise SpecError("path", 'expected {"path": "/name/", ...settings}')
    tree = PoolTree.from_dict(farm.pools.to_dict())  # change a copy: nothing changes on error
    tree.add(Pool(normalize_path(body["path"])))
    tree.edit(body["path"], {k: v for k, v in body.items() if k != "path"})
    farm.set_pools(tree)
    await farm.journal.flush()
    return web.json_response(pools_summary(farm), status=201)


@routes.patch("/api/v1/pools")
async def edit_pool(request: web.Request) -> web.Response:
    farm = _farm(request)
    tree = PoolTree.from_dict(farm.pools.to_dict())
    tree.edit(_pool_path(request, tree), await _json_body(request))
    farm.set_pools(tree)
    await farm.journal.flush()
    return web.json_response(pools_summary(farm))


@routes.delete("/api/v1/pools")
async def delete_pool(request: web.Request) -> web.Response:
    farm = _farm(request)
    tree = PoolTree.from_dict(farm.pools.to_dict())
    tree.remove(_pool_path(request, tree))
    farm.set_pools(tree)
    await farm.journal.flush()
    return web.json_response(pools_summary(farm))


def _pool_path(request: web.Request, tree: PoolTree) -> str:
    path = request.query.get("path", "")
    if path not in tree:
        raise FarmError(f"no pool {path[:80]!r} (give ?path=/name/)", 404)
    return path


def pools_summary(farm: Farm) -> dict:
    """The tree as stored, each pool's effective settings, its renders, and ticket use."""
    members: dict[str, list[str]] = {}
    for render in farm.renders.values():
        members.setdefault(render.pool, []).append(render.name)
    effective = {}
    for path in farm.pools.paths():
        settings = farm.pools.effective(path)
        effective[path] = {
            "capacity_host": settings.capacity_host,
            "max_tasks_host": settings.max_tasks_host,
            "heartbeat_period": settings.heartbeat_period,
            "zombie_time": settings.zombie_time,
            "priority": settings.priority,
            "paused": settings.paused,
            "properties": settings.properties,
            "services": sorted(settings.services),
            "services_disabled": sorted(settings.services_disabled),
            "tickets_host": dict(settings.tickets_host),
            "sick_errors_count": settings.sick_errors_count,
            "renders": sorted(members.get(path, [])),
        }
    return {**farm.pools.to_dict(), "effective": effective, "tickets": farm.tickets.usage()}


def _task_number(request: web.Request, block) -> int:
    n = _int_arg(request, "task")
    if n >= block.tasks.size:
        raise FarmError(f"block {block.num} has no task {n} (it has {block.tasks.size})", 404)
    return n


async def _in_thread(request: web.Request, function, *args):
    """Run a blocking read (store or file) off the event loop."""
    db = request.app["db"]

    def call():
        with db.connection_context():
            return function(*args)

    return await asyncio.get_running_loop().run_in_executor(None, call)

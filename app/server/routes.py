"""The server's routes under /api/v1 (docs/protocol.md): jobs, tasks, outputs, renders, users,
pools, the events and render sockets. Each handler is declared in the route table `routes`
(app/server/route_table.py) with its summary, schema pieces and access rule; `OPENAPI` is the
document built from it.

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
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS
from app.server import persistence, render_ws
from app.server.errors import FarmError
from app.server.farm import Farm
from app.server.openapi import POOL_PATH, SETTINGS, array, document, selection
from app.server.route_table import Query, RouteTable

routes = RouteTable("/api/v1")
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


@routes.get("/health", "Server liveness and version", access="public")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "version": app.__version__})


@routes.get(
    "/events", "Live changes for monitors: a WebSocket (see docs/protocol.md)", access="user"
)
async def events(request: web.Request) -> web.StreamResponse:
    return await _farm(request).events.serve(request)


routes.add("GET", "/render/ws", render_ws.handle, "The render protocol", access="render")


@routes.get("/openapi.json", "This document", access="user")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@routes.post(
    "/jobs",
    "Submit a job (Afanasy keys); answers its id",
    access="user",
    status="201",
    body={"type": "object", "required": ["name", "blocks"]},
)
async def submit_job(request: web.Request) -> web.Response:
    spec = parse_job(await _json_body(request))
    job = await _farm(request).submit(spec)
    return web.json_response({"id": job.id}, status=201)


@routes.get("/jobs", "List job summaries", access="user")
async def list_jobs(request: web.Request) -> web.Response:
    farm = _farm(request)
    now = farm.clock()
    return web.json_response([job.summary(now=now) for job in farm.jobs.values()])


@routes.get("/jobs/{job}", "A job with per-block progress", access="user")
async def get_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(farm.job(_int_arg(request, "job")).summary(now=farm.clock()))


@routes.get(
    "/jobs/{job}/spec",
    "The job's full definition as now edited (every key, blocks)",
    access="user",
)
async def get_job_spec(request: web.Request) -> web.Response:
    """The job as submitted and since edited: every key, blocks included (for edit forms)."""
    return web.json_response(job_to_dict(_farm(request).job(_int_arg(request, "job")).spec))


@routes.delete("/jobs/{job}", "Delete a job, stopping its running tasks", access="owner")
async def delete_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    farm.job_action(_int_arg(request, "job"), "delete")
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.post(
    "/jobs/actions",
    "One action on many jobs, by ids or a name mask",
    access="owner",
    body=selection("ids", "integer", JOB_ACTIONS),
)
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


@routes.post(
    "/renders/actions",
    "One action on many renders, by names or a name mask",
    access="owner",
    body=selection("names", "string", RENDER_ACTIONS),
)
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


@routes.post(
    "/jobs/{job}/blocks",
    'Append blocks: {"blocks": [...]}; answers their numbers',
    access="owner",
    status="201",
    body={"type": "object", "properties": {"blocks": array("object")}},
)
async def append_blocks(request: web.Request) -> web.Response:
    farm = _farm(request)
    body = await _json_body(request)
    blocks = body.get("blocks") if isinstance(body, dict) else None
    numbers = farm.append_blocks(_int_arg(request, "job"), blocks)
    await farm.journal.flush()
    return web.json_response({"block_ids": numbers}, status=201)


@routes.post(
    "/jobs/{job}/blocks/{block}/tasks",
    'Append tasks: {"tasks": [...]}',
    access="owner",
    status="201",
    body={"type": "object", "properties": {"tasks": array("object")}},
)
async def append_tasks(request: web.Request) -> web.Response:
    farm = _farm(request)
    body = await _json_body(request)
    tasks = body.get("tasks") if isinstance(body, dict) else None
    numbers = farm.append_tasks(_int_arg(request, "job"), _int_arg(request, "block"), tasks)
    await farm.journal.flush()
    return web.json_response({"task_ids": numbers}, status=201)


@routes.post(
    "/jobs/{job}/{action}",
    'Act on a job; "move" takes {"to": up|down|top|bottom}',
    access="owner",
    body={"type": "object", "properties": {"to": {"enum": ["up", "down", "top", "bottom"]}}},
    body_required=False,  # only "move" reads it
    enums={"action": [*JOB_ACTIONS, "move"]},
)
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


@routes.patch(
    "/jobs/{job}", "Change a job's settings; answers the job", access="owner", body=SETTINGS
)
async def edit_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request))
    await farm.journal.flush()
    return web.json_response(farm.job(job_id).summary(now=farm.clock()))


@routes.patch(
    "/jobs/{job}/blocks/{block}",
    "Change a block's settings; answers the job",
    access="owner",
    body=SETTINGS,
)
async def edit_block(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request), _int_arg(request, "block"))
    await farm.journal.flush()
    return web.json_response(farm.job(job_id).summary(now=farm.clock()))


@routes.get("/jobs/{job}/explain", "Why the job runs or not, per online render", access="user")
async def explain_job(request: web.Request) -> web.Response:
    return web.json_response(_farm(request).explain(_int_arg(request, "job")))


@routes.get("/users", "List users", access="user")
async def list_users(request: web.Request) -> web.Response:
    return web.json_response([user.summary() for user in _farm(request).users.values()])


@routes.patch(
    "/users/{name}", "Change a user's settings; answers the user", access="admin", body=SETTINGS
)
async def edit_user(request: web.Request) -> web.Response:
    farm = _farm(request)
    user = farm.edit_user(request.match_info["name"], await _json_body(request))
    await farm.journal.flush()
    return web.json_response(user.summary())


@routes.get("/renders/{name}", "One render, with its latest heartbeat resources", access="user")
async def get_render(request: web.Request) -> web.Response:
    return web.json_response(_render_page(_farm(request).render(request.match_info["name"])))


def _render_page(render: Render) -> dict:
    """One render as GET and PATCH answer it: the summary (as listed) and its latest resources,
    which the list leaves out to stay small."""
    return {**render.summary(), "resources": render.resources}


@routes.get(
    "/renders/{name}/resources",
    "The render's resource samples of the last hour, oldest first, each with its time",
    access="user",
    query=(Query("since", "epoch seconds: only samples newer than this", "number"),),
)
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


@routes.patch(
    "/renders/{name}",
    "Change a render's settings; answers the render",
    access="admin",
    body=SETTINGS,
)
async def edit_render(request: web.Request) -> web.Response:
    farm = _farm(request)
    render = farm.edit_render(request.match_info["name"], await _json_body(request))
    await farm.journal.flush()
    return web.json_response(_render_page(render))


@routes.post(
    "/renders/{name}/{action}",
    "Act on a render",
    access="owner",
    enums={"action": list(RENDER_ACTIONS)},
)
async def render_action(request: web.Request) -> web.Response:
    farm = _farm(request)
    farm.render_action(request.match_info["name"], request.match_info["action"])
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks",
    "A page of a block's tasks",
    access="user",
    query=(Query("offset", "first task", "integer"), Query("limit", "at most 1000", "integer")),
)
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


@routes.post(
    "/jobs/{job}/blocks/{block}/tasks/{action}",
    'Act on tasks {"tasks": [n, ...]}, or on every task without "tasks"',
    access="owner",
    body={"type": "object", "properties": {"tasks": array("integer")}},
    enums={"action": list(TASK_ACTIONS)},
)
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


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks/{task}", "A task with its command and runs", access="user"
)
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


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/thumbnail",
    "A JPEG of the run's last output image (image/jpeg), 404 when it has none",
    access="user",
    answer="image/jpeg",
)
async def task_thumbnail(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, block_num = _int_arg(request, "job"), _int_arg(request, "block")
    n = _task_number(request, farm.block(job_id, block_num))
    key = (job_id, block_num, n, _int_arg(request, "run"))
    data = await _in_thread(request, farm.outputs.read_thumbnail, key)
    if data is None:
        raise FarmError(f"task {n} run {key[3]} has no thumbnail", 404)
    return web.Response(body=data, content_type="image/jpeg")


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/output",
    "The output of one run (live while running), text/plain",
    access="user",
    answer="text/plain",
)
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


@routes.get("/renders", "List renders", access="user")
async def list_renders(request: web.Request) -> web.Response:
    return web.json_response([render.summary() for render in _farm(request).renders.values()])


@routes.get("/pools", "The pools tree, effective settings with renders, ticket use", access="user")
async def list_pools(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(pools_summary(farm))


@routes.post(
    "/pools",
    'Add a pool: {"path": "/gpu/", ...settings}; answers the tree',
    access="admin",
    status="201",
    body={"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}},
)
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


@routes.patch(
    "/pools",
    "Change a pool's settings; answers the tree",
    access="admin",
    body=SETTINGS,
    query=(POOL_PATH,),
)
async def edit_pool(request: web.Request) -> web.Response:
    farm = _farm(request)
    tree = PoolTree.from_dict(farm.pools.to_dict())
    tree.edit(_pool_path(request, tree), await _json_body(request))
    farm.set_pools(tree)
    await farm.journal.flush()
    return web.json_response(pools_summary(farm))


@routes.delete(
    "/pools",
    "Remove a pool without child pools; answers the tree",
    access="admin",
    query=(POOL_PATH,),
)
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


OPENAPI = document(routes)  # served by `openapi` above

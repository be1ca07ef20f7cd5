"""The server's routes under /api/v1 (docs/protocol.md): jobs, tasks, outputs, renders, users
and their tokens, pools, the events and render sockets. Each handler is declared in the route
table `routes` (app/server/route_table.py) with its summary, schema pieces, access rule and, for
the owner rule, the owner of what it acts on; the guard (app/server/auth/guard.py) enforces them
before the handler runs. `OPENAPI` is the document built from the table.

Every change answers only after the journal has committed it.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil

from aiohttp import web

import app
from app.core import states
from app.core.errors import SpecError
from app.core.jobs import JOB_STATES, task_summary
from app.core.jobspec import (
    BLOCK_EDITABLE,
    JOB_EDITABLE,
    block_schema,
    check_services,
    job_schema,
    job_to_dict,
    parse_job,
    task_schema,
    unknown_keys,
)
from app.core.json_checks import decode
from app.core.patterns import compile_pattern
from app.core.pools import MAX_NAME_LEN, PATH_PATTERN, Pool, PoolTree, normalize_path
from app.core.quotas import QuotaExceeded
from app.core.renders import Render
from app.core.users import settings_schema
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS, TASKS_PAGE_MAX
from app.server import persistence, render_ws, server_settings
from app.server.auth import (
    OWNER,
    PERSON_NAME,
    PERSON_ROLES,
    USER,
    Identity,
    person,
    render_action_rule,
)
from app.server.auth.book import ADMIN_NAME, IssuedTokens
from app.server.auth.guard import IDENTITY, may
from app.server.auth.identity import RENDER_PREFIX
from app.server.errors import FarmError
from app.server.farm import Farm
from app.server.openapi import (
    MAX_ID_DIGITS,
    POOL_PATH,
    POOL_SETTINGS,
    array,
    document,
    selection,
    settings,
)
from app.server.persistence import statistics
from app.server.render_settings import SETTINGS_SCHEMA
from app.server.route_table import Query, RouteTable
from app.services.registry import service_names

routes = RouteTable("/api/v1")
RETRY_AFTER = 5  # seconds a client refused while the store cannot commit is told to wait
JOB = job_schema()
BLOCK = block_schema()
MOVES = ("up", "down", "top", "bottom")

# links from an answer to the operations that take what it names
_NEW_JOB = {"job": "$response.body#/id"}
_FIRST_BLOCK = {**_NEW_JOB, "block": "0"}  # constants are strings in OpenAPI 3.1 links
_JOB_LINKS = {
    "get_job": _NEW_JOB,
    "get_job_spec": _NEW_JOB,
    "edit_job": _NEW_JOB,
    "explain_job": _NEW_JOB,
    "job_action": _NEW_JOB,
    "append_blocks": _NEW_JOB,
    "delete_job": _NEW_JOB,
    "list_tasks": _FIRST_BLOCK,
    "edit_block": _FIRST_BLOCK,
    "append_tasks": _FIRST_BLOCK,
    "task_action": _FIRST_BLOCK,
    "get_task": {**_FIRST_BLOCK, "task": "0"},
    "task_output": {**_FIRST_BLOCK, "task": "0", "run": "1"},
    "task_thumbnail": {**_FIRST_BLOCK, "task": "0", "run": "1"},
}
_NEW_BLOCK = {"job": "$request.path.job", "block": "$response.body#/block_ids/0"}
_BLOCK_LINKS = {name: _NEW_BLOCK for name in ("list_tasks", "edit_block", "append_tasks")}
_NEW_USER = {"name": "$response.body#/name"}
_USER_LINKS = {name: _NEW_USER for name in ("issue_token", "revoke_token", "edit_user")}
_FIRST_RENDER = {"name": "$response.body#/0/name"}
_RENDER_LINKS = {
    name: _FIRST_RENDER
    for name in ("get_render", "render_resources", "edit_render", "render_action")
}
_NEW_POOL = {"path": "$request.body#/path"}
_POOL_LINKS = {"edit_pool": _NEW_POOL, "delete_pool": _NEW_POOL}


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
    except QuotaExceeded as error:
        return _quota_refusal(error)
    except web.HTTPNotFound:  # only the router raises it: the handlers raise FarmError
        return _no_route(request)
    except web.HTTPException as error:
        if error.status >= 400 and error.content_type != "application/json":
            answer = _error(error.status, error.reason)
            if "Allow" in error.headers:  # a 405 names the methods the path answers
                answer.headers["Allow"] = error.headers["Allow"]
            return answer
        raise


def _no_route(request: web.Request) -> web.Response:
    """404 for a path no route matches: it names the path and where the API is."""
    path = request.path[:200]
    message = (
        f"no route {request.method} {path}: the Corral API is under {routes.prefix} "
        f"(GET {routes.prefix}/health answers without a token; {routes.prefix}/openapi.json "
        "lists every route)"
    )
    return _error(404, message, path=path)


def _quota_refusal(error: QuotaExceeded) -> web.Response:
    """Over a user's quota: 429 with Retry-After for jobs per minute; 409 for the queue (the
    same request succeeds once enough tasks are done, jobs deleted, or the limit raised)."""
    if error.retry_after is None:
        return _error(409, str(error), **error.details())
    answer = _error(429, str(error), **error.details(), retry_after=error.retry_after)
    answer.headers["Retry-After"] = str(error.retry_after)
    return answer


@web.middleware
async def store_middleware(request: web.Request, handler):
    """While the store cannot commit, changes are refused (503, nothing changes) and reads go
    on: the farm never shows a change it could not store."""
    trouble = _farm(request).journal.trouble
    if trouble is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return await handler(request)
    message = f"the server cannot store changes now ({trouble}); it keeps trying: try again later"
    answer = _error(503, message, degraded=trouble)
    answer.headers["Retry-After"] = str(RETRY_AFTER)
    return answer


def _farm(request: web.Request) -> Farm:
    return request.app["farm"]


def _tokens(request: web.Request) -> IssuedTokens:
    return request.app["guard"].tokens


def _job_owner(request: web.Request) -> str:
    """The owner rule's owner of a job route: the job's user."""
    return _farm(request).job(_int_arg(request, "job")).user_name


def _render_owner(request: web.Request) -> str | None:
    """The owner rule's owner of a render action: the render's user, for the actions its owner
    may take (render_action_rule); None (admins only) for the others."""
    if render_action_rule(request.match_info["action"]) != OWNER:
        return None
    render = _farm(request).renders.get(request.match_info["name"])
    return render.user_name if render is not None else None


def _int_arg(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not _is_number(text) or len(text) > MAX_ID_DIGITS:
        raise FarmError(f"{name}: expected a non-negative integer, not {text[:32]!r}", 400)
    return int(text)


def _query_bool(request: web.Request, name: str) -> bool:
    text = request.query.get(name, "false")
    if text not in ("true", "false"):
        raise FarmError(f"{name}: expected true or false, not {text[:32]!r}", 400)
    return text == "true"


def _query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not _is_number(text) or len(text) > 15 or not lo <= int(text) <= hi:
        raise FarmError(f"{name}: expected an integer {lo}..{hi}", 400)
    return int(text)


def _is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit also accepts '²' and other digits int() refuses)."""
    return text.isascii() and text.isdigit()


async def _json_body(request: web.Request) -> object:
    raw = await request.read()
    try:
        return decode(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SpecError("", "the body is not valid UTF-8") from error
    except json.JSONDecodeError as error:
        raise SpecError("", f"the body is not valid JSON: {error.msg} at {error.pos}") from error
    except ValueError as error:
        raise SpecError("", f"the body is not valid JSON: {error}") from error


@routes.get(
    "/health",
    "Server liveness, version and clock; why it is degraded, if it is",
    access="public",
    reply="Health",
)
async def health(request: web.Request) -> web.Response:
    """`degraded`: None, or why the store cannot commit now (changes are refused meanwhile);
    `time`: the server's clock (epoch seconds), for clients to measure their skew."""
    farm = _farm(request)
    return web.json_response(
        {
            "ok": True,
            "version": app.__version__,
            "degraded": farm.journal.trouble,
            "time": farm.clock(),
        }
    )


@routes.get(
    "/events",
    "Live changes for monitors: a WebSocket (see docs/protocol.md); 400 without the handshake",
    access="user",
    status="101",
    answer="",
    refusals=("400",),
)
async def events(request: web.Request) -> web.StreamResponse:
    return await _farm(request).events.serve(request)


routes.add("GET", "/render/ws", render_ws.handle, "The render protocol", access="render")


@routes.get("/openapi.json", "This document", access="user", reply="OpenAPI")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@routes.post(
    "/jobs",
    "Submit a job (Afanasy keys); answers its id",
    access="user",
    status="201",
    body=JOB,
    reply="Created",
    links=_JOB_LINKS,
    refusals=("409",),
    query=(Query("strict", "true: refuse a key Corral does not know (400)", {"type": "boolean"}),),
)
async def submit_job(request: web.Request) -> web.Response:
    """A user's job is theirs whatever its user_name says; an admin may submit for anyone.
    Keys neither Corral nor Afanasy know are named in ``warnings``, or refused with ?strict."""
    strict = _query_bool(request, "strict")
    body = await _json_body(request)
    identity = request[IDENTITY]
    if identity.role == USER and isinstance(body, dict):
        body["user_name"] = identity.name
    spec = parse_job(body)
    check_services(spec.blocks, service_names())
    unknown = unknown_keys(spec)
    if strict and unknown:
        raise SpecError(*unknown[0])
    job, notes = await _farm(request).submit(spec)
    warnings = [f"{path}: {message}" for path, message in unknown] + notes
    return web.json_response({"id": job.id, "warnings": warnings}, status=201)


@routes.get(
    "/jobs",
    "List job summaries, all or those the filters choose",
    access="user",
    reply="Jobs",
    query=(
        Query("user", "only this user's jobs", {"type": "string"}),
        Query("state", "only jobs whose state has this code", {"enum": list(JOB_STATES)}),
        Query(
            "name",
            "only jobs whose name contains a match of this regular expression",
            {"type": "string"},
        ),
    ),
)
async def list_jobs(request: web.Request) -> web.Response:
    farm = _farm(request)
    user, state, name = (request.query.get(key) for key in ("user", "state", "name"))
    if state is not None and state not in JOB_STATES:
        raise SpecError("state", f"expected one of {', '.join(JOB_STATES)}")
    pattern = compile_pattern(name, "name") if name is not None else None
    answer = []
    for job in farm.jobs.values():
        if user is not None and job.user_name != user:
            continue
        if pattern is not None and not pattern.search(job.name):
            continue
        summary = farm.job_summary(job)
        if state is None or state in summary["state"].split():
            answer.append(summary)
    return web.json_response(answer)


@routes.get("/jobs/{job}", "A job with per-block progress", access="user", reply="Job")
async def get_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(farm.job_summary(farm.job(_int_arg(request, "job"))))


@routes.get(
    "/jobs/{job}/spec",
    "The job's full definition as now edited (every key, blocks)",
    access="user",
    reply="JobSpec",
)
async def get_job_spec(request: web.Request) -> web.Response:
    """The job as submitted and since edited: every key, blocks included (for edit forms); the
    environments (null) only for the job's owner and admins."""
    job = _farm(request).job(_int_arg(request, "job"))
    data = job_to_dict(job.spec)
    if not may(request, job.user_name):
        for block in data["blocks"]:
            block["environment"] = None
            for task in block.get("tasks") or ():
                task["environment"] = None
    return web.json_response(data)


@routes.delete(
    "/jobs/{job}",
    "Delete a job, stopping its running tasks",
    access="owner",
    owner=_job_owner,
    reply="Ok",
)
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
    reply="JobsDone",
    refusals=("404",),
)
async def jobs_action(request: web.Request) -> web.Response:
    """One action on many jobs: {"action": A, "ids": [...]} or {"mask": "regex on names"}."""
    farm = _farm(request)
    action, selected = _selection(await _json_body(request), JOB_ACTIONS, "ids")
    if isinstance(selected, str):
        pattern = compile_pattern(selected, "mask")
        ids = [
            job.id
            for job in farm.jobs.values()
            if pattern.fullmatch(job.name) and may(request, job.user_name)
        ]
    else:
        ids = selected
        for job_id in ids:  # every id must exist and be the caller's before anything changes
            _check_owner(request, farm.job(job_id).user_name, f"job {job_id}")
    for job_id in ids:
        farm.job_action(job_id, action)
    await farm.journal.flush()
    return web.json_response({"ok": True, "jobs": ids})


@routes.post(
    "/renders/actions",
    "One action on many renders, by names or a name mask",
    access="owner",
    body=selection("names", "string", RENDER_ACTIONS),
    reply="RendersDone",
    refusals=("404", "409"),
)
async def renders_action(request: web.Request) -> web.Response:
    """One action on many renders: {"action": A, "names": [...]} or {"mask": "regex"}."""
    farm = _farm(request)
    action, selected = _selection(await _json_body(request), RENDER_ACTIONS, "names")
    rule = render_action_rule(action)
    if isinstance(selected, str):
        pattern = compile_pattern(selected, "mask")
        names = [
            name
            for name, render in farm.renders.items()
            if pattern.fullmatch(name) and may(request, render.user_name, rule)
        ]
    else:
        names = selected
        for name in names:
            _check_owner(request, farm.render(name).user_name, f"render {name}", rule)
    for name in names:
        farm.render_action(name, action)
        if action == "delete":
            await _tokens(request).revoke(RENDER_PREFIX + name)
    await farm.journal.flush()
    return web.json_response({"ok": True, "renders": names})


def _check_owner(request: web.Request, owner: str, what: str, rule: str = OWNER) -> None:
    if not may(request, owner, rule):
        raise FarmError(f"{request[IDENTITY].name} may not act on {what}", 403)


def _selection(body: object, actions: tuple[str, ...], ids_key: str) -> tuple[str, list | str]:
    """The action (one of `actions`) and its items: a list by `ids_key`, or a mask."""
    if not isinstance(body, dict) or body.get("action") not in actions:
        raise SpecError("action", f"expected one of {', '.join(actions)}")
    if "mask" in body:
        if ids_key in body:
            raise SpecError(ids_key, "give the items or a mask, not both")
        if not isinstance(body["mask"], str) or not body["mask"]:
            raise SpecError("mask", "expected a regular expression")
        return body["action"], body["mask"]
    selected = body.get(ids_key)
    kind = int if ids_key == "ids" else str
    if not isinstance(selected, list) or not all(type(item) is kind for item in selected):
        raise SpecError(ids_key, f"expected a list of {kind.__name__}s (or a mask)")
    return body["action"], selected


@routes.post(
    "/jobs/{job}/blocks",
    'Append blocks: {"blocks": [...]}; answers their numbers',
    access="owner",
    owner=_job_owner,
    status="201",
    body={
        "type": "object",
        "required": ["blocks"],
        "properties": {"blocks": {"type": "array", "items": BLOCK, "minItems": 1}},
    },
    reply="BlocksAdded",
    refusals=("409",),
    links=_BLOCK_LINKS,
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
    owner=_job_owner,
    status="201",
    body={
        "type": "object",
        "required": ["tasks"],
        "properties": {"tasks": {"type": "array", "items": task_schema(), "minItems": 1}},
    },
    reply="TasksAdded",
    refusals=("409",),
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
    owner=_job_owner,
    body={
        "type": "object",
        "properties": {"to": {"enum": list(MOVES)}},
        "additionalProperties": False,
    },
    body_required=False,  # only "move" needs it
    enums={"action": [*JOB_ACTIONS, "move"]},
    reply="Ok",
)
async def job_action(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, action = _int_arg(request, "job"), request.match_info["action"]
    body = await _json_body(request) if request.body_exists else {}
    if not isinstance(body, dict) or set(body) - {"to"} or body.get("to", MOVES[0]) not in MOVES:
        raise SpecError("", f'expected no body, or {{"to": {"|".join(MOVES)}}} to move')
    if action == "move":
        farm.move_job(job_id, body.get("to"))
    else:
        farm.job_action(job_id, action)
    await farm.journal.flush()
    return web.json_response({"ok": True})


@routes.patch(
    "/jobs/{job}",
    "Change a job's settings; answers the job",
    access="owner",
    owner=_job_owner,
    body=settings(JOB, JOB_EDITABLE),
    reply="Job",
)
async def edit_job(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request))
    await farm.journal.flush()
    return web.json_response(farm.job_summary(farm.job(job_id)))


@routes.patch(
    "/jobs/{job}/blocks/{block}",
    "Change a block's settings; answers the job",
    access="owner",
    owner=_job_owner,
    body=settings(BLOCK, BLOCK_EDITABLE),
    reply="Job",
)
async def edit_block(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id = _int_arg(request, "job")
    farm.edit_job(job_id, await _json_body(request), _int_arg(request, "block"))
    await farm.journal.flush()
    return web.json_response(farm.job_summary(farm.job(job_id)))


@routes.get(
    "/jobs/{job}/explain",
    "Why the job runs or not, per online render",
    access="user",
    reply="Explain",
)
async def explain_job(request: web.Request) -> web.Response:
    return web.json_response(_farm(request).explain(_int_arg(request, "job")))


@routes.get("/users", "List users", access="user", reply="Users")
async def list_users(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response([farm.user_summary(user) for user in farm.users.values()])


@routes.get(
    "/services",
    "The services a block may name (built in and the server's plugins), sorted",
    access="user",
    reply="Services",
)
async def services(request: web.Request) -> web.Response:
    return web.json_response(service_names())


@routes.get(
    "/whoami", "Whom the request's token belongs to: name and role", access="user", reply="Whoami"
)
async def whoami(request: web.Request) -> web.Response:
    identity = request[IDENTITY]
    return web.json_response({"name": identity.name, "role": identity.role})


@routes.post(
    "/users",
    "Give a person a token, shown this once: name, role, token",
    access="admin",
    status="201",
    body={
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": f"^{PERSON_NAME.pattern}$"},
            "role": {"enum": list(PERSON_ROLES)},
        },
    },
    reply="Token",
    refusals=("409",),
    links=_USER_LINKS,
)
async def add_user(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise SpecError("name", 'expected {"name": NAME, "role": "user" or "admin"}')
    role = body.get("role", USER)
    if role not in PERSON_ROLES:
        raise SpecError("role", f"expected one of {', '.join(PERSON_ROLES)}")
    try:
        identity = person(body["name"], role)
    except ValueError as error:
        raise SpecError("name", str(error)) from None
    tokens = _tokens(request)
    if tokens.identity(identity.name) is not None:
        raise FarmError(f"{identity.name} already has a token: issue a new one instead", 409)
    token = await tokens.issue(identity)
    return web.json_response(_token_answer(identity, token), status=201)


@routes.post(
    "/users/{name}/token",
    "A new token for a person (the old one stops working): name, role, token",
    access="admin",
    reply="Token",
    refusals=("409",),
)
async def issue_token(request: web.Request) -> web.Response:
    identity = _person_with_token(request)
    return web.json_response(_token_answer(identity, await _tokens(request).issue(identity)))


@routes.delete(
    "/users/{name}/token", "End a person's token", access="admin", reply="Ok", refusals=("409",)
)
async def revoke_token(request: web.Request) -> web.Response:
    identity = _person_with_token(request)
    await _tokens(request).revoke(identity.name)
    return web.json_response({"ok": True})


def _person_with_token(request: web.Request) -> Identity:
    """The person of the path, who must hold a token other than the data folder's."""
    name = request.match_info["name"]
    if name == ADMIN_NAME:
        raise FarmError(f"{ADMIN_NAME}'s token is the server's admin-token file", 409)
    identity = _tokens(request).identity(name)
    if identity is None or identity.role not in PERSON_ROLES:
        raise FarmError(f"no user {name!r} with a token", 404)
    return identity


def _token_answer(identity: Identity, token: str) -> dict:
    return {"name": identity.name, "role": identity.role, "token": token}


@routes.patch(
    "/users/{name}",
    "Change a user's settings (a person with a token, before their first job, too)",
    access="admin",
    body=settings_schema(),
    reply="User",
)
async def edit_user(request: web.Request) -> web.Response:
    """A person with a token but no job yet is made a user now (their quotas set before their
    first job); any other unknown name is 404."""
    farm, name = _farm(request), request.match_info["name"]
    identity = _tokens(request).identity(name)
    holds_token = identity is not None and identity.role in PERSON_ROLES
    user = farm.edit_user(name, await _json_body(request), create=holds_token)
    await farm.journal.flush()
    return web.json_response(farm.user_summary(user))


@routes.get(
    "/renders/{name}",
    "One render, with its latest heartbeat resources",
    access="user",
    reply="Render",
)
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
    query=(Query("since", "epoch seconds: only samples newer than this", {"minimum": 0}),),
    reply="Resources",
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
    body=SETTINGS_SCHEMA,
    reply="Render",
)
async def edit_render(request: web.Request) -> web.Response:
    farm = _farm(request)
    render = farm.edit_render(request.match_info["name"], await _json_body(request))
    await farm.journal.flush()
    return web.json_response(_render_page(render))


@routes.post(
    "/renders/{name}/{action}",
    "Act on a render (its owner: nimby, NIMBY or free; admins: any)",
    access="owner",
    owner=_render_owner,
    enums={"action": list(RENDER_ACTIONS)},
    reply="Ok",
    refusals=("409",),
)
async def render_action(request: web.Request) -> web.Response:
    farm = _farm(request)
    name, action = request.match_info["name"], request.match_info["action"]
    farm.render_action(name, action)
    if action == "delete":  # the name is free for another host to join with the farm secret
        await _tokens(request).revoke(RENDER_PREFIX + name)
    await farm.journal.flush()
    return web.json_response({"ok": True})


TEXT_SEARCH_MAX = 20_000  # tasks a text filter may search in one request


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks",
    "A page of a block's tasks; with state, of its tasks in those states, state by state",
    access="user",
    query=(
        Query("offset", "first task (at most the block's task count)", {"type": "integer"}),
        Query(
            "limit",
            f"at most {TASKS_PAGE_MAX}",
            {"type": "integer", "minimum": 1, "maximum": TASKS_PAGE_MAX},
        ),
        Query(
            "state",
            "comma-separated task states (" + ", ".join(states.CODES) + "): only tasks in them",
            {"type": "string"},
        ),
        Query(
            "text",
            f"only tasks whose name or render holds it, any case (at most {TEXT_SEARCH_MAX:,}"
            " tasks searched)",
            {"type": "string"},
        ),
    ),
    reply="TaskPage",
)
async def list_tasks(request: web.Request) -> web.Response:
    farm = _farm(request)
    block = farm.block(_int_arg(request, "job"), _int_arg(request, "block"))
    numbers = _tasks_in_states(block, request.query.get("state"))
    if request.query.get("text"):
        numbers = _tasks_with_text(block, numbers, request.query["text"], farm.render_names)
    size = block.tasks.size if numbers is None else len(numbers)
    offset = _query_int(request, "offset", 0, 0, max(size, 0))
    limit = _query_int(request, "limit", 100, 1, TASKS_PAGE_MAX)
    end = min(offset + limit, size)
    page = range(offset, end) if numbers is None else numbers[offset:end]
    first, last = (min(page), max(page) + 1) if page else (0, 0)
    usage = await _in_thread(
        request, persistence.runs.latest_usage, block.job.id, block.num, first, last
    )
    names = farm.render_names
    tasks = [
        {
            **task_summary(block, n, names.get(block.tasks.detail(n)[2], "")),
            **usage.get(n, persistence.runs.NO_RUN),
            "activity": _activity(farm, block, n),
        }
        for n in page
    ]
    return web.json_response({"total": size, "offset": offset, "tasks": tasks})


def _activity(farm: Farm, block, n: int) -> str | None:
    """A running task's last line of output (None when it does not run or printed none)."""
    if block.tasks.state(n) != states.RUN:
        return None
    return farm.live.last_line((block.job.id, block.num, n, block.tasks.detail(n)[0]))


def _tasks_in_states(block, text: str | None) -> list[int] | None:
    """The numbers of the block's tasks in the comma list's states, state by state in its
    order (None without a list); a 400 naming an unknown state."""
    if text is None:
        return None
    codes = [code.strip() for code in text.split(",") if code.strip()]
    unknown = [code for code in codes if code not in states.CODES]
    if unknown:
        raise SpecError(
            "state", f"unknown task state {unknown[0]!r}; use {', '.join(states.CODES)}"
        )
    numbers: list[int] = []
    for code in dict.fromkeys(codes):
        numbers.extend(block.tasks.numbers_in(states.CODES.index(code)))
    return numbers


def _tasks_with_text(
    block, numbers: list[int] | None, text: str, render_names: dict[int, str]
) -> list[int]:
    """Those of the tasks (all: None) whose name or render holds the text, any case; a 400
    when more than TEXT_SEARCH_MAX would be searched (the loop would stall)."""
    candidates = range(block.tasks.size) if numbers is None else numbers
    if len(candidates) > TEXT_SEARCH_MAX:
        raise FarmError(
            f"text: {len(candidates):,} tasks to search, more than {TEXT_SEARCH_MAX:,};"
            " choose states first",
            400,
        )
    wanted = text.lower()
    return [
        n
        for n in candidates
        if wanted in block.spec.task_name(n).lower()
        or wanted in render_names.get(block.tasks.detail(n)[2], "").lower()
    ]


@routes.post(
    "/jobs/{job}/blocks/{block}/tasks/{action}",
    'Act on tasks {"tasks": [n, ...]}, or on every task without "tasks"',
    access="owner",
    owner=_job_owner,
    body={"type": "object", "properties": {"tasks": array("integer")}},
    enums={"action": list(TASK_ACTIONS)},
    reply="TasksDone",
)
async def task_action(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise SpecError("", 'expected {"tasks": [n, ...]} (without "tasks": every task)')
    tasks = body.get("tasks")  # absent (None): every task
    if "tasks" in body and (not isinstance(tasks, list) or not all(type(n) is int for n in tasks)):
        raise SpecError("tasks", "expected a list of task numbers")
    farm = _farm(request)
    count = farm.task_action(
        _int_arg(request, "job"), _int_arg(request, "block"), request.match_info["action"], tasks
    )
    await farm.journal.flush()
    return web.json_response({"ok": True, "count": count})


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks/{task}",
    "A task with its command and runs (its environment null but for its owner and admins)",
    access="user",
    reply="Task",
)
async def get_task(request: web.Request) -> web.Response:
    farm = _farm(request)
    job_id, block_num = _int_arg(request, "job"), _int_arg(request, "block")
    block = farm.block(job_id, block_num)
    n = _task_number(request, block)
    data = task_summary(block, n, farm.render_names.get(block.tasks.detail(n)[2], ""))
    spec = block.spec
    runs = await _in_thread(request, persistence.runs.task_runs, job_id, block_num, n)
    latest = persistence.runs.latest_fields(runs[-1]) if runs else persistence.runs.NO_RUN
    data.update(
        command=spec.task_command(n),
        working_directory=spec.working_directory,
        environment=spec.task_environment(n) if may(request, block.job.user_name) else None,
        files=spec.task_files(n),
        runs=runs,
        **latest,  # as the task pages show it
        activity=_activity(farm, block, n),
    )
    return web.json_response(data)


@routes.get(
    "/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/thumbnail",
    "A JPEG of the run's last output image (image/jpeg), 404 when it has none",
    access="owner",
    owner=_job_owner,
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
    access="owner",
    owner=_job_owner,
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


@routes.get("/renders", "List renders", access="user", reply="Renders", links=_RENDER_LINKS)
async def list_renders(request: web.Request) -> web.Response:
    return web.json_response([render.summary() for render in _farm(request).renders.values()])


@routes.get(
    "/pools",
    "The pools tree, effective settings with renders, ticket use",
    access="user",
    reply="Pools",
)
async def list_pools(request: web.Request) -> web.Response:
    farm = _farm(request)
    return web.json_response(pools_summary(farm))


@routes.post(
    "/pools",
    'Add a pool: {"path": "/gpu/", ...settings}; answers the tree',
    access="admin",
    status="201",
    body={
        "type": "object",
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "maxLength": MAX_NAME_LEN, "pattern": PATH_PATTERN}
        },
        "propertyNames": {"enum": ["path", *POOL_SETTINGS["propertyNames"]["enum"]]},
    },
    reply="Pools",
    links=_POOL_LINKS,
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
    body=POOL_SETTINGS,
    query=(POOL_PATH,),
    reply="Pools",
    refusals=("404",),
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
    reply="Pools",
    refusals=("404",),
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


# -- the server itself -------------------------------------------------------------------------


@routes.get(
    "/server/config",
    "The server's runtime settings (log level, timings, quota defaults, retention)",
    access="admin",
    reply="ServerConfig",
)
async def server_config(request: web.Request) -> web.Response:
    return web.json_response(server_settings.current(_farm(request)))


@routes.patch(
    "/server/config",
    "Change runtime settings, stored for restarts; answers them all",
    access="admin",
    body=server_settings.SCHEMA,
    reply="ServerConfig",
)
async def edit_server_config(request: web.Request) -> web.Response:
    farm = _farm(request)
    await farm.journal.write(server_settings.change(farm, await _json_body(request)))
    return web.json_response(server_settings.current(farm))


@routes.get(
    "/server/stats",
    "Traffic since the server started: requests, socket messages, bytes, connected peers; "
    "the data folder's disk space",
    access="user",
    reply="ServerStats",
)
async def server_stats(request: web.Request) -> web.Response:
    farm = _farm(request)
    disk = shutil.disk_usage(farm.config.data_dir)
    return web.json_response(
        {
            **farm.traffic.summary(len(farm.links), len(farm.events.monitors)),
            "data_disk": {"free_bytes": disk.free, "total_bytes": disk.total},
        }
    )


# -- statistics (app/server/persistence/statistics.py; the page: app/server/pages.py) --------

STATS_DEFAULT_RANGE = 7 * 86400  # seconds before `to` when `from` is not given
STATS_MAX_RANGE = 5 * 365 * 86400
_STATS_RANGE = (
    Query(
        "from",
        "epoch seconds: runs that ended at or after this (default: 7 days before to)",
        {"type": "number", "minimum": 0},
    ),
    Query(
        "to",
        "epoch seconds: runs that ended before this (default: now)",
        {"type": "number", "minimum": 0},
    ),
)
_STATS_BY = Query("by", "group by this", {"enum": list(statistics.GROUPS)}, required=True)


def _stats_range(request: web.Request) -> tuple[float, float]:
    """The range [from, to) a statistics request asks for (400 unless from < to, at most
    STATS_MAX_RANGE apart)."""
    end = _query_epoch(request, "to")
    end = _farm(request).clock() if end is None else end
    start = _query_epoch(request, "from")
    start = max(0.0, end - STATS_DEFAULT_RANGE) if start is None else start
    if not start < end:
        raise FarmError("from: expected a time before to", 400)
    if end - start > STATS_MAX_RANGE:
        raise FarmError(f"from, to: at most {STATS_MAX_RANGE // 86400} days apart", 400)
    return start, end


def _stats_by(request: web.Request) -> str:
    by = request.query.get("by", "")
    if by not in statistics.GROUPS:
        raise FarmError(f"by: expected one of {', '.join(statistics.GROUPS)}", 400)
    return by


async def _stats(request: web.Request, function, *args) -> web.Response:
    start, end = _stats_range(request)
    answer = await _in_thread(request, function, start, end, *args)
    if isinstance(answer, list):
        answer = {"rows": answer}
    return web.json_response({"from": start, "to": end, **answer})


@routes.get(
    "/stats/over-time",
    "Render hours and ended runs per time bucket, by user, project, department, service, host"
    " or pool",
    access="user",
    query=(*_STATS_RANGE, _STATS_BY),
    reply="StatsOverTime",
)
async def stats_over_time(request: web.Request) -> web.Response:
    return await _stats(request, statistics.over_time, _stats_by(request))


@routes.get(
    "/stats/breakdown",
    "Runs by how they ended, error rate, render and CPU hours per user, project, service, host...",
    access="user",
    query=(*_STATS_RANGE, _STATS_BY),
    reply="StatsBreakdown",
)
async def stats_breakdown(request: web.Request) -> web.Response:
    return await _stats(request, statistics.breakdown, _stats_by(request))


@routes.get(
    "/stats/slowest",
    "The longest runs that ended in the range, longest first",
    access="user",
    query=(
        *_STATS_RANGE,
        Query(
            "limit",
            f"at most {statistics.SLOWEST_MAX} (default 100)",
            {"type": "integer", "minimum": 1, "maximum": statistics.SLOWEST_MAX},
        ),
    ),
    reply="StatsSlowest",
)
async def stats_slowest(request: web.Request) -> web.Response:
    limit = _query_int(request, "limit", 100, 1, statistics.SLOWEST_MAX)
    return await _stats(request, statistics.slowest, limit)


@routes.get(
    "/stats/utilisation",
    "Busy and free render capacity per time bucket",
    access="user",
    query=_STATS_RANGE,
    reply="StatsUtilisation",
)
async def stats_utilisation(request: web.Request) -> web.Response:
    return await _stats(request, statistics.utilisation)


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

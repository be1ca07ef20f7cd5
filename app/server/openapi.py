"""The OpenAPI description of the REST API, served at /api/v1/openapi.json.

One row of ROUTES per route of app/server/routes.py (tests/unit/test_openapi.py checks that none
is missing). Path parameters come from the path itself: job, block, task and run are integers,
the others strings.

The POST ``.../tasks/{action}`` and the GET ``.../tasks/{task}`` paths differ only in the
template name, which OpenAPI 3.1 calls identical; they are kept apart because the server routes
them by method, and each operation documents its own parameter.
"""

from __future__ import annotations

import re

import app
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS

_INTEGER_PARAMS = {"job", "block", "task", "run"}
_SETTINGS = {"type": "object", "description": "the settings to change; the others stay"}


def _list(kind: str) -> dict:
    return {"type": "array", "items": {"type": kind}}


def _selection(key: str, kind: str, actions: tuple) -> dict:
    return {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"enum": list(actions)},
            key: _list(kind),
            "mask": {"type": "string", "description": "regular expression on whole names"},
        },
    }


POOL_PATH = ("path", "pool path, e.g. /gpu/", "string", True)
_OPTIONAL_BODY = {"/api/v1/jobs/{job}/{action}"}  # only "move" reads it

# (method, path, summary, success status, request body schema or None, query parameters,
#  path parameter enums); query parameters are (name, description, type, required).
ROUTES: list[tuple] = [
    ("get", "/health", "Server liveness and version"),
    ("get", "/openapi.json", "This document"),
    ("get", "/jobs", "List job summaries"),
    ("post", "/jobs", "Submit a job (Afanasy keys); answers its id", "201",
     {"type": "object", "required": ["name", "blocks"]}),
    ("post", "/jobs/actions", "One action on many jobs, by ids or a name mask", "200",
     _selection("ids", "integer", JOB_ACTIONS)),
    ("get", "/jobs/{job}", "A job with per-block progress"),
    ("patch", "/jobs/{job}", "Change a job's settings; answers the job", "200", _SETTINGS),
    ("delete", "/jobs/{job}", "Delete a job, stopping its running tasks"),
    ("post", "/jobs/{job}/{action}", 'Act on a job; "move" takes {"to": up|down|top|bottom}',
     "200", {"type": "object", "properties": {"to": {"enum": ["up", "down", "top", "bottom"]}}},
     (), {"action": [*JOB_ACTIONS, "move"]}),
    ("get", "/jobs/{job}/explain", "Why the job runs or not, per online render"),
    ("post", "/jobs/{job}/blocks", 'Append blocks: {"blocks": [...]}; answers their numbers',
     "201", {"type": "object", "properties": {"blocks": _list("object")}}),
    ("patch", "/jobs/{job}/blocks/{block}", "Change a block's settings; answers the job", "200",
     _SETTINGS),
    ("get", "/jobs/{job}/blocks/{block}/tasks", "A page of a block's tasks", "200", None,
     (("offset", "first task", "integer", False), ("limit", "at most 1000", "integer", False))),
    ("post", "/jobs/{job}/blocks/{block}/tasks", 'Append tasks: {"tasks": [...]}', "201",
     {"type": "object", "properties": {"tasks": _list("object")}}),
    ("post", "/jobs/{job}/blocks/{block}/tasks/{action}",
     'Act on tasks {"tasks": [n, ...]}, or on every task without "tasks"', "200",
     {"type": "object", "properties": {"tasks": _list("integer")}}, (),
     {"action": list(TASK_ACTIONS)}),
    ("get", "/jobs/{job}/blocks/{block}/tasks/{task}", "A task with its command and runs"),
    ("get", "/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/output",
     "The output of one run (live while running), text/plain"),
    ("get", "/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/thumbnail",
     "A JPEG of the run's last output image (image/jpeg), 404 when it has none"),
    ("get", "/jobs/{job}/spec", "The job's full definition as now edited (every key, blocks)"),
    ("get", "/events", "Live changes for monitors: a WebSocket (see docs/protocol.md)"),
    ("get", "/users", "List users"),
    ("patch", "/users/{name}", "Change a user's settings; answers the user", "200", _SETTINGS),
    ("get", "/renders", "List renders"),
    ("post", "/renders/actions", "One action on many renders, by names or a name mask", "200",
     _selection("names", "string", RENDER_ACTIONS)),
    ("get", "/renders/{name}", "One render, with its latest heartbeat resources"),
    ("get", "/renders/{name}/resources",
     "The render's resource samples of the last hour, oldest first, each with its time",
     "200", None, (("since", "epoch seconds: only samples newer than this", "number", False),)),
    ("patch", "/renders/{name}", "Change a render's settings; answers the render", "200",
     _SETTINGS),
    ("post", "/renders/{name}/{action}", "Act on a render", "200", None, (),
     {"action": list(RENDER_ACTIONS)}),
    ("get", "/pools", "The pools tree, effective settings with renders, ticket use"),
    ("post", "/pools", 'Add a pool: {"path": "/gpu/", ...settings}; answers the tree', "201",
     {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}),
    ("patch", "/pools", "Change a pool's settings; answers the tree", "200", _SETTINGS,
     (POOL_PATH,)),
    ("delete", "/pools", "Remove a pool without child pools; answers the tree", "200", None,
     (POOL_PATH,)),
]  # fmt: skip


def _parameter(name: str, where: str, kind: str, required: bool, **extra) -> dict:
    return {"name": name, "in": where, "required": required, "schema": {"type": kind, **extra}}


def _operation(
    path: str,
    summary: str,
    status: str = "200",
    body: dict | None = None,
    query: tuple = (),
    enums: dict | None = None,
) -> dict:
    enums = enums or {}
    media = "text/plain" if path.endswith("/output") else "application/json"
    operation: dict = {
        "summary": summary,
        "responses": {
            status: {"description": "success", "content": {media: {}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        },
    }
    parameters = [
        _parameter(name, "path", "integer" if name in _INTEGER_PARAMS else "string", True)
        for name in re.findall(r"{(\w+)}", path)
    ]
    for parameter in parameters:
        if parameter["name"] in enums:
            parameter["schema"] = {"enum": enums[parameter["name"]]}
    parameters += [
        {**_parameter(name, "query", kind, required), "description": text}
        for name, text, kind, required in query
    ]
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        content = {"application/json": {"schema": body}}
        operation["requestBody"] = {"required": path not in _OPTIONAL_BODY, "content": content}
    return operation


def _paths(routes: list[tuple]) -> dict:
    paths: dict = {}
    for method, path, *rest in routes:
        full = "/api/v1" + path
        paths.setdefault(full, {})[method] = _operation(full, *rest)
    return paths


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Corral render farm API", "version": app.__version__},
    "paths": _paths(ROUTES),
    "components": {
        "responses": {
            "Error": {
                "description": "refused; nothing changed",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "error": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        }
                    }
                },
            }
        }
    },
}

"""The OpenAPI description of the REST API, built from the route table (app/server/routes.py).

Each operation carries its route's access rule as ``x-corral-access`` (app/server/auth/access.py
RULES). Path parameters come from the path itself: job, block, task and run are integers, the
others strings. The render WebSocket (access "render") is the render protocol, described in
docs/protocol.md, not here.

The POST ``.../tasks/{action}`` and the GET ``.../tasks/{task}`` paths differ only in the
template name, which OpenAPI 3.1 calls identical; they are kept apart because the server routes
them by method, and each operation documents its own parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import app
from app.server.route_table import Query, Route

INTEGER_PARAMETERS = {"job", "block", "task", "run"}  # path parameters that are ids or numbers

SETTINGS = {"type": "object", "description": "the settings to change; the others stay"}
POOL_PATH = Query("path", "pool path, e.g. /gpu/", "string", required=True)


def array(kind: str) -> dict:
    """The schema of a list of `kind` values."""
    return {"type": "array", "items": {"type": kind}}


def selection(key: str, kind: str, actions: Iterable[str]) -> dict:
    """The schema of a bulk action's body: the action and the items by `key`, or a mask."""
    return {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"enum": list(actions)},
            key: array(kind),
            "mask": {"type": "string", "description": "regular expression on whole names"},
        },
    }


QUEUE_QUOTA = {"409": "QueueQuota"}  # routes that add tasks: over the user's queue quota
SUBMIT_QUOTAS = {**QUEUE_QUOTA, "429": "RateQuota"}  # and over their jobs per minute

_ERROR = {
    "description": "refused; nothing changed",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
            }
        }
    },
}


_QUOTA_FIELDS = {
    "error": {"type": "string", "description": "what is over, and how to raise the limit"},
    "quota": {"type": "string", "description": "the user setting that sets the limit"},
    "user": {"type": "string"},
    "limit": {"type": "integer"},
    "used": {"type": "integer", "description": "the user's use now"},
    "requested": {"type": "integer", "description": "what the request adds"},
}


def _quota(description: str, **extra) -> dict:
    fields = {**_QUOTA_FIELDS, **extra.pop("fields", {})}
    schema = {"type": "object", "properties": fields}
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


_QUOTAS = {
    "QueueQuota": _quota("over the user's tasks in the queue (max_queued_tasks); nothing changed"),
    "RateQuota": _quota(
        "over the user's jobs per minute (max_jobs_per_minute); nothing changed",
        fields={"retry_after": {"type": "integer"}},
        headers={"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    ),
}


def _parameter(name: str, where: str, kind: str, required: bool) -> dict:
    return {"name": name, "in": where, "required": required, "schema": {"type": kind}}


def _operation(route: Route) -> dict:
    operation: dict = {
        "summary": route.summary,
        "x-corral-access": route.access,
        "responses": {
            route.status: {"description": "success", "content": {route.answer: {}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            **{
                status: {"$ref": f"#/components/responses/{name}"}
                for status, name in route.refusals.items()
            },
        },
    }
    parameters = [
        _parameter(name, "path", "integer" if name in INTEGER_PARAMETERS else "string", True)
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    for parameter in parameters:
        if parameter["name"] in route.enums:
            parameter["schema"] = {"enum": list(route.enums[parameter["name"]])}
    parameters += [
        {**_parameter(q.name, "query", q.type, q.required), "description": q.description}
        for q in route.query
    ]
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        content = {"application/json": {"schema": route.body}}
        operation["requestBody"] = {"required": route.body_required, "content": content}
    return operation


def document(routes: Iterable[Route]) -> dict:
    """The OpenAPI 3.1 document of these routes (those of renders left out)."""
    paths: dict = {}
    for route in routes:
        if route.access != "render":
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Corral render farm API", "version": app.__version__},
        "paths": paths,
        "components": {"responses": {"Error": _ERROR, **_QUOTAS}},
    }

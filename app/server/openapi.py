"""The OpenAPI description of the REST API, built from the route table (app/server/routes.py).

Each operation carries its route's access rule as ``x-corral-access`` (app/server/auth/access.py
RULES), its handler's name as ``operationId``, its request body's schema, its answer's schema
(app/server/answers.py), every status it can answer, and links to the operations that take what
it answers (a submitted job's id, an added user's name). Path parameters come from the path
itself: job, block, task and run are integers, the others strings. The render WebSocket
(access "render") is the render protocol, described in docs/protocol.md, not here.

The statuses every route but a public one may answer: 401 (no valid token), 403 (its access
rule), 429 (too many failed authentications); with path parameters, query or a body, 400; with
path parameters, 404; with a body, 413 (too large) and 415 (not JSON). A route declares the
others (``refusals``).

The POST ``.../tasks/{action}`` and the GET ``.../tasks/{task}`` paths differ only in the
template name, which OpenAPI 3.1 calls identical; they are kept apart because the server routes
them by method, and each operation documents its own parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import app
from app.core.pools import POOL_KEYS
from app.server.answers import SCHEMAS
from app.server.route_table import Query, Route

INTEGER_PARAMETERS = {"job", "block", "task", "run"}  # path parameters that are ids or numbers
MAX_ID_DIGITS = 15  # the longest integer a path parameter may spell
_ID = {"type": "integer", "minimum": 0, "maximum": 10**MAX_ID_DIGITS - 1}

POOL_PATH = Query("path", "pool path, e.g. /gpu/", {"type": "string"}, required=True)
POOL_SETTINGS = {
    "type": "object",
    "propertyNames": {"enum": list(POOL_KEYS)},
    "description": "the settings to change; the others stay",
}


def settings(schema: dict, editable: Iterable[str]) -> dict:
    """The schema of an edit: some of the `editable` keys of `schema`, nothing else."""
    properties = {key: schema["properties"][key] for key in editable}
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "minProperties": 1,
        "description": "the settings to change; the others stay",
    }


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
            key: {"type": "array", "items": _ID if kind == "integer" else {"type": kind}},
            "mask": {
                "type": "string",
                "minLength": 1,
                "description": "regular expression on whole names",
            },
        },
        "oneOf": [{"required": [key]}, {"required": ["mask"]}],
    }


def _error(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": "malformed: a path parameter, the query or the body",
    "401": "no valid token",
    "403": "the token's holder may not do this",
    "404": "no such object",
    "409": "refused in the object's present state; nothing changed",
    "413": "the body is too large",
    "415": "the body is not application/json",
    "429": "too many failed authentications from this address, or over the user's jobs per minute",
    "503": "the server cannot store changes now (degraded); nothing changed: try again later",
}


def _statuses(route: Route, parameters: list[str]) -> list[str]:
    if route.access == "public":
        return [*route.refusals]
    statuses = {"401", "403", "429", *route.refusals}
    if parameters or route.query or route.body is not None:
        statuses.add("400")
    if parameters:
        statuses.add("404")
    if route.body is not None:
        statuses |= {"413", "415"}
    if route.method not in ("GET", "HEAD"):
        statuses.add("503")
    return sorted(statuses)


def _success(route: Route) -> dict:
    answer: dict = {"description": "success"}
    if route.reply is not None:
        schema = {"$ref": f"#/components/schemas/{route.reply}"}
        answer["content"] = {route.answer: {"schema": schema}}
    elif route.answer:  # text or an image
        answer["content"] = {route.answer: {"schema": {"type": "string"}}}
    if route.links:
        answer["links"] = {
            operation: {"operationId": operation, "parameters": dict(parameters)}
            for operation, parameters in route.links.items()
        }
    return answer


def _parameter(name: str, where: str, schema: dict, required: bool) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema}


def _path_schema(route: Route, name: str) -> dict:
    if name in route.enums:
        return {"enum": list(route.enums[name])}
    return _ID if name in INTEGER_PARAMETERS else {"type": "string", "minLength": 1}


def _operation(route: Route) -> dict:
    names = re.findall(r"{(\w+)}", route.path)
    operation: dict = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "x-corral-access": route.access,
        "responses": {
            route.status: _success(route),
            **{status: _error(ERRORS[status]) for status in _statuses(route, names)},
        },
    }
    if route.access == "public":
        operation["security"] = []
    parameters = [_parameter(name, "path", _path_schema(route, name), True) for name in names]
    parameters += [
        {**_parameter(q.name, "query", q.schema, q.required), "description": q.description}
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
        "security": [{"bearer": []}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

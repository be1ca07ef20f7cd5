"""The OpenAPI description of the REST API, served at /api/v1/openapi.json."""

from __future__ import annotations

import app


def _op(summary: str, status: str = "200", body: bool = False, params: tuple = ()) -> dict:
    operation: dict = {
        "summary": summary,
        "responses": {
            status: {"description": "success", "content": {"application/json": {}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        },
    }
    if params:
        operation["parameters"] = [
            {"name": name, "in": where, "required": where == "path", "schema": {"type": kind}}
            for name, where, kind in params
        ]
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    return operation


JOB = ("job", "path", "integer")
BLOCK = ("block", "path", "integer")
TASK = ("task", "path", "integer")

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Corral render farm API", "version": app.__version__},
    "paths": {
        "/api/v1/health": {"get": _op("Server liveness and version")},
        "/api/v1/jobs": {
            "get": _op("List job summaries"),
            "post": _op("Submit a job (Afanasy keys); answers its id", "201", body=True),
        },
        "/api/v1/jobs/{job}": {
            "get": _op("A job with per-block progress", params=(JOB,)),
            "delete": _op("Delete a job, stopping its running tasks", params=(JOB,)),
        },
        "/api/v1/jobs/{job}/{action}": {
            "post": _op(
                "pause, start, stop, restart, restart-errors or delete a job",
                params=(JOB, ("action", "path", "string")),
            )
        },
        "/api/v1/jobs/{job}/blocks/{block}/tasks": {
            "get": _op(
                "A page of a block's tasks",
                params=(JOB, BLOCK, ("offset", "query", "integer"), ("limit", "query", "integer")),
            )
        },
        "/api/v1/jobs/{job}/blocks/{block}/tasks/{action}": {
            "post": _op(
                'skip or restart tasks ({"tasks": [n, ...]})',
                body=True,
                params=(JOB, BLOCK, ("action", "path", "string")),
            )
        },
        "/api/v1/jobs/{job}/blocks/{block}/tasks/{task}": {
            "get": _op("A task with its command and runs", params=(JOB, BLOCK, TASK))
        },
        "/api/v1/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/output": {
            "get": _op(
                "The output of one run (live while running), text/plain",
                params=(JOB, BLOCK, TASK, ("run", "path", "integer")),
            )
        },
        "/api/v1/renders": {"get": _op("List renders")},
    },
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

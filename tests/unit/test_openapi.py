"""The OpenAPI document documents every REST route, and is well formed."""

from __future__ import annotations

import json
import re

import pytest
from aiohttp import web

from app.server.openapi import OPENAPI
from app.server.routes import routes

UNDOCUMENTED = {"/api/v1/render/ws"}  # the render WebSocket (docs/protocol.md), not REST
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def registered() -> list[tuple[str, str]]:
    pairs = [(route.method.lower(), route.path) for route in routes]
    return [(method, path) for method, path in pairs if path not in UNDOCUMENTED]


def test_the_routes_are_found():
    pairs = registered()
    assert ("get", "/api/v1/health") in pairs
    assert ("patch", "/api/v1/pools") in pairs
    assert len(pairs) >= 28


@pytest.mark.parametrize("method, path", registered())
def test_every_route_is_documented(method, path):
    assert path in OPENAPI["paths"], f"{method.upper()} {path} is not in app/server/openapi.py"
    assert method in OPENAPI["paths"][path], f"{method.upper()} {path} is not documented"


def test_nothing_documented_is_missing_from_the_server():
    documented = {(m, p) for p, item in OPENAPI["paths"].items() for m in item}
    assert documented == set(registered())


def test_the_document_is_openapi_3_1_json():
    text = json.dumps(OPENAPI, allow_nan=False)
    document = json.loads(text)
    assert document == OPENAPI
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/")
        assert set(item) <= METHODS
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation["summary"], where
            assert any(status.startswith("2") for status in operation["responses"]), where
            params = operation.get("parameters", [])
            in_path = [p["name"] for p in params if p["in"] == "path"]
            assert in_path == re.findall(r"{(\w+)}", path), where
            assert all(p["required"] for p in params if p["in"] == "path"), where
            names = [(p["name"], p["in"]) for p in params]
            assert len(names) == len(set(names)), where


def test_references_resolve():
    text = json.dumps(OPENAPI)
    for ref in re.findall(r'"\$ref": "#/([^"]+)"', text):
        node = OPENAPI
        for key in ref.split("/"):
            node = node[key]


async def test_the_server_serves_it(aiohttp_client):
    application = web.Application()
    application.add_routes(routes)  # the openapi route needs no farm
    client = await aiohttp_client(application)
    answer = await client.get("/api/v1/openapi.json")
    assert answer.status == 200
    assert await answer.json() == OPENAPI

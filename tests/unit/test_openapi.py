"""The route table: the server serves exactly what the OpenAPI document describes, and every
route declares who may call it."""

from __future__ import annotations

import json
import re
import time
from types import SimpleNamespace

import pytest
from aiohttp import web

from app.server.auth import RULES
from app.server.route_table import RouteTable
from app.server.routes import OPENAPI, health, routes

UNDOCUMENTED = {"/api/v1/render/ws"}  # the render WebSocket (docs/protocol.md), not REST
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def served() -> list[tuple[str, str]]:
    """(method, path template) of every route the application answers, HEAD aside."""
    application = web.Application()
    routes.register(application)
    pairs = [
        (route.method.lower(), route.resource.canonical) for route in application.router.routes()
    ]
    return [(method, path) for method, path in pairs if method != "head"]


def registered() -> list[tuple[str, str]]:
    return [(method, path) for method, path in served() if path not in UNDOCUMENTED]


def test_the_routes_are_found():
    pairs = registered()
    assert ("get", "/api/v1/health") in pairs
    assert ("patch", "/api/v1/pools") in pairs
    assert len(pairs) >= 28


@pytest.mark.parametrize("method, path", registered())
def test_every_route_is_documented(method, path):
    assert path in OPENAPI["paths"], f"{method.upper()} {path} is not documented"
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
            successes = [s for s in operation["responses"] if s.startswith("2") or s == "101"]
            assert successes, where
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


def test_the_table_is_what_the_server_serves():
    assert served() == [(route.method.lower(), route.path) for route in routes]


def test_every_route_declares_its_access():
    assert all(route.access in RULES for route in routes)
    assert [r.path for r in routes if r.access == "public"] == ["/api/v1/health"]
    assert [r.path for r in routes if r.access == "render"] == ["/api/v1/render/ws"]
    assert {r.access for r in routes if r.path.startswith("/api/v1/pools")} == {"admin", "user"}
    for route in routes:
        if route.access != "render":
            operation = OPENAPI["paths"][route.path][route.method.lower()]
            assert operation["x-corral-access"] == route.access


def test_an_unknown_access_or_a_second_declaration_is_refused():
    table = RouteTable("/api/v1")
    with pytest.raises(ValueError, match="access"):
        table.add("GET", "/x", health, "x", access="everyone")
    table.add("GET", "/x", health, "x", access="user")
    with pytest.raises(ValueError, match="twice"):
        table.add("GET", "/x", health, "x", access="user")


async def test_the_server_serves_it_and_knows_each_request_s_route(aiohttp_client):
    seen = []

    @web.middleware
    async def record(request, handler):
        seen.append((request.method, routes.route_of(request).access))
        return await handler(request)

    application = web.Application(middlewares=[record])
    routes.register(application)  # the openapi route needs no farm; health, whether it commits
    application["farm"] = SimpleNamespace(journal=SimpleNamespace(trouble=None), clock=time.time)
    client = await aiohttp_client(application)
    answer = await client.get("/api/v1/openapi.json")
    assert answer.status == 200
    assert await answer.json() == OPENAPI
    assert (await client.head("/api/v1/health")).status == 200
    assert seen == [("GET", "user"), ("HEAD", "public")]


def test_the_routes_that_add_tasks_declare_the_quota_refusals():
    paths = OPENAPI["paths"]
    submit = paths["/api/v1/jobs"]["post"]["responses"]
    assert {"409", "429"} <= set(submit)
    for path in ("/api/v1/jobs/{job}/blocks", "/api/v1/jobs/{job}/blocks/{block}/tasks"):
        assert "409" in paths[path]["post"]["responses"], path


def operations() -> dict[str, tuple[str, dict]]:
    """operationId: (path, operation)."""
    return {
        operation["operationId"]: (path, operation)
        for path, item in OPENAPI["paths"].items()
        for operation in item.values()
    }


def test_links_name_operations_and_their_parameters():
    by_id = operations()
    assert len(by_id) == sum(len(item) for item in OPENAPI["paths"].values())  # ids unique
    linked = set()
    for _path, operation in by_id.values():
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                _target_path, target = by_id[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", [])}
                assert set(link["parameters"]) <= names, link
                unlinked = [  # a required parameter the link leaves out: one of a few values
                    p["schema"]
                    for p in target.get("parameters", [])
                    if p["required"] and p["name"] not in link["parameters"]
                ]
                assert all("enum" in schema for schema in unlinked), link
                linked.add(link["operationId"])
    assert {"get_job", "delete_job", "edit_user", "edit_pool", "get_render"} <= linked


def test_every_answer_and_refusal_has_a_schema_and_only_health_is_public():
    for operation_id, (path, operation) in operations().items():
        public = operation.get("security") == []
        assert public == (path == "/api/v1/health"), operation_id
        for status, answer in operation["responses"].items():
            if status.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
            elif status != "101":
                assert all("schema" in media for media in answer["content"].values()), operation_id
        if not public:
            assert {"401", "403", "429"} <= set(operation["responses"]), operation_id
    assert OPENAPI["security"] == [{"bearer": []}]


def test_the_document_is_valid_openapi():
    schemathesis = pytest.importorskip("schemathesis")
    schemathesis.openapi.from_dict(OPENAPI).validate()  # against the OpenAPI 3.1 meta-schema

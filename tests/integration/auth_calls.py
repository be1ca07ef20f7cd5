"""Requests made by hand for the authorization tests: any token (or none), any header, any body;
the status and the decoded JSON answer come back whatever they are."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from app.server.route_table import Route

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(
    url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: object = None,
    headers: dict | None = None,
) -> tuple[int, object]:
    """(status, JSON answer or None) of one request to url + path (a full /api/v1/... path);
    a body that is not bytes is sent as JSON."""
    status, _, answer = exchange(url, method, path, token, body, headers)
    return status, answer


def exchange(
    url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: object = None,
    headers: dict | None = None,
) -> tuple[int, dict, object]:
    """As `call`, with the answer's headers: (status, headers, JSON answer or None)."""
    status, received, raw = fetch(url, method, path, token, body, headers)
    try:
        return status, received, json.loads(raw)
    except ValueError:
        return status, received, None


def fetch(
    url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: object = None,
    headers: dict | None = None,
) -> tuple[int, dict, bytes]:
    """As `exchange`, the answer's body as it came: (status, headers, bytes)."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url + path, data=data, headers=sent, method=method)
    try:
        with _DIRECT.open(request, timeout=10) as answer:
            status, received, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, received, raw = error.code, dict(error.headers), error.read()
    return status, received, raw


def concrete(route: Route, job: int = 1, name: str = "nobody") -> str:
    """The route's path with its parameters filled: this job, block 0, task 0, run 1, this
    name, and the first action its table lists."""
    values = {"job": job, "block": 0, "task": 0, "run": 1, "name": name}
    values["action"] = route.enums["action"][0] if "action" in route.enums else "pause"
    return route.path.format(**values)

"""A client of Afanasy's protocol, written from its description (not CGRU's af.py): one request a
connection, framed ``AFANASY <length> JSON`` + the JSON (or an HTTP POST with an ``AFANASY:
<length>`` header); the server answers in the same framing and closes the connection."""

from __future__ import annotations

import json
import re
import socket

_ANSWER_HEAD = re.compile(rb"AFANASY (\d+) JSON")


def exchange(port: int, data: bytes, host: str = "127.0.0.1") -> bytes:
    """Send bytes, return every byte the server sends until it closes the connection."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def raw_answer(data: bytes) -> object:
    """The JSON of a raw answer, which must be exactly one frame."""
    head = _ANSWER_HEAD.match(data)
    assert head is not None, data[:200]
    body = data[head.end() :]
    assert len(body) == int(head.group(1)), data[:200]
    return json.loads(body)


def http_answer(data: bytes) -> object:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK", data[:200]
    headers = dict(line.split(b": ", 1) for line in lines[1:])
    assert int(headers[b"Content-Length"]) == len(body)
    return json.loads(body)


class AfanasyClient:
    """The requests CGRU's tools send, as ``user``."""

    def __init__(self, port: int, user: str, http: bool = False) -> None:
        self.port, self.user, self.http = port, user, http

    def send(self, request: dict) -> dict:
        body = json.dumps(request).encode()
        if self.http:
            head = b"POST / HTTP/1.1\r\nHost: farm\r\nAFANASY: %d\r\n\r\n" % len(body)
            return http_answer(exchange(self.port, head + body))
        return raw_answer(exchange(self.port, b"AFANASY %d JSON" % len(body) + body))

    def register(self, job: dict) -> dict:
        return self.send({"job": job})

    def get(self, kind: str, **keys) -> dict:
        return self.send({"get": {"type": kind, "user_name": self.user, **keys}})

    def action(self, kind: str, **keys) -> dict:
        return self.send({"action": {"type": kind, "user_name": self.user, **keys}})

    def operation(self, kind: str, name: str, **keys) -> dict:
        operation = {"type": name, **keys.pop("operation", {})}
        return self.action(kind, operation=operation, **keys)

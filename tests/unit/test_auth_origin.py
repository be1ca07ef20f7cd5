"""The Origin check: no Origin, or the server's own host and port; nothing else."""

import pytest

from app.server.auth import origin_allowed


def test_clients_without_origin_are_accepted():
    assert origin_allowed(None, "farm:51000")
    assert origin_allowed(None, None)


@pytest.mark.parametrize(
    ("origin", "host", "tls"),
    [
        ("http://farm:51000", "farm:51000", False),
        ("http://FARM:51000", "farm:51000", False),
        ("http://127.0.0.1:51000", "127.0.0.1:51000", False),
        ("http://[::1]:51000", "[::1]:51000", False),
        ("http://farm", "farm:80", False),
        ("https://farm", "farm", True),
        ("https://farm:443", "farm", True),
    ],
)
def test_the_same_host_and_port_is_accepted(origin, host, tls):
    assert origin_allowed(origin, host, tls=tls)


@pytest.mark.parametrize(
    ("origin", "host", "tls"),
    [
        ("http://evil.example:51000", "farm:51000", False),
        ("http://farm.evil.example:51000", "farm:51000", False),
        ("http://farm:51001", "farm:51000", False),
        ("http://farm", "farm", True),  # http page, https server
        ("https://farm", "farm", False),
        ("null", "farm:51000", False),
        ("*", "farm:51000", False),
        ("", "farm:51000", False),
        ("file://", "farm:51000", False),
        ("ws://farm:51000", "farm:51000", False),
        ("http://farm:51000/path", "farm:51000", False),
        ("http://user@farm:51000", "farm:51000", False),
        ("http://farm:notaport", "farm:51000", False),
        ("http://farm:51000", None, False),
        ("http://farm:51000", "", False),
        ("http://farm:51000", "farm:51000/x", False),
    ],
)
def test_anything_else_is_refused(origin, host, tls):
    assert not origin_allowed(origin, host, tls=tls)

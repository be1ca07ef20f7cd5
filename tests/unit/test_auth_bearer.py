"""The Authorization header: exactly 'Bearer <token>', or refused."""

import pytest

from app.server.auth import MAX_TOKEN_LEN, BearerError, bearer_token, new_token
from app.server.auth.bearer import socket_authorization


def test_a_well_formed_header_gives_its_token():
    token = new_token()
    assert bearer_token(f"Bearer {token}") == token
    assert bearer_token("Bearer abc.DEF-_~+/==") == "abc.DEF-_~+/=="
    assert bearer_token("Bearer " + "a" * MAX_TOKEN_LEN) == "a" * MAX_TOKEN_LEN


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_header_says_so(header):
    with pytest.raises(BearerError, match="missing"):
        bearer_token(header)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "bearer crl_abc",
        "BEARER crl_abc",
        "Basic dXNlcjpwYXNz",
        "Token crl_abc",
        "crl_abc",
        "Bearer  crl_abc",
        " Bearer crl_abc",
        "Bearer crl_abc ",
        "Bearer\tcrl_abc",
        "Bearer crl_abc, Bearer crl_def",
        "Bearer crl abc",
        "Bearer crl_abc\r\nX-Evil: 1",
        "Bearer crl_é",
        "Bearer crl_\x00",
        "Bearer =abc",
        "Bearer ab=c",
        "Bearer " + "a" * (MAX_TOKEN_LEN + 1),
    ],
)
def test_anything_else_is_malformed(header):
    with pytest.raises(BearerError, match="malformed") as refused:
        bearer_token(header)
    assert str(refused.value) == "malformed Authorization header: expected 'Bearer TOKEN'"


def test_a_browser_socket_s_protocols_stand_for_its_header():
    token = new_token()
    assert socket_authorization(f"corral.bearer, {token}") == f"Bearer {token}"
    assert bearer_token(socket_authorization(f"corral.bearer,{token}")) == token


@pytest.mark.parametrize(
    "protocols",
    [None, "", "corral.bearer", "chat, crl_abc", "crl_abc, corral.bearer", "corral.bearer, a, b"],
)
def test_other_socket_protocols_bring_no_token(protocols):
    assert socket_authorization(protocols) is None

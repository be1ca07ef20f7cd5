"""FarmClient's credentials against an authenticating stand-in server (tests/auth_stub.py): the
bearer token on REST and on the events socket, a refused token reported once with how to give
one, a token changed while running, and https verified against a CA file."""

import aiohttp
import pytest

from app.server.auth import server_context
from app.ui.client import TOKEN_HINT, FarmClient, FarmError
from tests.auth_stub import ADMIN_TOKEN, AuthStub
from tests.polling import until

BEARER = f"Bearer {ADMIN_TOKEN}"


@pytest.fixture
def stub():
    with AuthStub() as server:
        yield server


async def test_the_token_goes_on_rest_and_on_the_events_socket(qapp, stub):
    client = FarmClient(stub.url, token=ADMIN_TOKEN)
    await client.start()
    try:
        await until(lambda: client.state == "online")
        assert await client.request("GET", "/whoami") == {"name": "admin", "role": "admin"}
        assert await client.jobs() == []
    finally:
        await client.close()
    assert stub.authorizations("/api/v1/events") == [BEARER]
    assert stub.authorizations("/api/v1/whoami") == [BEARER]


async def test_a_missing_token_is_reported_once_with_how_to_give_one(qapp, stub):
    errors = []
    client = FarmClient(stub.url)
    client.failed.connect(errors.append)
    await client.start()
    try:
        await until(lambda: len(stub.authorizations("/api/v1/events")) >= 3)  # retried
        assert client.state != "online"
        assert errors == [f"live updates refused (HTTP 401): {TOKEN_HINT}"]
        with pytest.raises(FarmError) as refused:
            await client.jobs()
        assert refused.value.status == 401
        assert str(refused.value) == f"missing or unknown token: {TOKEN_HINT}"

        client.set_token(ADMIN_TOKEN)  # as the settings dialog does
        assert await client.jobs() == []
        await until(lambda: client.state == "online", 30)
    finally:
        await client.close()
    assert set(stub.authorizations("/api/v1/events")) == {None, BEARER}


async def test_https_is_verified_against_the_ca_file(qapp, tmp_path):
    from tests.unit.test_tls import _self_signed  # skips when no tool makes certificates

    cert, key = _self_signed(tmp_path, "farm")
    with AuthStub(server_context(cert, key)) as stub:
        trusting = FarmClient(stub.url, token=ADMIN_TOKEN, ca_file=str(cert))
        doubting = FarmClient(stub.url, token=ADMIN_TOKEN)
        states: list[str] = []
        doubting.state_changed.connect(states.append)
        await trusting.start()
        await doubting.start()
        try:
            assert await trusting.jobs() == []
            await until(lambda: trusting.state == "online")
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await doubting.jobs()
            await until(lambda: "offline" in states)  # its events socket tried and failed
            assert "online" not in states
        finally:
            await trusting.close()
            await doubting.close()

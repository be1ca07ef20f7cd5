"""`corral server --afanasy-port PORT`: a TCP listener that speaks Afanasy's protocol, so CGRU's
af.py, afcmd and submitters work unchanged. One request per connection (app/server/afanasy/
framing.py); its JSON is answered by app/server/afanasy/requests.py as the person it names.

Afanasy's clients cannot send a token, so the listener trusts by network: only peers in the
trusted networks (loopback, and those of ``--afanasy-trust``) are answered.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Iterable

from app.server.afanasy.bridge import Bridge
from app.server.afanasy.framing import HTTP, MAX_HEAD, RAW, FrameError, frame, read_request
from app.server.afanasy.requests import Requests, refusal

log = logging.getLogger("corral.afanasy")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``CIDR[,CIDR...]`` as networks; ValueError naming the first bad one."""
    networks = []
    for part in text.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--afanasy-trust: {part.strip()!r} is not a network (CIDR)") from None
    return tuple(networks)


def trusted(address: str, networks: Iterable[Network]) -> bool:
    """Whether a peer's address is in one of the networks (an IPv4-mapped IPv6 address counts
    as its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class AfanasyListener:
    """Answers Afanasy requests from trusted peers; nothing a client sends stops it."""

    def __init__(self, bridge: Bridge, trust: Iterable[Network], timeout: float) -> None:
        self._bridge = bridge
        self._requests = Requests(bridge)
        self._trust = tuple(trust)  # the server's: LOOPBACK and those of --afanasy-trust
        self._timeout = timeout  # for the whole request to arrive

    async def start(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(
            self._connection, host, port, limit=MAX_HEAD, reuse_address=True
        )

    async def close(self) -> None:
        await self._bridge.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            peer = writer.get_extra_info("peername") or ("",)
            answer, framing = await self._handle(reader, str(peer[0]))
            writer.write(frame(answer, framing))
            await writer.drain()
        except ConnectionError:
            pass  # the client went away: nothing to answer
        finally:
            writer.close()

    async def _handle(self, reader, address: str) -> tuple[dict, str]:
        """The answer and its framing; nothing a client sends stops the listener."""
        try:
            if not trusted(address, self._trust):  # answered before its body is read
                log.warning("Afanasy request from untrusted %s refused", address)
                start = await asyncio.wait_for(reader.read(4), self._timeout)
                message = f"{address} is not trusted: the server's --afanasy-trust names networks"
                return refusal(message), HTTP if start == b"POST" else RAW
            request = await asyncio.wait_for(read_request(reader), self._timeout)
        except FrameError as error:
            return refusal(str(error)), error.framing or RAW
        except TimeoutError:
            return refusal(f"no whole request within {self._timeout:g} s"), RAW
        try:
            message = json.loads(request.body)
        except (UnicodeDecodeError, ValueError) as error:
            return refusal(f"the body is not JSON: {error}"), request.framing
        try:
            return await self._requests.answer(message), request.framing
        except Exception:  # a bug, or the server's own port not answering
            log.exception("Afanasy request failed: %.200r", message)
            return refusal("the server failed on this request: see its log"), request.framing

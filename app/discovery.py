"""Finding the server without an address: a typed address, this machine's server, or the one
the local network announces (DNS-SD over multicast DNS; app/server/announce.py announces).

Clients given no address (the command line, renders, the monitor and the tray: app/cli calls
:func:`server_url`) take, in order: the typed address (``--server``, ``$CORRAL_SERVER``, a
settings file): it always wins; this machine's default server when it answers; the one server
the network announces (the one of ``$CORRAL_FARM_NAME`` where several farms answer); else the
default address, so that errors read as they always did. `zeroconf` is imported only when the
network is asked.
"""

from __future__ import annotations

import socket
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from app.api import DEFAULT_SERVER
from app.protocol import (
    DNS_SD_FARM,
    DNS_SD_TLS,
    DNS_SD_TYPE,
    DNS_SD_VERSION,
    dns_sd_instance,
)

FARM_NAME_ENV = "CORRAL_FARM_NAME"
BROWSE_SECONDS = 1.5  # the longest a client asks the network before it gives up
SETTLE_SECONDS = 0.3  # after the first answer, how long more answers are awaited


class DiscoveryError(Exception):
    """The network's answer does not name one server; the message says what to give."""


@dataclass(frozen=True)
class FoundServer:
    """A server the network announces."""

    farm: str
    url: str
    version: str
    tls: bool
    instance: str  # the DNS-SD instance name
    addresses: tuple[str, ...]
    port: int

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "addresses": list(self.addresses)}


def _found(info: Any) -> FoundServer | None:
    """A FoundServer from a resolved ServiceInfo (None when it lacks an address or TXT)."""
    props = {k.decode(): (v or b"").decode() for k, v in (info.properties or {}).items()}
    addresses = tuple(info.parsed_addresses())
    if not addresses or not info.port or DNS_SD_FARM not in props:
        return None
    tls = props.get(DNS_SD_TLS) == "1"
    return FoundServer(
        farm=props[DNS_SD_FARM],
        url=f"{'https' if tls else 'http'}://{addresses[0]}:{info.port}",
        version=props.get(DNS_SD_VERSION, ""),
        tls=tls,
        instance=info.name.removesuffix("." + DNS_SD_TYPE),
        addresses=addresses,
        port=info.port,
    )


def browse(
    seconds: float = BROWSE_SECONDS, farm: str | None = None, settle: float = SETTLE_SECONDS
) -> list[FoundServer]:
    """The servers the network announces (of the farm named farm, when given), sorted by farm
    and URL: asked for at most ``seconds``, and ``settle`` more after the first answer (of that
    farm: app/protocol.py's dns_sd_instance)."""
    from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

    zeroconf = Zeroconf(ip_version=IPVersion.V4Only)
    names: list[str] = []

    def changed(zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        ours = farm is None or name.startswith(dns_sd_instance(farm))
        if state_change is ServiceStateChange.Added and ours and name not in names:
            names.append(name)

    try:
        browser = ServiceBrowser(zeroconf, DNS_SD_TYPE, handlers=[changed])
        deadline = time.monotonic() + seconds
        first = None
        while time.monotonic() < deadline:
            if names and first is None:
                first = time.monotonic()
                deadline = min(deadline, first + settle)
            time.sleep(0.02)
        browser.cancel()
        found = []
        for name in list(names):
            info = zeroconf.get_service_info(DNS_SD_TYPE, name, timeout=1000)
            server = _found(info) if info is not None else None
            if server is not None and (farm is None or server.farm == farm):
                found.append(server)
    finally:
        zeroconf.close()
    return sorted(found, key=lambda s: (s.farm, s.url))


def _answers(url: str) -> bool:
    """Whether something accepts connections at url's host and port (loopback: at once)."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=0.5).close()
    except OSError:
        return False
    return True


def server_url(
    typed: str | None,
    farm: str | None = None,
    fallback: str | None = DEFAULT_SERVER,
) -> str | None:
    """The server to use: ``typed`` when given; else this machine's default server when it
    answers (and no farm is named); else the one the network announces (of ``farm``); else
    ``fallback``. DiscoveryError when several servers answer and none is named."""
    if typed:
        return typed
    if not farm and _answers(DEFAULT_SERVER):
        return DEFAULT_SERVER
    found = browse(farm=farm or None)
    if len(found) > 1:
        raise DiscoveryError(_several(found))
    return found[0].url if found else fallback


def _several(found: list[FoundServer]) -> str:
    listed = ", ".join(f"{s.farm!r} at {s.url}" for s in found)
    return (
        f"{len(found)} Corral servers answer on this network ({listed}): give --server URL, "
        f"or name the farm with ${FARM_NAME_ENV}"
    )

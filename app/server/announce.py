"""The server's announcement on the local network: DNS-SD over multicast DNS (`zeroconf`).

The instance ``<farm> on <host>:<port>`` of app/protocol.py's ``DNS_SD_TYPE`` carries the
server's IPv4 addresses, its port and the TXT keys ``farm``, ``version`` and ``tls``. A server on
a loopback address announces on the loopback interface alone (only this machine's clients see
it); one on a wildcard address announces every non-loopback IPv4 address of the machine on
every interface. app/discovery.py finds it.
"""

from __future__ import annotations

import socket
from typing import Any

from app.credentials import is_loopback
from app.protocol import (
    DNS_SD_FARM,
    DNS_SD_TLS,
    DNS_SD_TYPE,
    DNS_SD_VERSION,
    dns_sd_instance,
)

WILDCARDS = ("", "0.0.0.0", "::")


def announced_addresses(host: str) -> list[str]:
    """The IPv4 addresses of a server listening on host: host's own, or for a wildcard every
    non-loopback IPv4 address of this machine (loopback when it has none)."""
    if host not in WILDCARDS:
        return [socket.gethostbyname(host)]
    import ifaddr

    found = [
        ip.ip
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not is_loopback(ip.ip)
    ]
    return found or ["127.0.0.1"]


def announces(host: str, asked: bool | None) -> bool:
    """Whether a server on host announces itself: as asked, else when it listens beyond
    loopback."""
    return asked if asked is not None else not is_loopback(host or "0.0.0.0")


class Announcement:
    """A server's announcement on the running loop: `start` once it listens (the probe for a
    unique name goes on in the background), `close` when it stops (a goodbye: browsers forget
    it at once)."""

    def __init__(self, farm: str, host: str, port: int, tls: bool, version: str) -> None:
        self.farm = farm
        self.host = host
        self.port = port
        self.tls = tls
        self.version = version
        self.instance = dns_sd_instance(farm, socket.gethostname().split(".")[0], port)
        self._zeroconf: Any = None

    async def start(self) -> None:
        from zeroconf import IPVersion, ServiceInfo
        from zeroconf.asyncio import AsyncZeroconf

        addresses = announced_addresses(self.host)
        if is_loopback(addresses[0]):
            self._zeroconf = AsyncZeroconf(interfaces=addresses, ip_version=IPVersion.V4Only)
        else:
            self._zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
        info = ServiceInfo(
            DNS_SD_TYPE,
            f"{self.instance}.{DNS_SD_TYPE}",
            addresses=[socket.inet_aton(address) for address in addresses],
            port=self.port,
            properties={
                DNS_SD_FARM: self.farm,
                DNS_SD_VERSION: self.version,
                DNS_SD_TLS: "1" if self.tls else "0",
            },
            server=f"{socket.gethostname().split('.')[0]}.local.",
        )
        await self._zeroconf.async_register_service(info, allow_name_change=True)

    async def close(self) -> None:
        if self._zeroconf is not None:
            await self._zeroconf.async_unregister_all_services()
            await self._zeroconf.async_close()
            self._zeroconf = None

"""Failed authentication, limited per client address.

After ``limit`` failures within ``window`` seconds of an address's first failure, every request
from that address is refused until that window ends, valid token or not: guessing stops being
worth it. Each check is O(1); memory is bounded by forgetting addresses whose window has passed
and, past ``max_addresses``, the oldest window first. IPv6 clients count per /64 network, the
block one host can use freely.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable


def client_key(address: str) -> str:
    """What failures are counted against: the IPv4 address, the IPv6 /64, else the text."""
    if ":" not in address:
        return address  # IPv4 (or a Unix socket's name): as is, without parsing
    try:
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, 64), strict=False))


class FailureThrottle:
    """Counts failed authentications per client and says how long to refuse one."""

    def __init__(
        self,
        limit: int = 10,
        window: float = 60.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._clock = clock
        self._windows: OrderedDict[str, list] = OrderedDict()  # key -> [start, failures]

    def __len__(self) -> int:
        return len(self._windows)

    def refusal(self, address: str) -> float:
        """Seconds to go before ``address`` may try again; 0.0 when it may now."""
        entry = self._windows.get(client_key(address))
        if entry is None or entry[1] < self.limit:
            return 0.0
        return max(0.0, entry[0] + self.window - self._clock())

    def failed(self, address: str) -> None:
        """Count one failed authentication from ``address``."""
        now = self._clock()
        key = client_key(address)
        entry = self._windows.get(key)
        if entry is not None and now - entry[0] < self.window:
            entry[1] += 1
            return
        self._windows.pop(key, None)
        self._forget_old(now)
        self._windows[key] = [now, 1]

    def _forget_old(self, now: float) -> None:
        """Drop ended windows (oldest first), then the oldest ones while over the bound."""
        windows = self._windows
        while windows:
            start = next(iter(windows.values()))[0]
            if now - start < self.window and len(windows) < self.max_addresses:
                break
            windows.popitem(last=False)

"""Wake-on-LAN: magic packets sent for the server, and the sleep command hook."""

from __future__ import annotations

import logging
import re
import socket
import subprocess

log = logging.getLogger("corral.render")

_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


def magic_packet(mac: str) -> bytes:
    """Six 0xFF bytes, then the MAC address sixteen times."""
    if not _MAC.match(mac):
        raise ValueError(f"not a MAC address: {mac!r}")
    address = bytes.fromhex(re.sub("[:-]", "", mac))
    return b"\xff" * 6 + address * 16


def send_magic_packets(macs: list[str], target: str) -> int:
    """Broadcast a magic packet per MAC to target ("host:port"); returns how many were sent."""
    host, _, port = target.rpartition(":")
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for mac in macs:
            try:
                sock.sendto(magic_packet(mac), (host, int(port)))
                sent += 1
            except (ValueError, OSError) as error:
                log.warning("wake-on-lan for %s not sent: %s", mac, error)
    return sent


def mac_addresses() -> list[str]:
    """This host's hardware addresses (for the server to wake it later)."""
    import psutil

    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            mac = address.address.lower().replace("-", ":")
            if address.family == psutil.AF_LINK and _MAC.match(mac) and mac != "00:00:00:00:00:00":
                found.append(mac)
    return sorted(set(found))


def run_sleep_command(command: str | None) -> bool:
    """Put this host to sleep with the configured command; False when none is set."""
    if not command:
        log.warning("the server asked this render to sleep, but no sleep command is set")
        return False
    log.info("going to sleep: %s", command)
    subprocess.Popen(command, shell=True, start_new_session=True)
    return True

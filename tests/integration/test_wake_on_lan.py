"""Wake-on-LAN through another render, and the sleep command, on a real farm."""

from __future__ import annotations

import socket

import pytest

from app.render.wake_on_lan import magic_packet
from tests.integration.render_by_hand import hello, render_socket
from tests.polling import wait_until

MAC = "aa:bb:cc:dd:ee:0f"


def test_magic_packet_format():
    packet = magic_packet(MAC)
    assert packet[:6] == b"\xff" * 6 and packet[6:] == bytes.fromhex("aabbccddee0f") * 16
    with pytest.raises(ValueError):
        magic_packet("not-a-mac")


async def test_offline_render_is_woken_by_another(farm):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(20)
    target = f"127.0.0.1:{listener.getsockname()[1]}"
    farm.start_server()
    async with render_socket(farm) as ws:
        await ws.send_json(hello("sleeper", host={"macs": [MAC]}))
        assert (await ws.receive_json(timeout=10))["type"] == "registered"
    wait_until(lambda: not farm.client.render("sleeper")["online"])
    farm.start_render("waker", 1, "--wol-target", target)
    farm.wait_renders(1)
    farm.client.render_action("sleeper", "wake")
    packet, _ = listener.recvfrom(1024)
    listener.close()
    assert packet == magic_packet(MAC)


def test_sleep_runs_the_sleep_command_and_the_render_leaves(farm, tmp_path):
    marker = tmp_path / "slept"
    farm.start_server()
    render = farm.start_render("tired", 1, "--sleep-command", f"touch {marker}")
    farm.wait_renders(1)
    farm.client.render_action("tired", "sleep")
    wait_until(marker.exists)
    wait_until(lambda: not render.running(), timeout=20)
    wait_until(lambda: not farm.client.render("tired")["online"])

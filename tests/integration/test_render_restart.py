"""A render restarted under its name while its tasks are outstanding: the server answers
`registered` before it assigns anything, so the new process is not refused and the job ends;
another render process under a connected name is refused."""

from __future__ import annotations

import aiohttp

from app.api import numeric_job
from app.protocol import NAME_TAKEN
from bench.local_farm import FarmProcess
from tests.integration.render_by_hand import acked, hello, receive, render_socket, result


async def test_a_restarted_render_is_registered_before_it_is_assigned_its_lost_task(own_server):
    job_id = own_server.client.submit(numeric_job("restart", "sleep 300", 1, 1, user_name="t"))
    async with render_socket(own_server) as first:
        await first.send_json(hello("again"))
        token = (await receive(first, "registered"))["render_token"]
        lost = (await receive(first, "assign"))["task"]

        # the same render started again: it runs nothing, its old socket is not closed yet
        async with render_socket(own_server, token) as second:
            await second.send_json(hello("again"))
            answer = await second.receive_json(timeout=10)
            assert answer["type"] == "registered", f"{answer['type']} before registered"
            task = (await receive(second, "assign"))["task"]
            assert (task["task"], task["run"]) == (lost["task"], lost["run"] + 1)
            await second.send_json(result(task, seq=1))
            await acked(second, 1)
    own_server.wait_job_done(job_id, timeout=30)


async def test_a_second_render_under_a_connected_name_is_refused_for_good(own_server):
    """`corral tray` beside `corral up` (both named after the host): the second identity is
    refused with an error naming the clash and --name, and the first keeps its connection; the
    first render's identity (a restart) takes the name back."""
    async with render_socket(own_server) as first:
        await first.send_json(hello("twin", identity="up"))
        token = (await receive(first, "registered"))["render_token"]
        async with render_socket(own_server, token) as second:
            await second.send_json(hello("twin", identity="tray"))
            refusal = await second.receive_json(timeout=10)
            assert (refusal["type"], refusal["code"]) == ("error", NAME_TAKEN)
            assert refusal["error"].startswith("render name twin is taken: another render process")
            assert "--name NAME" in refusal["error"]
            assert (await second.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
        assert own_server.client.render("twin")["online"]
        await first.send_json({"type": "heartbeat"})  # still its connection
        assert not first.closed

        async with render_socket(own_server, token) as restarted:
            await restarted.send_json(hello("twin", identity="up"))
            assert (await receive(restarted, "registered"))["render_id"]


def test_a_second_render_process_of_one_name_on_one_host_stops_with_the_fix(own_server, tmp_path):
    """Two `corral render` of one name sharing a token file (as `corral tray` beside `corral up`
    do): the second exits at once saying how to fix it, the first keeps its place."""
    first = own_server.start_render("twin", 1)
    own_server.wait_renders(1)
    args = ["render", "--server", own_server.url, "--name", "twin"]
    args += ["--token-file", str(own_server.folder / "render-twin.token")]
    second = FarmProcess(args, tmp_path / "second.log", own_server.code).start()
    try:
        code = second.proc.wait(30)
    finally:
        second.kill()
    log = (tmp_path / "second.log").read_text()
    assert code == 1, log
    assert "render name twin is taken" in log and "--name NAME" in log, log
    assert first.running() and own_server.client.render("twin")["online"]
    assert (own_server.folder / "render-twin.log").read_text().count("registered on") == 1

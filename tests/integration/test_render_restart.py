"""A render restarted under its name while its tasks are outstanding: the server answers
`registered` before it assigns anything, so the new process is not refused and the job ends."""

from __future__ import annotations

from app.api import numeric_job
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

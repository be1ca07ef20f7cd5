"""The render creates its tmp_dir at start: tasks without a directory of their own run in it
even when it did not exist; one it cannot create stops it before it connects, named."""

from __future__ import annotations

import asyncio

import pytest

from app.api import numeric_job
from app.render.agent import RenderAgent
from app.render.config import RenderConfig
from tests.polling import until


async def test_a_missing_tmp_dir_is_created_and_tasks_run_in_it(own_server, tmp_path):
    tmp_dir = tmp_path / "not" / "yet"
    config = RenderConfig(
        server_url=own_server.url,
        name="tmp-r",
        max_tasks=1,
        tmp_dir=tmp_dir,
        farm_secret=own_server.farm_secret,
    )
    agent = asyncio.ensure_future(RenderAgent(config).run())
    try:
        job_id = await asyncio.to_thread(
            own_server.client.submit, numeric_job("in-tmp", "pwd", 1, 1, user_name="ann")
        )
        await until(lambda: own_server.client.job(job_id)["state"] in ("DON", "ERR"))
        assert own_server.client.job(job_id)["state"] == "DON"
    finally:
        agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)
    assert tmp_dir.is_dir()


async def test_a_tmp_dir_that_cannot_be_made_is_named(tmp_path):
    (tmp_path / "file").write_text("")
    config = RenderConfig(server_url="http://127.0.0.1:1", tmp_dir=tmp_path / "file" / "tasks")
    with pytest.raises(OSError, match="cannot create the tasks' temporary directory .*file/tasks"):
        await asyncio.wait_for(RenderAgent(config).run(), 5)

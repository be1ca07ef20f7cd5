"""The floor of a Python farm on this machine: the fewest moves any farm written like Corral can
make per task, with nothing else.

A bare aiohttp WebSocket server hands out `true` tasks to N render processes, one `assign` in and
one `result` out per task; each render starts the command as Corral's render does (a shell in a
new session, output on a pipe, the exit seen through a pidfd). No state, no validation, no
journal, no acknowledgement, no output capture: whatever a real farm adds comes on top of this.
bench/true_tasks.py measures it beside Corral and the plain process pool.

    python -m bench.protocol_floor --tasks 2000 --renders 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import aiohttp
from aiohttp import web

from bench.local_farm import free_port
from bench.report import CpuMeter, Leg


async def _serve(tasks: int, renders: int) -> Leg:
    """Run the floor farm: tasks per second from the first assign to the last result, and the
    CPU time per task of its server and its renders (with their tasks)."""
    loop = asyncio.get_running_loop()
    sockets: list[web.WebSocketResponse] = []
    all_in, done = asyncio.Event(), loop.create_future()
    counts = {"left": tasks, "finished": 0}

    async def assign(ws: web.WebSocketResponse) -> None:
        if counts["left"] > 0:
            counts["left"] -= 1
            await ws.send_str(json.dumps({"n": counts["left"], "command": "true"}))

    async def render_socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.append(ws)
        if len(sockets) == renders:
            all_in.set()
        async for message in ws:
            json.loads(message.data)  # the result
            counts["finished"] += 1
            if counts["finished"] == tasks:
                done.set_result(time.perf_counter())
            await assign(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", render_socket)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/ws"
    command = [sys.executable, "-m", "bench.protocol_floor", "--render", url]
    processes = [subprocess.Popen(command) for _ in range(renders)]
    try:
        await asyncio.wait_for(all_in.wait(), 60)
        cpu = CpuMeter({"server": [os.getpid()], "renders": [p.pid for p in processes]})
        start = time.perf_counter()
        for ws in sockets:
            await assign(ws)
        end = await asyncio.wait_for(done, 600)
        await asyncio.sleep(0.05)  # the last results' renders finish their bookkeeping
        return Leg(tasks / (end - start), cpu.per_task(tasks))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        await runner.cleanup()


def floor_rate(tasks: int, renders: int) -> Leg:
    """The floor farm's tasks per second and CPU per task with `renders` render processes."""
    return asyncio.run(_serve(tasks, renders))


async def _render(url: str) -> None:
    """One floor render: run each assigned command, answer with its exit status."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        async for message in ws:
            task = json.loads(message.data)
            read_end, write_end = os.pipe()
            process = subprocess.Popen(
                task["command"],
                shell=True,
                stdin=subprocess.DEVNULL,
                stdout=write_end,
                stderr=write_end,
                start_new_session=True,
            )
            os.close(write_end)
            pidfd, exited = os.pidfd_open(process.pid), loop.create_future()
            loop.add_reader(pidfd, exited.set_result, None)
            await exited
            loop.remove_reader(pidfd)
            os.close(pidfd)
            os.close(read_end)
            result = {"n": task["n"], "exit_code": process.wait()}
            await ws.send_str(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=4)
    parser.add_argument("--render", metavar="URL", help=argparse.SUPPRESS)  # a render process
    args = parser.parse_args()
    if args.render:
        asyncio.run(_render(args.render))
        return
    leg = floor_rate(args.tasks, args.renders)
    print(f"floor farm, {args.renders} renders: {leg.rate:,.0f} tasks/s, {leg.cpu_text()}")


if __name__ == "__main__":
    main()

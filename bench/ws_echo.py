"""The protocol ceiling: a bare aiohttp WebSocket echo server on this machine.

An echo server runs in a child process (spawned, nothing of Corral imported); this process
opens --connections WebSockets to it and, on each, sends an `assign`-shaped JSON text frame
(~400 bytes, like app/server/farm.py `_assignment`) and waits for the reply before sending the
next (strict ping-pong), for --seconds. Figures: round trips per second over all connections,
and the p50 / p99 round-trip time; per repeat, then median and spread.

Two servers: `echo` sends the frame's text straight back; `json` decodes it and encodes it
again first, the least work a real server does per message. The dispatch rate of
bench/dispatch.py divided by these rates is how close the farm runs to the protocol ceiling.
The client shares the machine with the server: its CPU is printed too (near one core means the
client, not the server, is the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time

import aiohttp
import psutil

from bench.local_farm import free_port
from bench.report import machine, percentile, rates, record, spread

MODES = ("echo", "json")


def assign_message(n: int = 1) -> str:
    """An `assign` as the server sends it (app/server/farm.py `_assignment`), ~400 bytes."""
    task = {
        "job": 1042,
        "block": 0,
        "task": n,
        "run": 1,
        "job_name": "shot_010_lighting_v012",
        "block_name": "render",
        "task_name": f"frame {n + 1}",
        "user_name": "artist",
        "command": f"blender -b /proj/shot_010/lighting_v012.blend -f {n + 1}",
        "working_directory": "/proj/shot_010",
        "environment": {"OCIO": "/proj/config.ocio"},
        "frame_start": n + 1,
        "frame_end": n + 1,
        "frames_inc": 1,
        "parser": "blender",
        "service": "blender",
        "capacity": 1000,
        "files": ["/proj/shot_010/out/lighting_v012.####.exr"],
    }
    return json.dumps({"type": "assign", "task": task}, separators=(",", ":"))


def serve(port: int, mode: str, ready) -> None:
    """The echo server (child process): runs until terminated."""
    from aiohttp import web

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            if mode == "json":
                await ws.send_str(json.dumps(json.loads(frame.data), separators=(",", ":")))
            else:
                await ws.send_str(frame.data)
        return ws

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/ws", socket)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def ping_pong(url: str, connections: int, seconds: float) -> dict:
    """Open the connections, then ping-pong on each for `seconds`; round trips and times."""
    message = assign_message()
    rtts: list[float] = []
    counts = [0] * connections
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = await asyncio.gather(
            *(session.ws_connect(url, max_msg_size=0) for _ in range(connections))
        )
        start = asyncio.Event()
        stop_at = [0.0]

        async def loop(i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            await start.wait()
            count, perf = 0, time.perf_counter
            while (t0 := perf()) < stop_at[0]:
                await ws.send_str(message)
                frame = await ws.receive()
                if frame.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"connection {i}: {frame.type!r}")
                rtts.append(perf() - t0)
                count += 1
            counts[i] = count

        tasks = [asyncio.create_task(loop(i, ws)) for i, ws in enumerate(sockets)]
        await asyncio.sleep(0)
        cpu0, t0 = time.process_time(), time.perf_counter()
        stop_at[0] = t0 + seconds
        start.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        await asyncio.gather(*(ws.close() for ws in sockets))
    return {
        "rate": sum(counts) / wall,
        "p50_ms": percentile(rtts, 50) * 1000,
        "p99_ms": percentile(rtts, 99) * 1000,
        "client_cpu": cpu / wall,
    }


def run(mode: str, connections: int, seconds: float) -> dict:
    """One repeat: a fresh echo server, the client, the server's CPU over the same window."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    port = free_port()
    child = context.Process(target=serve, args=(port, mode, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(30):
            raise TimeoutError("echo server did not start")
        server = psutil.Process(child.pid)
        cpu0 = sum(server.cpu_times()[:2])
        t0 = time.perf_counter()
        figures = asyncio.run(ping_pong(f"http://127.0.0.1:{port}/ws", connections, seconds))
        figures["server_cpu"] = (sum(server.cpu_times()[:2]) - cpu0) / (time.perf_counter() - t0)
        return figures
    finally:
        child.terminate()
        child.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="ping-pong time per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES), help="echo,json (default: both)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{args.connections} connections, strict ping-pong of a {len(assign_message())}-byte "
        f"JSON text frame, {args.seconds:g} s x {args.repeats} repeats"
    )
    for mode in args.modes.split(","):
        runs = [run(mode, args.connections, args.seconds) for _ in range(args.repeats)]
        rate = [r["rate"] for r in runs]
        p50, p99 = [r["p50_ms"] for r in runs], [r["p99_ms"] for r in runs]
        label = "bare echo" if mode == "echo" else "echo with json decode + encode"
        print(f"-- {label}")
        print(f"round trips/s:              {rates(rate)}")
        print(f"round trip p50, ms:         {spread(p50)}")
        print(f"round trip p99, ms:         {spread(p99)}")
        print(f"echo server CPU, cores:     {spread([r['server_cpu'] for r in runs])}")
        print(f"client CPU, cores:          {spread([r['client_cpu'] for r in runs])}")
        name = f"ws_echo ({mode})"
        record(name, f"round trips/s, {args.connections} connections", rate, "msg/s")
        record(name, "round trip p50", p50, "ms")
        record(name, "round trip p99", p99, "ms")
        if statistics.median([r["client_cpu"] for r in runs]) > 0.9:
            print("note: the client used about a core: it may be the limit, not the server")


if __name__ == "__main__":
    main()

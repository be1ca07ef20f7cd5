"""Running the server: open the store, restore the farm, serve HTTP until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from app.server.config import ServerConfig
from app.server.farm import Farm
from app.server.farm_file import FarmFile
from app.server.persistence import Journal, OutputStore, open_database, restore
from app.server.routes import errors_middleware, routes

log = logging.getLogger("corral.server")

MAX_REQUEST = 64 * 1024 * 1024


def build_app(farm: Farm, db) -> web.Application:
    application = web.Application(client_max_size=MAX_REQUEST, middlewares=[errors_middleware])
    application["farm"] = farm
    application["db"] = db
    routes.register(application)
    return application


async def _tick(farm: Farm, farm_file: FarmFile | None) -> None:
    while True:
        await asyncio.sleep(1.0)
        try:
            farm.tick()
            tree = farm_file.changed() if farm_file else None
            if tree is not None:
                farm.set_pools(tree)
        except Exception:
            log.exception("farm tick failed")


async def serve(config: ServerConfig, on_ready=None) -> None:
    """Serve until cancelled. on_ready(url) is called once the port is open."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    db = await loop.run_in_executor(None, open_database, config.database_url)
    journal = Journal(db, loop)
    farm = Farm(config, journal, OutputStore(config.data_dir / "outputs"))
    await loop.run_in_executor(None, restore, farm)
    farm_file = FarmFile(config.farm_file) if config.farm_file else None
    farm.set_pools(farm_file.load() if farm_file else farm.pools)
    runner = web.AppRunner(build_app(farm, db), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else config.port
    url = f"http://{config.host}:{port}"
    log.info("serving on %s (data in %s)", url, config.data_dir)
    if on_ready is not None:
        on_ready(url)
    ticker = asyncio.create_task(_tick(farm, farm_file))
    try:
        await asyncio.Event().wait()
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await runner.cleanup()
        await loop.run_in_executor(None, journal.close)
        db.close()
        log.info("server stopped")

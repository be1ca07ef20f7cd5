"""Running the server: open the store, restore the farm and its tokens, serve HTTP(S) until
cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from app import __version__
from app.credentials import is_loopback
from app.server import server_settings
from app.server.afanasy.bridge import Bridge
from app.server.afanasy.listener import LOOPBACK, AfanasyListener
from app.server.announce import Announcement, announces
from app.server.auth import load_or_create, server_context
from app.server.auth.book import IssuedTokens
from app.server.auth.guard import Guard
from app.server.config import ServerConfig
from app.server.connections import (
    BACKLOG,
    ConnectionGate,
    connection_cap,
    in_request,
    raise_open_files_limit,
)
from app.server.farm import Farm
from app.server.farm_file import FarmFile
from app.server.pages import pages
from app.server.persistence import Journal, OutputStore, open_database, restore
from app.server.persistence.restore import stored_setting
from app.server.persistence.retention import Retention
from app.server.routes import errors_middleware, routes, store_middleware
from app.services.registry import load_services

log = logging.getLogger("corral.server")

MAX_REQUEST = 64 * 1024 * 1024


def build_app(farm: Farm, db, guard: Guard) -> web.Application:
    application = web.Application(
        client_max_size=MAX_REQUEST,
        middlewares=[
            in_request,
            farm.traffic.middleware,
            errors_middleware,
            guard.middleware,
            store_middleware,
        ],
    )
    application["farm"] = farm
    application["db"] = db
    application["guard"] = guard
    application.on_shutdown.append(_close_sockets)
    routes.register(application)
    pages.register(application)
    return application


async def _close_sockets(application: web.Application) -> None:
    """Before the server waits for its open connections to end: end the renders' and the
    monitors' sockets, which would stay open (they reconnect to the next server); kill the
    jobs' post commands still running."""
    farm: Farm = application["farm"]
    farm.shut_down()
    await farm.events.close()
    await farm.job_commands.close()


async def _announce(announcement: Announcement) -> None:
    """Announce the server on the local network (in the background: probing for a unique name
    takes a second or two). Where it cannot, say so: the server serves all the same, and its
    clients need its address."""
    try:
        await announcement.start()
    except Exception as exc:  # zeroconf's errors, OSError: no multicast here
        log.warning("cannot announce the server on the local network: %s", exc)
        return
    log.info("announced on the local network as %r", announcement.instance)


async def _tick(farm: Farm, farm_file: FarmFile | None, retention: Retention) -> None:
    while True:
        await asyncio.sleep(1.0)
        try:
            farm.tick()
            farm.traffic.sample()
            retention.tick()
            tree = farm_file.changed() if farm_file else None
            if tree is not None:
                farm.set_pools(tree)
        except Exception:
            log.exception("farm tick failed")


async def serve(config: ServerConfig, on_ready=None) -> None:
    """Serve until cancelled. on_ready(url) is called once the port is open."""
    open_files = raise_open_files_limit()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    load_services(config.plugins_dir)
    secrets = load_or_create(config.data_dir)
    log.info("admin token and farm secret: in %s", config.data_dir)
    ssl_context = None
    if config.tls_cert is not None:
        ssl_context = server_context(config.tls_cert, config.tls_key)
    elif not is_loopback(config.host):
        log.warning(
            "listening on %s without TLS: tokens, the farm secret and job contents cross the"
            " network in clear (give --tls-cert and --tls-key)",
            config.host,
        )
    loop = asyncio.get_running_loop()
    db = await loop.run_in_executor(None, open_database, config.database_url)
    journal = Journal(db, loop)
    farm = Farm(config, journal, OutputStore(config.data_dir / "outputs"))
    tokens = IssuedTokens(journal, secrets.admin_token)

    def load() -> None:
        with db.connection_context():
            restore(farm)
            server_settings.restore(farm, stored_setting(server_settings.STORED))
            tokens.restore()

    await loop.run_in_executor(None, load)
    farm_file = FarmFile(config.farm_file) if config.farm_file else None
    farm.set_pools(farm_file.load() if farm_file else farm.pools)
    guard = Guard((routes, pages), tokens, secrets.farm_secret, secrets.metrics_token)
    runner = web.AppRunner(
        build_app(farm, db, guard),
        handle_signals=False,
        access_log=None,
        keepalive_timeout=config.idle_timeout,
    )
    await runner.setup()
    gate = ConnectionGate(
        runner.server, connection_cap(open_files), config.header_timeout, farm.traffic
    )
    listener = await loop.create_server(
        gate,
        config.host,
        config.port,
        reuse_address=True,
        ssl=ssl_context,
        backlog=BACKLOG,
        ssl_handshake_timeout=config.header_timeout if ssl_context else None,
    )
    port = listener.sockets[0].getsockname()[1]
    # the Afanasy listener first: "serving on" means every port answers
    afanasy = None
    if config.afanasy_port is not None:
        bridge = Bridge(guard, config.host, port, config.tls_cert)
        trust = (*LOOPBACK, *config.afanasy_trust)
        afanasy = AfanasyListener(bridge, trust, config.header_timeout)
        afanasy_server = await afanasy.start(config.host, config.afanasy_port)
        log.info(
            "answering Afanasy's protocol on port %d",
            afanasy_server.sockets[0].getsockname()[1],
        )
    url = f"{config.scheme}://{config.host}:{port}"
    log.info("serving on %s (data in %s)", url, config.data_dir)
    announcement = None
    if announces(config.host, config.announce):
        tls = config.tls_cert is not None
        announcement = Announcement(config.farm_name, config.host, port, tls, __version__)
        announcing = asyncio.create_task(_announce(announcement))
    if on_ready is not None:
        on_ready(url)
    retention = Retention(journal, farm.outputs, config)
    ticker = asyncio.create_task(_tick(farm, farm_file, retention))
    try:
        await asyncio.Event().wait()
    finally:
        if announcement is not None:
            announcing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await announcing
            await announcement.close()
        if afanasy is not None:
            afanasy_server.close()
            await afanasy.close()
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await retention.stop()
        listener.close()
        await runner.cleanup()
        await loop.run_in_executor(None, journal.close)
        db.close()
        log.info("server stopped")

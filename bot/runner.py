"""`engagebot run`: start the app, wait for a stop signal or the end of console input,
then shut down cleanly so every acknowledged vote and pending edit is kept.

SIGHUP reloads the config: a config with mistakes is reported and the running one kept."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress

from bot.adapters.registry import build_adapters
from bot.app import App
from bot.clock import SystemClock
from bot.config import LoadedConfig
from bot.errors import ConfigError
from bot.storage import open_store
from bot.web.host import start_web_host, take_endpoints, web_settings

log = logging.getLogger(__name__)


Reload = Callable[[], LoadedConfig]


async def serve(config: LoadedConfig, reload: Reload | None = None) -> None:
    clock = SystemClock()
    adapters = build_adapters(config, clock)
    app = App(config, open_store(config.database_url), adapters, clock)
    stop = asyncio.Event()
    install_signal_handlers(stop.set)
    reloads: set[asyncio.Task[None]] = set()
    if reload is not None:

        def on_hangup() -> None:
            task = asyncio.create_task(_reload(app, reload))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        with suppress(NotImplementedError, AttributeError):  # no SIGHUP on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, on_hangup)
    settings = web_settings(config)
    # Slack in mode: http is served by the web host: one port for everything.
    endpoints = take_endpoints(adapters) if settings is not None else []
    try:
        await app.start()
        web = await start_web_host(app, settings, endpoints) if settings else None
    except BaseException:
        # A platform refused us (bad token, unreachable): release the database and any
        # adapter already connected, so the process exits instead of hanging.
        await app.shutdown()
        raise
    scheduler = asyncio.create_task(app.run())
    waiters = [asyncio.create_task(stop.wait())]
    for adapter in adapters:
        finished = getattr(adapter, "finished", None)
        if isinstance(finished, asyncio.Event):
            waiters.append(asyncio.create_task(finished.wait()))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        app.stop()
        await scheduler
        if web is not None:
            await web.stop()
        await app.shutdown()
        log.info("stopped")


async def _reload(app: App, reload: Reload) -> None:
    try:
        config = reload()
    except ConfigError as error:
        for problem in error.problems:
            log.error("config not reloaded: %s", problem)
        return
    await app.reload(config)
    log.info("config reloaded")


def install_signal_handlers(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop)

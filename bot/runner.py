"""`engagebot run`: start the app, wait for a stop signal or the end of console input,
then shut down cleanly so every acknowledged vote and pending edit is kept."""

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
from bot.storage import open_store

log = logging.getLogger(__name__)


async def serve(config: LoadedConfig) -> None:
    clock = SystemClock()
    adapters = build_adapters(config, clock)
    app = App(config, open_store(config.database_url), adapters, clock)
    stop = asyncio.Event()
    install_signal_handlers(stop.set)
    await app.start()
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
        await app.shutdown()
        log.info("stopped")


def install_signal_handlers(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop)

"""`engagebot run`: start the app, wait for a stop signal or the end of console input,
then shut down cleanly so every acknowledged vote and pending edit is kept.

SIGHUP reloads the config: a config with mistakes is reported and the running one kept."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress

from bot import __version__
from bot.adapters.registry import build_adapters
from bot.app import App
from bot.clock import SystemClock
from bot.config import LoadedConfig
from bot.core.adapter import Adapter, LocalInput
from bot.errors import ConfigError
from bot.heap import settle_after_start
from bot.logs import REDACT
from bot.storage import open_store
from bot.summary import config_line, config_secrets, log_startup
from bot.web.host import start_web_host, take_endpoints, web_settings

log = logging.getLogger(__name__)


Reload = Callable[[], LoadedConfig]


async def serve(config: LoadedConfig, reload: Reload | None = None) -> None:
    clock = SystemClock()
    REDACT.add_secrets(config_secrets(config))
    log.info(
        "engagebot %s starting: %s",
        __version__,
        config_line(config),
        extra={"config": [str(path) for path in config.sources]},
    )
    adapters = build_adapters(config, clock)
    app = App(config, open_store(config.database_url, clock=clock.now), adapters, clock)
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
    records = {record.poll_id: record for record in await app.store.list_polls()}
    log_startup(config, app.polls.polls, records, clock.now())
    settle_after_start()
    scheduler = asyncio.create_task(app.run())
    try:
        await wait_until_done(stop, adapters)
    finally:
        app.stop()
        await scheduler
        if web is not None:
            await web.stop()
        await app.shutdown()
        log.info("stopped")


async def wait_until_done(stop: asyncio.Event, adapters: list[Adapter]) -> None:
    """Until a stop signal (Ctrl-C, SIGTERM) or /quit in the console. The end of console
    input (stdin closed, as under Docker and systemd, or a piped script done) ends the
    whole run only when no chat platform is being served."""
    inputs = [adapter for adapter in adapters if isinstance(adapter, LocalInput)]
    serving = [adapter.name for adapter in adapters if not isinstance(adapter, LocalInput)]
    waiters = {asyncio.create_task(stop.wait())}
    waiting_on = {asyncio.create_task(a.finished.wait()): a for a in inputs}
    waiters |= set(waiting_on)
    log.debug(
        "serving until stopped%s",
        f" or until {inputs[0].name} input ends" if inputs and not serving else "",
    )
    try:
        while not stop.is_set():
            done, waiters = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            ended = [waiting_on[task] for task in done if task in waiting_on]
            if any(adapter.quit_requested for adapter in ended):
                log.info("stopping: /quit typed in the console")
                return
            if ended and not serving and all(a.finished.is_set() for a in inputs):
                return  # a console-only run ends with its input: the scriptable demo
            for adapter in ended:
                log.info(
                    "%s input ended; still serving %s — stop with Ctrl-C or SIGTERM",
                    adapter.name,
                    ", ".join(serving),
                )
    finally:
        for waiter in waiters:
            waiter.cancel()


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

"""Run the real App in-process: real config loader, real SQLite file, a recording
platform in place of a chat service, and a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.storage import open_store
from tests.fakes import RecordingPlatform


@asynccontextmanager
async def running_app(
    config_path: Path,
    clock: FakeClock,
    platform: RecordingPlatform | None = None,
    watch_interval: timedelta | None = None,
) -> AsyncIterator[tuple[App, RecordingPlatform]]:
    config = load_config(config_path)
    platform = platform or RecordingPlatform()
    app = App(config, open_store(config.database_url), [platform], clock, watch_interval)
    await app.start()
    try:
        yield app, platform
    finally:
        await app.shutdown()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)

"""The real App with its real web host on a free local port, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.app import App
from bot.clock import Clock
from bot.config import load_config
from bot.core.events import AdapterReady
from bot.storage import open_store
from bot.web.host import WebHost, WebSettings
from tests.fakes import RecordingPlatform

TOKEN = "s3cret-dashboard-token"


@dataclass
class Served:
    app: App
    platform: RecordingPlatform
    host: WebHost
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.host.url

    def bearer(self, token: str = TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def served(
    config_path: Path,
    clock: Clock,
    *,
    token: str | None = TOKEN,
    host: str = "127.0.0.1",
    ready: bool = True,
) -> AsyncIterator[Served]:
    config = load_config(config_path)
    platform = RecordingPlatform()
    app = App(config, open_store(config.database_url), [platform], clock, watch_interval=None)
    await app.start()
    if ready:  # what a connected adapter reports
        await app.handle(AdapterReady(platform.name))
    web = WebHost(app, WebSettings(host=host, port=0, token=token))
    await web.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(app, platform, web, http)
    finally:
        await web.stop()
        await app.shutdown()

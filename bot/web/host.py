"""One web server inside the running bot: dashboard, JSON API, health checks, metrics,
and room for other apps (Slack's HTTP endpoint) mounted under their own path.

    host = WebHost(app, WebSettings.from_config(config.settings.web))
    host.mount("/slack", slack_app)   # before start()
    await host.start()
    ...
    await host.stop()
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot import messages
from bot.config import LoadedConfig
from bot.config.checks import is_loopback
from bot.config.schema import WebConfig
from bot.web import api, pages
from bot.web.auth import Gate
from bot.web.guard import error_pages, security_headers
from bot.web.keys import APP, GATE, SETTINGS, STREAMS

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    base_url: str | None = None

    @classmethod
    def from_config(cls, web: WebConfig) -> WebSettings:
        token = web.token.get_secret_value() if web.token is not None else None
        return cls(web.host, web.port, token or None, web.base_url)

    @property
    def open_health(self) -> bool:
        """/readyz and /metrics need no token when only this machine can connect."""
        return is_loopback(self.host)

    @property
    def secure_cookies(self) -> bool:
        return (self.base_url or "").startswith("https://")

    @property
    def prefix(self) -> str:
        """The path the reverse proxy serves us under ("" at the root)."""
        return urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""


class WebHost:
    def __init__(self, app: App, settings: WebSettings) -> None:
        self.settings = settings
        self.gate = Gate(app.clock, settings.token)
        self.web = web.Application(middlewares=[security_headers, error_pages])
        self.web[APP] = app
        self.web[GATE] = self.gate
        self.web[SETTINGS] = settings
        self.web[STREAMS] = set()
        self.web.add_routes(pages.routes)
        self.web.add_routes(api.routes)
        self.web.router.add_static("/static", STATIC, name="static", append_version=True)
        self.web.on_shutdown.append(_end_streams)
        self._runner: web.AppRunner | None = None
        self._port = settings.port
        self.login_link: str | None = None

    def mount(self, path: str, sub_app: web.Application) -> None:
        """Serve another aiohttp application under path (e.g. Slack's events endpoint).
        Only before start(): aiohttp freezes its routes when the server starts."""
        if self._runner is not None:
            raise RuntimeError("mount() must come before start()")
        self.web.add_subapp(path, sub_app)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        sockets = self._runner.addresses
        if sockets and self.settings.port == 0:
            self._port = int(sockets[0][1])  # the port the system chose
        if self.settings.token is None:
            self.login_link = f"{self.url}/login/link?code={self.gate.new_login_code()}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def greeting(self) -> str:
        if self.login_link is not None:
            return messages.WEB_GREETING_LINK.format(url=self.url, link=self.login_link)
        return messages.WEB_GREETING.format(url=self.url)

    @property
    def url(self) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/")
        host = self.settings.host
        shown = "localhost" if host in ("127.0.0.1", "localhost") else host
        if ":" in shown:
            shown = f"[{shown}]"  # IPv6
        return f"http://{shown}:{self._port}"


def web_settings(config: LoadedConfig) -> WebSettings | None:
    """The config's web: block, if it has one."""
    web_config = config.settings.web
    return WebSettings.from_config(web_config) if web_config is not None else None


async def start_web_host(app: App, settings: WebSettings) -> WebHost | None:
    """Build the web host, start serving, and tell whoever started the bot where.

    A port already taken does not stop the bot: customers keep voting in chat while the
    dashboard is missing, and the message (and a failing HEALTHCHECK) say why. None then."""
    host = WebHost(app, settings)
    try:
        await host.start()
    except OSError as error:
        await host.stop()
        reason = os.strerror(error.errno) if error.errno else str(error)
        line = messages.WEB_CANNOT_LISTEN.format(
            host=settings.host, port=settings.port, reason=reason.lower()
        )
        log.error("%s", line)
        print(line, file=sys.stderr, flush=True)
        return None
    print(host.greeting(), file=sys.stderr, flush=True)
    return host


async def _end_streams(web_app: web.Application) -> None:
    """Live pages keep a connection open; end them so the server can stop at once."""
    streams: set[asyncio.Task[None]] = web_app[STREAMS]
    for task in list(streams):
        task.cancel()
    await asyncio.sleep(0)

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot import messages
from bot.config import LoadedConfig
from bot.config.checks import is_loopback
from bot.config.schema import WebConfig
from bot.core.adapter import HttpEndpoint, ServesHttp
from bot.errors import PlatformError
from bot.web.auth import Gate

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import App

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    base_url: str | None = None
    # False when the host only exists for Slack's HTTP endpoint (mode: http and no web:
    # block): then it serves that endpoint and /healthz, never the dashboard or the API.
    dashboard: bool = True

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
    """Listens from start(); the aiohttp application behind it (bot/web/site.py) is built
    at start() when a platform's endpoint is served here, else for the first connection:
    importing aiohttp and building the dashboard take about 0.1 s and 14 MB, which a
    console demo whose dashboard nobody opens never pays. Connections that arrive while
    it is being built wait for it, nothing read yet."""

    def __init__(self, app: App, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.gate = Gate(app.clock, settings.token)
        self._served: list[HttpEndpoint] = []
        self._mounts: list[tuple[str, web.Application]] = []
        self._server: asyncio.AbstractServer | None = None
        self._building: asyncio.Task[web.AppRunner] | None = None
        self._runner: web.AppRunner | None = None
        self._waiting: set[_Waiting] = set()
        self._port = settings.port
        self.login_link: str | None = None
        self.endpoints: list[str] = []

    def serve(self, endpoint: HttpEndpoint) -> None:
        """Serve a platform's inbound endpoint (Slack's events and clicks) on this host.
        Only before start()."""
        if self._server is not None:
            raise RuntimeError("serve() must come before start()")
        self._served.append(endpoint)
        self.endpoints.append(endpoint.path)

    def mount(self, path: str, sub_app: web.Application) -> None:
        """Serve another aiohttp application under path (e.g. Slack's events endpoint).
        Only before start(): aiohttp freezes its routes when the server starts."""
        if self._server is not None:
            raise RuntimeError("mount() must come before start()")
        self._mounts.append((path, sub_app))

    async def start(self) -> None:
        if self._served or self._mounts:
            await self.application()  # a platform's requests must not wait for it
        self._server = await asyncio.get_running_loop().create_server(
            self._protocol, self.settings.host, self.settings.port, backlog=128
        )
        sockets = self._server.sockets
        if sockets and self.settings.port == 0:
            self._port = int(sockets[0].getsockname()[1])  # the port the system chose
        if self.settings.token is None and self.settings.dashboard:
            self.login_link = f"{self.url}/login/link?code={self.gate.new_login_code()}"

    async def application(self) -> web.AppRunner:
        """The aiohttp application, built once (again after a failed try)."""
        if self._building is None:
            self._building = asyncio.get_running_loop().create_task(self._build())
        building = self._building
        try:
            return await asyncio.shield(building)
        except Exception:
            if self._building is building:
                self._building = None
            raise

    async def _build(self) -> web.AppRunner:
        from bot.web.site import start_runner  # imports aiohttp

        runner = await start_runner(self.app, self.gate, self.settings, self._served, self._mounts)
        self._runner = runner
        return runner

    def _protocol(self) -> asyncio.BaseProtocol:
        """Each connection's protocol: the application's handler once it is built."""
        if self._runner is not None and self._runner.server is not None:
            return self._runner.server()
        return _Waiting(self)

    async def stop(self) -> None:
        """Stop listening, then let the application end its connections and streams."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for waiting in list(self._waiting):
            waiting.abort()
        building, self._building = self._building, None
        if building is not None:
            await asyncio.wait([building])  # a build under way ends before the cleanup
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def greeting(self) -> str:
        if not self.settings.dashboard:
            paths = ", ".join(self.endpoints)
            return messages.WEB_ENDPOINTS_ONLY.format(url=self.url, paths=paths)
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


class _Waiting(asyncio.Protocol):
    """A connection that came before the application was built: reading paused, it waits
    for the build, then the application's own handler takes the connection over."""

    def __init__(self, host: WebHost) -> None:
        self._host = host
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.pause_reading()  # the request stays unread for the handler
        self._host._waiting.add(self)
        self._task = asyncio.get_running_loop().create_task(self._hand_over())

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._host._waiting.discard(self)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    async def _hand_over(self) -> None:
        try:
            runner = await self._host.application()
        except Exception:
            log.exception("the web host could not start its application")
            self.abort()
            return
        transport = self._transport
        self._host._waiting.discard(self)
        if transport is None or transport.is_closing() or runner.server is None:
            return
        handler = runner.server()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        transport.resume_reading()


def web_settings(config: LoadedConfig) -> WebSettings | None:
    """The config's web: block. Without one, Slack in mode: http still needs a server:
    its own host and port then start a web host that serves only Slack and /healthz."""
    web_config = config.settings.web
    if web_config is not None:
        return WebSettings.from_config(web_config)
    slack = config.settings.platforms.slack
    if slack is not None and "slack" in config.enabled_platforms and slack.mode == "http":
        return WebSettings(slack.host, slack.port, dashboard=False)
    return None


def take_endpoints(adapters: Iterable[object]) -> list[HttpEndpoint]:
    """The platforms' inbound HTTP endpoints (Slack in mode: http), which the web host
    will serve; their adapters then open no server of their own. Before they start."""
    endpoints: list[HttpEndpoint] = []
    for adapter in adapters:
        if isinstance(adapter, ServesHttp):
            endpoint = adapter.http_endpoint()
            if endpoint is not None:
                adapter.serve_on_web_host()
                endpoints.append(endpoint)
    return endpoints


async def start_web_host(
    app: App, settings: WebSettings, endpoints: Iterable[HttpEndpoint] = ()
) -> WebHost | None:
    """Build the web host, start serving, and tell whoever started the bot where.

    A port already taken does not stop the bot when it only costs the dashboard:
    customers keep voting in chat while it is missing, and the message (and a failing
    HEALTHCHECK) say why; None then. When the host serves a platform's endpoint (Slack in
    mode: http), that platform cannot work without it: PlatformError."""
    host = WebHost(app, settings)
    for endpoint in endpoints:
        host.serve(endpoint)
    try:
        await host.start()
    except OSError as error:
        await host.stop()
        reason = os.strerror(error.errno) if error.errno else str(error)
        if host.endpoints:
            raise PlatformError(
                f"cannot listen for Slack on {settings.host}:{settings.port}: {reason.lower()}"
            ) from None
        line = messages.WEB_CANNOT_LISTEN.format(
            host=settings.host, port=settings.port, reason=reason.lower()
        )
        log.error("%s", line)
        print(line, file=sys.stderr, flush=True)
        return None
    print(host.greeting(), file=sys.stderr, flush=True)
    return host

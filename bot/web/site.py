"""The web host's aiohttp application: dashboard, API, health checks, metrics and the
platforms' endpoints. Imported by the host when it first needs it (bot/web/host.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.adapter import HttpEndpoint
from bot.web import api, pages
from bot.web.auth import Gate
from bot.web.guard import error_pages, security_headers
from bot.web.keys import APP, GATE, SETTINGS, STREAMS

if TYPE_CHECKING:
    from bot.app import App
    from bot.web.host import WebSettings

STATIC = Path(__file__).parent / "static"


async def start_runner(
    app: App,
    gate: Gate,
    settings: WebSettings,
    endpoints: Iterable[HttpEndpoint],
    mounts: Iterable[tuple[str, web.Application]],
) -> web.AppRunner:
    """The application set up and ready to take connections (runner.server makes each
    connection's handler); the host listens and hands them over."""
    application = web.Application(middlewares=[security_headers, error_pages])
    application[APP] = app
    application[GATE] = gate
    application[SETTINGS] = settings
    application[STREAMS] = set()
    if settings.dashboard:
        application.add_routes(pages.routes)
        application.add_routes(api.routes)
        application.router.add_static("/static", STATIC, name="static", append_version=True)
    else:
        application.router.add_get("/healthz", api.healthz)
    for endpoint in endpoints:
        application.router.add_post(endpoint.path, endpoint.handle)
    for path, sub_app in mounts:
        application.add_subapp(path, sub_app)
    application.on_shutdown.append(_end_streams)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    return runner


async def _end_streams(web_app: web.Application) -> None:
    """Live pages keep a connection open; end them so the server can stop at once."""
    streams: set[asyncio.Task[None]] = web_app[STREAMS]
    for task in list(streams):
        task.cancel()
    await asyncio.sleep(0)

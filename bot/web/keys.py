"""Typed keys for what the web application shares with its handlers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.auth import Gate

if TYPE_CHECKING:
    from bot.app import App
    from bot.web.host import WebSettings

APP: web.AppKey[App] = web.AppKey("app")
GATE = web.AppKey("gate", Gate)
SETTINGS: web.AppKey[WebSettings] = web.AppKey("settings")
STREAMS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("streams")

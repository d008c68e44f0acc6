"""Where discord.py sends REST calls and opens the gateway.

discord.py 2.7.1 reads both from class attributes (`discord.http.Route.BASE`,
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`). They are internals of the pinned
version, so this module is the only place that touches them. With overrides set (a
rate-limit proxy in production, a local fake in tests) nothing contacts discord.com."""

from __future__ import annotations

import re

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import INTERNAL_API_VERSION, Route

DEFAULT_API_BASE = Route.BASE
DEFAULT_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY
_VERSIONED = re.compile(r"/api/v\d+/?$")


def api_base(url: str) -> str:
    """`http://proxy:8080` and `http://proxy:8080/api/v10` both mean the v10 REST API."""
    url = url.rstrip("/")
    return url if _VERSIONED.search(url) else f"{url}/api/v{INTERNAL_API_VERSION}"


def point_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Aim discord.py at the configured endpoints (process-wide: one Discord per bot)."""
    Route.BASE = api_base(api_base_url) if api_base_url else DEFAULT_API_BASE
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url) if gateway_url else DEFAULT_GATEWAY

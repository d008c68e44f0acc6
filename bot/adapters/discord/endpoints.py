"""Where discord.py sends REST calls and opens the gateway.

discord.py 2.7.1 reads both from class attributes (`discord.http.Route.BASE`,
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`). They are internals of the pinned
version, so this module is the only place that touches them (with the gateway's resume
URL and the rate-limit wait below). With overrides set (a rate-limit proxy in
production, a local fake in tests) nothing contacts discord.com or discord.gg."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import yarl
from discord import Client
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


def keep_resuming_through(client: Client, gateway_url: str) -> None:
    """Resume through the configured gateway too, not READY's `resume_gateway_url`.

    discord.py 2.7.1 stores READY's `resume_gateway_url` on the websocket
    (`DiscordWebSocket.received_message`) just before handing READY to the state's
    parser, and reconnects there. Behind a proxy that passes READY through, that is a
    *.discord.gg host: re-aim the websocket right after the parser has run."""
    pinned = yarl.URL(gateway_url)
    parsers: dict[str, Callable[[Any], None]] = client._connection.parsers
    parse_ready = parsers["READY"]

    def ready(data: Any) -> None:
        # A sharded client's READY names its shard; each shard has its own websocket.
        shard = (data.get("shard") or [None])[0]
        with suppress(KeyError):
            ws = client._get_websocket(shard_id=shard) if shard is not None else client.ws
            if ws is not None:
                ws.gateway = pinned
        parse_ready(data)

    parsers["READY"] = ready


def rate_limit_wait(client: Client, seconds: float) -> None:
    """Longest Retry-After discord.py sleeps through itself; a longer one raises
    RateLimited so our own back-off decides. discord.py's `max_ratelimit_timeout`
    refuses values under 30 s; tests need shorter ones, set directly here."""
    client.http.max_ratelimit_timeout = seconds

"""The web host listens from the start and builds its application for the first
connection: requests that arrive meanwhile wait and are all answered, and a host nobody
visited stops cleanly."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from bot.app import App
from bot.clock import SystemClock
from bot.config import load_config
from bot.storage import open_store
from bot.web.host import WebHost, WebSettings
from tests.conftest import WriteConfig
from tests.fakes import RecordingPlatform
from tests.web.harness import served


async def test_requests_arriving_together_first_are_all_answered(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:

        async def health(n: int) -> tuple[int, object]:
            # Each on its own connection, so each waits for the application on its own.
            async with aiohttp.ClientSession() as http, http.get(s.url + "/healthz") as r:
                return r.status, await r.json()

        answers = await asyncio.gather(*(health(n) for n in range(8)))
        assert answers == [(200, {"status": "ok"})] * 8
        async with s.http.post(s.url + "/api/polls/helmets/close", headers=s.bearer()) as r:
            assert r.status == 200  # a request with a body, after the build
        assert (await s.app.polls.results("helmets")).state.value == "closed"


async def test_a_host_nobody_visited_stops_and_gives_its_port_back(
    write_config: WriteConfig,
) -> None:
    config = load_config(write_config())
    app = App(config, open_store(config.database_url), [RecordingPlatform()], SystemClock())
    await app.start()
    try:
        host = WebHost(app, WebSettings(port=0))
        await host.start()
        port = int(host.url.rsplit(":", 1)[1])
        waiting = socket.create_connection(("127.0.0.1", port))  # never answered: stopped
        try:
            await asyncio.sleep(0)
            await asyncio.wait_for(host.stop(), 5)
        finally:
            waiting.close()
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
    finally:
        await app.shutdown()

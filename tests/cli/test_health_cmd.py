"""`engagebot health`, the container's health check: it asks the port the config's web:
block names (not a fixed 8080), exits 1 when nothing answers, and checks nothing when the
config serves no web host."""

from __future__ import annotations

import asyncio
import socket

from tests.cli.bot_process import bot_process
from tests.cli_runner import engagebot
from tests.conftest import SHOP_HEADER, WriteConfig


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_health_asks_the_configured_port(write_config: WriteConfig) -> None:
    port = free_port()
    config = write_config(SHOP_HEADER + f"web:\n  host: 127.0.0.1\n  port: {port}\n")
    async with bot_process("run", "-c", str(config), stdin_closed=False) as bot:
        await bot.wait_for_log("Dashboard:")
        done = await asyncio.to_thread(engagebot, "health", "-c", str(config))
        assert (done.returncode, done.stdout) == (0, "/healthz: 200\n"), done.stderr
        ready = await asyncio.to_thread(engagebot, "health", "--ready", "-c", str(config))
        assert (ready.returncode, ready.stdout) == (0, "/readyz: 200\n"), ready.stderr
        assert bot.process.stdin is not None
        bot.process.stdin.close()  # the console's input ends: a console-only bot stops
        assert await bot.exited() == 0

    gone = engagebot("health", "-c", str(config))
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"/healthz: no answer from http://127.0.0.1:{port}/healthz (")


def test_without_a_web_host_nothing_is_checked(write_config: WriteConfig) -> None:
    done = engagebot("health", "-c", str(write_config(SHOP_HEADER)))
    assert done.returncode == 0, done.stderr
    assert "no web host in the config" in done.stdout

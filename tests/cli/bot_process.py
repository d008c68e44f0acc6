"""`engagebot run` as a real subprocess the test talks to while it runs: its log lines
(stderr) and console output (stdout) are collected as they come, so a test can wait for
a line, drive the platforms meanwhile, and stop it with a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from tests.conftest import REPO


class BotProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log: list[str] = []  # stderr lines
        self.out: list[str] = []  # stdout lines
        self._readers = [
            asyncio.create_task(self._collect(process.stderr, self.log)),
            asyncio.create_task(self._collect(process.stdout, self.out)),
        ]

    @staticmethod
    async def _collect(stream: asyncio.StreamReader | None, into: list[str]) -> None:
        assert stream is not None
        while line := await stream.readline():
            into.append(line.decode("utf-8", "replace").rstrip("\n"))

    async def wait_for_log(self, text: str, timeout: float = 30.0) -> str:
        """The first log line containing text; fails if the bot exits first."""

        async def find() -> str:
            while True:
                found = next((line for line in self.log if text in line), None)
                if found is not None:
                    return found
                if self.process.returncode is not None:
                    await asyncio.gather(*self._readers)
                    found = next((line for line in self.log if text in line), None)
                    if found is not None:
                        return found
                    raise AssertionError(
                        f"the bot exited ({self.process.returncode}) before logging {text!r}:\n"
                        + "\n".join(self.log)
                    )
                await asyncio.sleep(0.02)

        return await asyncio.wait_for(find(), timeout)

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send sig and wait for the exit code (output is read to the end)."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await self.exited(timeout)

    async def exited(self, timeout: float = 30.0) -> int:
        """Wait for the bot to exit by itself; its exit code."""
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.gather(*self._readers)
        return code


@asynccontextmanager
async def bot_process(
    *args: str, env: dict[str, str] | None = None, stdin_closed: bool = True
) -> AsyncIterator[BotProcess]:
    """Run `python -m bot ARGS` with stdin at end of file (as under Docker or systemd)."""
    base = {k: v for k, v in os.environ.items() if k != "ENGAGEBOT_DATABASE_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.DEVNULL if stdin_closed else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=Path(REPO),
        env=base | (env or {}),
    )
    bot = BotProcess(process)
    try:
        yield bot
    finally:
        if process.returncode is None:
            with suppress(ProcessLookupError):
                process.kill()
            await process.wait()

"""A TCP proxy in front of the test PostgreSQL that counts round trips.

Every exchange with PostgreSQL, a simple query or an extended-protocol batch ending in
Sync, is answered by exactly one ReadyForQuery ('Z') message, and nothing else sends one:
so the 'Z' messages the server sends are the round trips the clients made. The proxy reads
the server's side of the stream as PostgreSQL frames it (a type byte and a length) and
passes every byte on unchanged. Clients must not ask for TLS (`sslmode=disable`), or the
stream could not be read.

With a delay, every answer from the server reaches the client that much later: a database
on another machine, for the benchmark (bench/vote_path.py --pg-delay-ms)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit


class RoundTripProxy:
    def __init__(self, target_host: str, target_port: int, delay: float = 0.0) -> None:
        self.target = (target_host, target_port)
        self.delay = delay  # seconds added to every answer
        self.round_trips = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def url(self, database_url: str) -> str:
        """database_url, pointed at this proxy, without TLS."""
        parts = urlsplit(database_url)
        netloc = f"{parts.username}@127.0.0.1:{self.port}" if parts.username else ""
        query = "&".join(q for q in (parts.query, "sslmode=disable") if q)
        return urlunsplit((parts.scheme, netloc or f"127.0.0.1:{self.port}", parts.path, query, ""))

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)
        upstream = asyncio.ensure_future(self._pipe(client_r, server_w, count=False))
        downstream = asyncio.ensure_future(self._pipe(server_r, client_w, count=True))
        for task in (upstream, downstream):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for writer in (client_w, server_w):
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool
    ) -> None:
        pending = b""
        delayed: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        later = asyncio.ensure_future(self._write_later(delayed, writer))
        try:
            with contextlib.suppress(ConnectionError):
                while data := await reader.read(65536):
                    if count:
                        pending = self._count(pending + data)
                    if count and self.delay:
                        delayed.put_nowait((time.monotonic() + self.delay, data))
                        continue
                    writer.write(data)
                    await writer.drain()
        finally:
            later.cancel()

    async def _write_later(
        self, delayed: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        """Write each chunk at its time, in order."""
        with contextlib.suppress(ConnectionError):
            while True:
                due, data = await delayed.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()

    def _count(self, buffer: bytes) -> bytes:
        """Count whole 'Z' frames in buffer; return the incomplete rest."""
        at = 0
        while len(buffer) - at >= 5:
            length = int.from_bytes(buffer[at + 1 : at + 5], "big")
            if len(buffer) - at < 1 + length:
                break
            if buffer[at : at + 1] == b"Z":
                self.round_trips += 1
            at += 1 + length
        return buffer[at:]


@contextlib.asynccontextmanager
async def round_trip_proxy(
    host: str = "127.0.0.1", port: int = 5432, delay: float = 0.0
) -> AsyncIterator[RoundTripProxy]:
    proxy = RoundTripProxy(host, port, delay)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()

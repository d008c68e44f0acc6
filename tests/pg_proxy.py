"""A TCP proxy in front of the test PostgreSQL that counts round trips.

Every exchange with PostgreSQL, a simple query or an extended-protocol batch ending in
Sync, is answered by exactly one ReadyForQuery ('Z') message, and nothing else sends one:
so the 'Z' messages the server sends are the round trips the clients made. The proxy reads
the server's side of the stream as PostgreSQL frames it (a type byte and a length) and
passes every byte on unchanged. Clients must not ask for TLS (`sslmode=disable`), or the
stream could not be read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit


class RoundTripProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
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
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
                if count:
                    pending = self._count(pending + data)

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
    host: str = "127.0.0.1", port: int = 5432
) -> AsyncIterator[RoundTripProxy]:
    proxy = RoundTripProxy(host, port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()

"""Checkpoints off the writer's path: a thread with its own connection copies the WAL back
into the database file while the writer goes on committing.

Left to itself SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages,
so every tenth batch or so also writes and fsyncs the database file before its voters
hear back: those batches set the p99. The writer moves its own trigger far out (a
backstop at 128 MB of WAL, should this thread not run) and tells this thread about its
commits instead; it runs a PASSIVE checkpoint (never waits for the writer, never blocks
it) once the commits since the last one changed `every_changes` rows, or after
`every_seconds`. Each checkpoint's fsync of the database file holds up the commits' fsync
of the WAL that runs meanwhile, so fewer, larger checkpoints make fewer slow batches: at
2,000 rows (about SQLite's own 1,000 pages) one batch in ten was slow and set a vote's p99
at 11-14 ms; at 20,000 it is 8-9 ms (bench/vote_path.py, 100 concurrent voters). Under
such sustained load a PASSIVE checkpoint rarely catches up with the commits either way, so
the WAL is held by the limits below, not by how often this runs.

Durability is unchanged: a commit is durable once the WAL is fsynced (synchronous=FULL),
and a checkpoint fsyncs the WAL before copying and the database file before the WAL may
be reused.

The WAL cannot grow without bound: once the writer has been quiet for `idle_seconds` the
thread runs a TRUNCATE checkpoint (the WAL file goes back to zero bytes), and if the file
ever passes `limit_bytes` (PASSIVE checkpoints kept being overtaken) a RESTART checkpoint
waits for the writer and starts the WAL over."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self,
        path: Path,
        *,
        every_changes: int = 20_000,
        every_seconds: float = 1.0,
        idle_seconds: float = 2.0,
        limit_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self.every_changes = every_changes
        self.every_seconds = every_seconds
        self.idle_seconds = idle_seconds
        self.limit_bytes = limit_bytes
        self.checkpoints = 0  # checkpoints run (any mode), for tests and benchmarks
        self.truncations = 0
        self._commits = 0  # since the last checkpoint; written by the writer thread
        self._changes = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="engagebot-checkpoint", daemon=True
            )
            self._thread.start()

    def committed(self, changes: int) -> None:
        """Called on the writer thread after each COMMIT that changed `changes` rows."""
        self._commits += 1
        self._changes += changes
        if self._changes >= self.every_changes:
            self._wake.set()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            self._wake.set()
            thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=0.1)
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            # The writer's own backstop checkpoint (at 128 MB of WAL) still bounds it.
            log.warning("checkpoints run only past 128 MB of WAL: %s: %s", self.path, exc)
            return
        try:
            self._loop(conn)
        finally:
            conn.close()

    def _loop(self, conn: sqlite3.Connection) -> None:
        quiet_since: float | None = None
        truncated = True
        while not self._stopping:
            self._wake.wait(self.every_seconds)
            self._wake.clear()
            commits, self._commits, self._changes = self._commits, 0, 0
            now = time.monotonic()
            if commits:
                quiet_since, truncated = None, False
                mode = "RESTART" if self._wal_size() > self.limit_bytes else "PASSIVE"
            elif not truncated:
                quiet_since = quiet_since or now
                if now - quiet_since < self.idle_seconds:
                    continue
                mode = "TRUNCATE"
            else:
                continue
            done = self._checkpoint(conn, mode)
            if mode == "TRUNCATE":
                truncated = done

    def _checkpoint(self, conn: sqlite3.Connection, mode: str) -> bool:
        """True if every frame of the WAL is in the database file now."""
        try:
            busy, frames, copied = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:
            if not self._failing:  # once per run of failures (a full disk fails them all)
                log.warning("checkpoint of %s failed: %s; retrying", self.path.name, exc)
            self._failing = True
            return False
        self._failing = False
        self.checkpoints += 1
        complete = not busy and frames == copied
        if mode == "TRUNCATE" and complete:
            self.truncations += 1
        return bool(complete)

    def _wal_size(self) -> int:
        try:
            return self.wal.stat().st_size
        except OSError:
            return 0

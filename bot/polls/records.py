"""Poll records as last read from the store, so a click costs no database read.

The store stays the truth: the writer re-checks a poll's state inside each vote's
transaction, so a record that is behind (a poll closed by another process or by the CLI)
only shapes the reply, and the service refreshes it when the store disagrees. Every
change this process makes forgets what it changed; each scheduling pass reloads all."""

from __future__ import annotations

from bot.storage.base import PollRecord


class PollRecords:
    def __init__(self) -> None:
        self._records: dict[str, PollRecord] = {}
        # Bumped by every forget: a read that started before it must not be kept, or a
        # click in flight during a close could put back the record from before the close.
        self._generation = 0

    @property
    def generation(self) -> int:
        """Take it before reading from the store; hand it to keep()/keep_all()."""
        return self._generation

    def get(self, poll_id: str) -> PollRecord | None:
        return self._records.get(poll_id)

    def keep(self, record: PollRecord, generation: int) -> None:
        if generation == self._generation:
            self._records[record.poll_id] = record

    def keep_all(self, records: list[PollRecord], generation: int) -> None:
        """Every record as one read of the store saw it (a scheduling pass)."""
        if generation == self._generation:
            self._records = {record.poll_id: record for record in records}

    def forget(self, poll_id: str | None = None) -> None:
        """One poll (None: every poll) changed: the next click reads it again."""
        self._generation += 1
        if poll_id is None:
            self._records.clear()
        else:
            self._records.pop(poll_id, None)

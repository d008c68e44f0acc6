"""A storage fault is one traceback and a count per interval, not one per vote; a name
no database can store does not cost its owner the vote."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot import messages
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.core.events import ActionInvoked
from bot.core.refs import UserRef
from bot.storage import sqlite_path
from tests.conftest import WriteConfig
from tests.fakes import Replies, click
from tests.harness import running_app, until

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AERO = encode_vote("helmets", "aero")

# A real SQLite failure inside the store's own write transaction, the way a full disk
# fails it: every ballot write is refused from now on.
REFUSE_BALLOTS = """
CREATE TRIGGER refuse_ballots BEFORE INSERT ON ballots
BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
"""


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info is not None]


async def test_a_storage_fault_logs_one_traceback_then_a_count_per_minute(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    config_path = write_config()
    async with running_app(config_path, clock) as (app, _platform):
        database = sqlite_path(app.config.database_url)
        with sqlite3.connect(database) as other:
            other.execute(REFUSE_BALLOTS)
        caplog.clear()
        caplog.set_level(logging.ERROR, logger="bot")
        replies = Replies()
        for n in range(40):
            await app.handle(click(f"user{n}", AERO, clock.now(), replies))
        # Every customer still gets the polite reply...
        assert replies.texts == [messages.VOTE_NOT_RECORDED.format()] * 40
        # ...and the log has the first failure with its traceback, nothing per vote.
        assert len(_tracebacks(caplog)) == 1
        assert len(caplog.records) == 1
        assert caplog.records[0].getMessage() == "could not handle ActionInvoked"

        await clock.advance(timedelta(seconds=61))
        await until(lambda: len(caplog.records) == 2)
        assert caplog.records[1].getMessage() == (
            "… 39 more votes refused in the last 61 s: "
            "database write failed: database or disk is full"
        )

        # Still failing: counted again, no new traceback; the count comes at shutdown.
        for n in range(5):
            await app.handle(click(f"late{n}", AERO, clock.now(), replies))
        assert len(_tracebacks(caplog)) == 1
    lines = [r.getMessage() for r in caplog.records]
    assert lines[-1].startswith("… 5 more votes refused in the last ")
    assert len(_tracebacks(caplog)) == 1


async def test_a_fault_that_ended_gets_its_traceback_again_next_time(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, _platform):
        database = sqlite_path(app.config.database_url)
        with sqlite3.connect(database) as other:
            other.execute(REFUSE_BALLOTS)
        caplog.clear()
        caplog.set_level(logging.ERROR, logger="bot")
        await app.handle(click("ann", AERO, clock.now(), Replies()))
        await clock.advance(timedelta(seconds=61))  # a quiet minute: the fault is over
        await until(lambda: not app.faults.active)
        await app.handle(click("bob", AERO, clock.now(), Replies()))
        assert len(_tracebacks(caplog)) == 2
        assert not any(r.getMessage().startswith("…") for r in caplog.records)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Al\ud800ice", "Al\ufffdice"),  # a lone surrogate: UTF-8 cannot encode it
        ("\ud83d\ude00 Bob", "😀 Bob"),  # a pair split into two code points
        ("Eve\x00\n\tthe\x1b[31m great  ", "Eve the [31m great"),
        ("x" * 500, "x" * 79 + "…"),
    ],
)
async def test_a_vote_from_a_name_no_database_can_store_counts_with_a_clean_name(
    write_config: WriteConfig, name: str, stored: str
) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, _platform):
        replies = Replies()
        event = click("u1", AERO, clock.now(), replies)
        voter = UserRef("console", "u1", name)
        await app.handle(
            ActionInvoked(voter, event.action_id, event.delivery_id, event.occurred_at, replies)
        )
        assert replies.last.startswith("✅ Your vote for AeroLite MIPS is counted")
        ballot = await app.store.get_ballot("helmets", UserRef("console", "u1"))
        assert ballot is not None and ballot.voter.name == stored
        assert (await app.store.tally("helmets")).counts == {"aero": 1}

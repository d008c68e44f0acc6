"""Customers' ids and names stay private on disk: the database and its journal, charts
and exports are 0600 and the folders the bot makes 0700, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import SqliteStore, open_store
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig

VOTES = "1\n/as bob\n2\n/as merchant\n/close helmets\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default: without care, files come out 0644 and folders 0755."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_real_run_leaves_the_database_and_charts_private(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config()
    done = engagebot("run", "-c", str(config), stdin=VOTES)
    assert done.returncode == 0, done.stderr
    data = tmp_path / "data"
    assert mode(data) == 0o700
    assert mode(data / "engagebot.db") == 0o600
    charts = data / "charts"
    assert mode(charts) == 0o700
    assert [(p.name, mode(p)) for p in charts.iterdir()] == [("helmets.png", 0o600)]


def test_exports_and_charts_from_the_command_line_are_private(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config()
    assert engagebot("run", "-c", str(config), stdin=VOTES).returncode == 0
    raw = tmp_path / "out" / "raw.csv"
    raw.parent.mkdir()
    done = engagebot("export", "helmets", "--raw-ids", "-o", str(raw), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert "merchant" in raw.read_text() and mode(raw) == 0o600

    # Written over a file that was readable by everyone: it holds user ids now.
    earlier = tmp_path / "out" / "votes.json"
    earlier.write_text("[]")
    earlier.chmod(0o644)
    done = engagebot("export", "helmets", "--format", "json", "-o", str(earlier), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert '"option": "aero"' in earlier.read_text() and mode(earlier) == 0o600

    chart = tmp_path / "charts-out" / "helmets.png"  # a folder the command creates
    done = engagebot("results", "helmets", "--chart", str(chart), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert chart.read_bytes().startswith(b"\x89PNG") and mode(chart) == 0o600
    assert mode(chart.parent) == 0o700
    report = tmp_path / "report.png"
    done = engagebot("report", "--chart", str(report), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert mode(report) == 0o600
    assert not list(tmp_path.glob("**/*.part"))


async def test_the_journal_of_an_open_database_is_private(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/db/engagebot.db")  # as the bot opens it
    await store.open()
    try:
        await store.ensure_polls(["p"])
        files = sorted((tmp_path / "db").iterdir())
        assert [f.name for f in files] == ["engagebot.db", "engagebot.db-shm", "engagebot.db-wal"]
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        assert mode(tmp_path / "db") == 0o700
    finally:
        await store.close()


async def test_a_database_others_could_read_is_made_private_with_one_warning(
    write_config: WriteConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database from an older version: 0644, with the journal a crash left behind.
    config = write_config()
    engagebot("run", "-c", str(config), stdin="1\n")
    database = tmp_path / "data" / "engagebot.db"
    journal = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
    for path in journal:
        path.write_bytes(b"")
    for path in [database, *journal]:
        path.chmod(0o644)
    caplog.set_level(logging.WARNING)
    store = SqliteStore(database)
    await store.open()
    try:
        assert [mode(p) for p in [database, *journal]] == [0o600, 0o600, 0o600]
        assert await store.list_polls()  # still the same database
    finally:
        await store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "could read it" in warnings[0] and "engagebot.db 0644" in warnings[0]

"""A winner only when the verdict decides one; `polls` says when scheduled polls open
and close. Real subprocesses on real SQLite files, votes cast through the console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import engagebot
from tests.conftest import SHOP_HEADER, WriteConfig

POLL = (
    SHOP_HEADER
    + """\
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    duration: 7d
    decision: {min_votes: 3, min_margin: 0.1}
    options:
      - {id: aero, label: AeroLite MIPS}
      - {id: urban, label: Urban Shell}
      - {id: trail, label: Trail Pro}
"""
)


def vote_and_close(path: Path, first: int, second: int) -> str:
    """first customers vote option 1, second customers option 2; then staff close."""
    lines = [f"/as a{i}\n1" for i in range(first)] + [f"/as b{i}\n2" for i in range(second)]
    script = "\n".join([*lines, "/as merchant", "/close helmets"]) + "\n"
    done = engagebot("run", "-c", str(path), stdin=script)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [(4, 2, "leaning"), (2, 0, "not_enough_votes")],
)
def test_a_leader_without_a_decided_verdict_is_no_winner(
    write_config: WriteConfig, first: int, second: int, verdict: str
) -> None:
    path = write_config(POLL)
    posted = vote_and_close(path, first, second)
    assert "AeroLite MIPS leads with" in posted
    assert "🏆" not in posted  # neither the headline nor a row of the results post

    data = json.loads(engagebot("results", "helmets", "-c", str(path), "--format", "json").stdout)
    assert (data["verdict"], data["winner"], data["leader"]) == (verdict, None, "aero")
    table = engagebot("results", "helmets", "-c", str(path))
    assert table.returncode == 0 and "🏆" not in table.stdout
    listed = json.loads(engagebot("polls", "-c", str(path), "--format", "json").stdout)
    assert (listed[0]["winner"], listed[0]["leader"]) == (None, "aero")


def test_a_clear_winner_is_the_winner_everywhere(write_config: WriteConfig) -> None:
    path = write_config(POLL)
    posted = vote_and_close(path, 7, 1)
    assert "🏆 AeroLite MIPS wins with 88% of the votes." in posted
    data = json.loads(engagebot("results", "helmets", "-c", str(path), "--format", "json").stdout)
    assert (data["verdict"], data["winner"]) == ("clear_winner", "aero")
    table = engagebot("results", "helmets", "-c", str(path))
    assert "AeroLite MIPS 🏆" in table.stdout


SCHEDULED = (
    SHOP_HEADER
    + """\
polls:
  - id: later
    question: Which one later?
    channels: [community]
    opens: 2030-03-01 09:00
    duration: 7d
    options: [{id: a, label: A}, {id: b, label: B}]
  - id: fixed
    question: Fixed close?
    channels: [community]
    opens: 2030-03-01 09:00
    closes: 2030-03-02 18:30
    options: [{id: a, label: A}, {id: b, label: B}]
  - id: at-start
    question: At start?
    channels: [community]
    duration: 36h
    options: [{id: a, label: A}, {id: b, label: B}]
"""
)


def test_polls_shows_when_scheduled_polls_open_and_close(write_config: WriteConfig) -> None:
    path = write_config(SCHEDULED)
    done = engagebot("polls", "-c", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    times = {
        p["id"]: (p["state"], p["opens_at"], p["closes_at"], p["duration_seconds"])
        for p in json.loads(done.stdout)
    }
    assert times == {
        "later": ("scheduled", "2030-03-01T08:00:00+00:00", "2030-03-08T08:00:00+00:00", None),
        "fixed": ("scheduled", "2030-03-01T08:00:00+00:00", "2030-03-02T17:30:00+00:00", None),
        "at-start": ("scheduled", None, None, 36 * 3600),
    }
    table = engagebot("polls", "-c", str(path), env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if "│" in line}
    # 2030 is not this year: the year is shown.
    assert "Fri, 1 Mar 2030 09:00 CET" in rows["later"]
    assert "Fri, 8 Mar 2030 09:00 CET" in rows["later"]
    assert "Sat, 2 Mar 2030 18:30 CET" in rows["fixed"]
    assert "when the bot starts" in rows["at-start"]
    assert "36 hours after opening" in rows["at-start"]

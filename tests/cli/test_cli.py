"""The merchant's command line, run as real subprocesses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import engagebot
from tests.conftest import REPO, WriteConfig


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the shipped example, so the demo's database lands in tmp_path."""
    shutil.copytree(REPO / "config", tmp_path / "config", ignore=shutil.ignore_patterns("data"))
    return tmp_path / "config" / "example.yaml"


def test_console_demo_end_to_end(example: Path) -> None:
    script = (
        "\n".join(
            [
                "1",  # merchant votes for option 1
                "/as alice",
                "2",
                "/as bob",
                "2",
                "/as alice",
                "3",  # alice changes her mind
                "/as bob",
                "/close spring-helmets",  # not staff: refused
                "/as merchant",
                "/results spring-helmets",
                "hello everyone",
                "/close spring-helmets",
                "1",  # too late
            ]
        )
        + "\n"
    )
    done = engagebot("run", "--config", str(example), stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "📊 Which helmet should we stock this spring?" in out
    assert "  1) AeroLite MIPS [aero] — €89.00" in out
    assert "     image: " in out and "aerolite.png" in out
    assert "→ (only merchant sees this) ✅ Your vote for AeroLite MIPS is counted" in out
    assert "→ (only alice sees this) ✅ Vote changed in" in out
    assert "→ (only bob sees this) Sorry, only the shop's staff can close polls." in out
    assert "tally: AeroLite MIPS 1 (33%) · Urban Shell 1 (33%) · Trail Pro 1 (33%) — 3 votes" in out
    assert "🏁 Results: Which helmet should we stock this spring?" in out
    assert "Sorry, voting on “Which helmet should we stock this spring?” has closed" in out
    assert "Traceback" not in done.stderr

    results = engagebot("results", "spring-helmets", "--config", str(example), "--format", "json")
    assert results.returncode == 0, results.stderr
    data = json.loads(results.stdout)
    assert data["id"] == "spring-helmets" and data["state"] == "closed"
    assert data["total_votes"] == 3 and data["voters"] == 3
    assert [(o["id"], o["label"], o["votes"]) for o in data["options"]] == [
        ("aero", "AeroLite MIPS", 1),
        ("urban", "Urban Shell", 1),
        ("trail", "Trail Pro", 1),
    ]

    csv_out = engagebot("results", "spring-helmets", "-c", str(example), "--format", "csv")
    assert csv_out.stdout.splitlines()[:2] == [
        "option_id,label,votes,share",
        "aero,AeroLite MIPS,1,0.3333",
    ]

    polls = engagebot("polls", "-c", str(example), "--format", "json")
    assert [(p["id"], p["state"], p["total_votes"]) for p in json.loads(polls.stdout)] == [
        ("spring-helmets", "closed", 3)
    ]


def test_second_run_continues_where_the_first_stopped(example: Path) -> None:
    first = engagebot("run", "-c", str(example), stdin="2\n")
    assert first.returncode == 0, first.stderr
    second = engagebot("run", "-c", str(example), stdin="/as zoe\n2\n")
    assert "📊 Which helmet" in second.stdout  # the console shows open polls again
    assert "Urban Shell 2 (100%)" in second.stdout
    data = json.loads(
        engagebot("results", "spring-helmets", "-c", str(example), "--format", "json").stdout
    )
    assert data["state"] == "open" and data["total_votes"] == 2


def test_cli_open_and_close(write_config: WriteConfig) -> None:
    path = write_config(timing="opens: 2099-01-01 10:00\n    duration: 1d")
    listed = json.loads(engagebot("polls", "-c", str(path), "--format", "json").stdout)
    assert listed[0]["state"] == "scheduled"
    opened = engagebot("open", "helmets", "-c", str(path))
    assert opened.returncode == 0 and "Poll helmets opened." in opened.stdout
    assert "already opened" in engagebot("open", "helmets", "-c", str(path)).stdout
    closed = engagebot("close", "helmets", "-c", str(path))
    assert "Poll helmets closed." in closed.stdout
    again = engagebot("close", "helmets", "-c", str(path))
    assert again.returncode == 0 and "was already closed; nothing changed" in again.stdout
    reopen = engagebot("open", "helmets", "-c", str(path))
    assert reopen.returncode == 1
    assert reopen.stderr.startswith("error: Poll helmets is closed and its results were announced")


def test_unknown_poll_is_a_one_line_error(write_config: WriteConfig) -> None:
    done = engagebot("results", "nope", "-c", str(write_config()))
    assert done.returncode == 1
    assert done.stderr == "error: There is no poll with id 'nope'. Known polls: helmets.\n"


def test_validate_reports_problems_with_positions(write_config: WriteConfig) -> None:
    ok = engagebot("validate", str(REPO / "config" / "example.yaml"))
    assert ok.returncode == 0 and "OK — 1 poll(s), 1 prompt set(s), platforms: console" in ok.stdout
    broken = write_config("store:\n  name: Shop\n  timezone: Europe/Pari\n")
    done = engagebot("validate", str(broken))
    assert done.returncode == 2
    assert f"{broken}:3:13: " in done.stderr
    assert "Europe/Paris" in done.stderr
    assert "Traceback" not in done.stderr
    assert engagebot("run", "-c", str(broken)).returncode == 2


def test_full_example_without_secrets_skips_those_platforms(tmp_path: Path) -> None:
    # A platform whose secrets are unset is skipped with one line (tests/config has more).
    unset = {"DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}
    done = engagebot("validate", str(REPO / "config" / "example-full.yaml"), env=unset)
    assert done.returncode == 0
    assert "discord: skipped, DISCORD_TOKEN is not set" in done.stdout
    assert "slack: skipped, SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set" in done.stdout


def test_schema_is_json_schema() -> None:
    done = engagebot("schema")
    schema = json.loads(done.stdout)
    assert "polls" in schema["properties"] and "store" in schema["required"]


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).parent / "engagebot"
    assert script.exists(), "the engagebot console script is installed"
    via_script = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert (
        via_script.stdout.strip()
        == engagebot("--version").stdout.strip()
        == "engagebot, version 0.1.0"
    )


def test_odd_console_input_never_ends_the_session(example: Path) -> None:
    script = "²\n/\n①\n/as\n/vote spring-helmets\n99\n/unknown\n1\n"
    done = engagebot("run", "-c", str(example), stdin=script)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert done.stdout.count("Type a number from 1 to 3 ") == 3  # ², ① and 99
    assert "Usage: /vote POLL OPTION [OPTION...]" in done.stdout
    assert "Unknown command /unknown." in done.stdout
    assert "✅ Your vote for AeroLite MIPS is counted" in done.stdout  # the last line still ran


def test_run_exits_cleanly_when_a_platform_refuses_at_start(write_config: WriteConfig) -> None:
    path = write_config(
        """\
        store: {name: Shop, timezone: Europe/Paris}
        platforms:
          discord:
            token: ${DISCORD_TOKEN}
            guilds: ["123456789012345678"]
            api_base_url: http://127.0.0.1:9/api/v10
            gateway_url: ws://127.0.0.1:9
        channels:
          community: {discord: "234567890123456789"}
        """
    )
    secret = "MTIzNDU2.c2VjcmV0.secret-token-value"
    done = engagebot("run", "-c", str(path), env={"DISCORD_TOKEN": secret})  # hangs = timeout
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("error: could not log in to Discord")
    assert secret not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_closing_a_poll_that_never_opened_cancels_it_quietly(write_config: WriteConfig) -> None:
    path = write_config(timing="opens: 2099-01-01 10:00\n    duration: 1d")
    done = engagebot("close", "helmets", "-c", str(path))
    assert done.stdout == "Poll helmets had not opened yet: cancelled, nothing will be posted.\n"
    run = engagebot("run", "-c", str(path), stdin="/polls\n")
    assert "📊" not in run.stdout and "🏁" not in run.stdout  # no poll, no empty results post
    assert "[closed" in run.stdout


def test_dates_off_the_calendar_are_a_one_line_error(example: Path) -> None:
    done = engagebot("schedule", "-c", str(example), "--from", "9999-12-30")
    assert done.returncode == 2
    assert done.stderr == (
        "error: a date is too far in the past or future; use a year from 1970 to 9000\n"
    )


def test_a_poll_removed_from_the_config_keeps_its_history(example: Path) -> None:
    assert engagebot("run", "-c", str(example), stdin="1\n/as ann\n2\n").returncode == 0
    text = example.read_text(encoding="utf-8")
    example.write_text(text[: text.index("polls:")] + text[text.index("prompts:") :])
    listed = json.loads(engagebot("polls", "-c", str(example), "--format", "json").stdout)
    assert [(p["id"], p["question"], p["total_votes"]) for p in listed] == [
        ("spring-helmets", "(removed from the config) spring-helmets", 2)
    ]
    results = json.loads(
        engagebot("results", "spring-helmets", "-c", str(example), "--format", "json").stdout
    )
    assert [(o["id"], o["votes"]) for o in results["options"]] == [("aero", 1), ("urban", 1)]
    exported = engagebot("export", "spring-helmets", "-c", str(example), "--format", "csv")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 3
    run = engagebot("run", "-c", str(example), stdin="/polls\n")
    assert "📊" not in run.stdout  # nothing is posted for it any more

"""validate reports every problem in one pass: rules between keys of a poll or prompt
are checked even when another key of the same poll or prompt is wrong."""

from __future__ import annotations

from pathlib import Path

from tests.cli_runner import engagebot
from tests.config.tokens import DISCORD_TOKEN

CONFIG = """\
store: {name: Velo Corner}
platforms:
  discord:
    token: ${DISCORD_TOKEN}
channels:
  community: {discord: "234567890123456789"}
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    colour: red
    opens: 2026-03-08 09:00
    closes: 2026-03-01 18:00
    duration: 7d
    max_choices: 3
    decision: {confidence: 0.8, leaning_confidence: 0.9}
    options:
      - {id: aero, label: AeroLite, price: cheap}
      - {id: urban, label: Urban Shell}
  - id: big
    question: Which of ten?
    channels: [community]
    results: sometimes
    options:
OPTIONS
prompts:
  - id: daily
    channels: [community]
    cron: "0 10 * * *"
    at: "10:00"
    order: random
    start: 2026-03-08 00:00
    end: 2026-03-01 00:00
    questions: [{text: Hi}]
  - id: never
    channels: [community]
    thread: maybe
    questions: [{text: Hi}]
"""


def test_every_problem_of_a_poll_is_reported_in_one_pass(tmp_path: Path) -> None:
    options = "\n".join(f"      - {{id: o{n}, label: Option {n}}}" for n in range(10))
    path = tmp_path / "bot.yaml"
    path.write_text(CONFIG.replace("OPTIONS", options), encoding="utf-8")
    done = engagebot("validate", str(path), env={"DISCORD_TOKEN": DISCORD_TOKEN})
    assert done.returncode == 2
    shown = [line.removeprefix(f"{path}:") for line in done.stderr.splitlines()]
    assert shown == [
        "11:5: unknown key 'colour' in poll (allowed keys: id, question, description, channels, "
        "opens, closes, duration, max_choices, allow_change, results, shuffle, decision, "
        "runoff, runoff_duration, options)",
        "13:13: closes is not after opens (set closes to a later date and time than opens)",
        "14:5: give either closes or duration, not both (remove one of them)",
        "15:18: max_choices is 3 but the poll has only 2 options "
        "(lower max_choices to at most 2, or add options)",
        "16:53: leaning_confidence is 0.9 but confidence is only 0.8 "
        "(write a leaning_confidence at most the confidence, e.g. leaning_confidence: 0.75)",
        "18:44: 'price' should be a number, not 'cheap' (write a number)",
        "23:14: 'sometimes' is not allowed for 'results' (allowed: live, on_close)",
        "24:5: poll has 10 options; Discord messages allow at most 9 "
        "(remove options, split the poll, or disable the discord platform for its channels)",
        "38:5: give either cron or at/days, not both (remove cron, or remove at and days)",
        "40:12: 'random' is not allowed for 'order' (allowed: sequence, shuffle)",
        "42:10: end is not after start (set end to a later date and time than start)",
        '44:5: this prompt has no schedule (add at: "10:00" (optionally days: [mon, wed, fri]) '
        'or cron: "0 10 * * 1-5")',
        "46:13: 'thread' should be true or false, not 'maybe' (write true or false)",
        "13 problems found.",
    ]

"""`engagebot run` as a service: stdin closed (Docker, systemd) ends the console only,
the chat platforms keep being served, and SIGTERM stops it cleanly."""

from __future__ import annotations

import io
import json
import logging
import re
import signal
import textwrap
from pathlib import Path
from urllib.parse import parse_qsl

from bot.logs import NOISY_LOGGERS, Redactor, setup_logging
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.harness import CHANNEL, SECRETS, command_body, fake_slack
from tests.cli.bot_process import bot_process
from tests.cli_runner import engagebot

CONSOLE_AND_DISCORD = """\
store:
  name: Velo Corner
  timezone: Europe/Paris
database: sqlite:///data/engagebot.db
platforms:
{console}  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["{guild}"]
    api_base_url: {api}
    gateway_url: {gateway}
channels:
  community:
    console: general
    discord: "{channel}"
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    duration: 7d
    options:
      - id: aero
        label: AeroLite MIPS
      - id: urban
        label: Urban Shell
"""


CONSOLE = "  console:\n    staff: [merchant]\n"


def console_and_discord(folder: Path, fake: FakeDiscord, *, console: bool = True) -> Path:
    """The shop on Discord (the local fake), with the console too unless console=False."""
    path = folder / "bot.yaml"
    text = CONSOLE_AND_DISCORD.format(
        console=CONSOLE if console else "",
        guild=fake.guild.id,
        api=fake.api_url,
        gateway=fake.gateway_url,
        channel=fake.channel_id,
    )
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


async def test_closed_stdin_ends_the_console_only(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake)
        env = {"DISCORD_TOKEN": fake.token}
        async with bot_process("run", "-c", str(path), env=env) as bot:
            line = await bot.wait_for_log("console input ended")
            assert line.endswith(
                "console input ended; still serving discord — stop with Ctrl-C or SIGTERM"
            )
            # Still serving Discord after the console's end: a click is answered.
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 1)
            poll = fake.bot_messages(fake.channel_id)[0]
            click = await fake.click(poll, "v1:vote:helmets:aero", fake.customer(1))
            await click.answered(timeout=20)
            assert click.ephemeral and click.reply.startswith("✅")
            assert bot.process.returncode is None
            assert await bot.stop(signal.SIGTERM) == 0
        assert any(line.endswith("stopped") for line in bot.log), bot.log
        assert not any("Traceback" in line for line in bot.log + bot.out)
        assert fake.token not in "\n".join(bot.log + bot.out)
        assert fake.unknown == []


SLACK_SOCKET = """\
  slack:
    mode: socket
    bot_token: ${{SLACK_BOT_TOKEN}}
    app_token: ${{SLACK_APP_TOKEN}}
    signing_secret: ${{SLACK_SIGNING_SECRET}}
    api_base_url: {base_url}
    staff_users: [UMERCHANT]
"""


async def test_closed_stdin_keeps_discord_and_slack_served(tmp_path: Path) -> None:
    async with FakeDiscord() as discord, fake_slack() as slack:
        path = console_and_discord(tmp_path, discord)
        text = path.read_text(encoding="utf-8")
        text = text.replace(
            "channels:\n", SLACK_SOCKET.format(base_url=slack.base_url) + "channels:\n", 1
        )
        text = text.replace('    discord: "', f'    slack: {CHANNEL}\n    discord: "', 1)
        path.write_text(text, encoding="utf-8")
        env = {"DISCORD_TOKEN": discord.token, **SECRETS}
        async with bot_process("run", "-c", str(path), env=env) as bot:
            line = await bot.wait_for_log("console input ended")
            assert line.endswith(
                "console input ended; still serving discord, slack — stop with Ctrl-C or SIGTERM"
            )
            connected = await bot.wait_for_log("slack connected")
            assert connected.endswith(
                "slack connected as engagebot in team Test Shop (socket mode)"
            )
            # Slack still answers after the console's end: a slash command over the socket.
            command = dict(parse_qsl(command_body(slack, "UMERCHANT", "list")))
            envelope = {
                "envelope_id": "env-cmd",
                "type": "slash_commands",
                "payload": command,
                "accepts_response_payload": True,
            }
            await slack.send_envelope(envelope)
            await slack.wait_for(lambda: "env-cmd" in slack.socket_acks, timeout=20)
            assert "Which helmet" in slack.socket_acks["env-cmd"]["payload"]["text"]
            assert await bot.stop(signal.SIGTERM) == 0
    logged = "\n".join(bot.log + bot.out)
    for secret in (discord.token, *SECRETS.values()):
        assert secret not in logged


def test_console_only_run_still_ends_with_its_input(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            store: {name: Shop, timezone: Europe/Paris}
            platforms:
              console: {staff: [merchant]}
            channels:
              community: {console: general}
            """
        ),
        encoding="utf-8",
    )
    done = engagebot("run", "-c", str(path), stdin="/polls\n")  # a hang is a timeout
    assert done.returncode == 0, done.stderr
    assert "still serving" not in done.stderr


async def test_quit_in_the_console_stops_every_platform(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake)
        env = {"DISCORD_TOKEN": fake.token}
        async with bot_process("run", "-c", str(path), env=env, stdin_closed=False) as bot:
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 1, 30)
            stdin = bot.process.stdin
            assert stdin is not None
            stdin.write(b"/quit\n")
            await stdin.drain()
            await bot.wait_for_log("stopping: /quit typed in the console")
            assert await bot.exited() == 0
        assert not any("still serving" in line for line in bot.log)


PROMPT_SET = """\
prompts:
  - id: breakfast
    channels: [community]
    at: "08:30"
    questions:
      - text: What did you have for breakfast?
"""


async def test_json_logs_start_with_a_summary(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake)
        path.write_text(path.read_text(encoding="utf-8") + PROMPT_SET, encoding="utf-8")
        env = {"DISCORD_TOKEN": fake.token}
        args = ("--log-format", "json", "run", "-c", str(path))
        async with bot_process(*args, env=env) as bot:
            await bot.wait_for_log("console input ended")
            assert await bot.stop(signal.SIGTERM) == 0
    entries = [json.loads(line) for line in bot.log]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    messages = [entry["message"] for entry in entries]
    database = (tmp_path / "data" / "engagebot.db").as_posix()
    assert messages[0] == f"engagebot 0.1.0 starting: config {path}; database sqlite:///{database}"
    assert entries[0]["config"] == [str(path)]
    connected = next(e for e in entries if e["message"].startswith("discord connected"))
    assert connected["message"] == "discord connected as engagebot (1 server)"
    assert connected["user"] == "engagebot" and connected["logger"] == "bot.app"
    opened = next(e for e in entries if e["message"].startswith("poll helmets opened"))
    assert opened["poll"] == "helmets" and opened["level"] == "INFO"
    assert re.search(
        r"polls: helmets open until \w{3} \d+ \w{3} \d\d:\d\d CET", "\n".join(messages)
    )
    assert re.search(
        r"next prompt: breakfast \w{3} \d+ \w{3} 08:30 CET in #community", "\n".join(messages)
    )
    assert messages[-1] == "stopped"
    # Libraries speak only when something is wrong; nothing secret in any line.
    assert not [e for e in entries if e["logger"].startswith(("discord", "aiohttp"))]
    assert fake.token not in "\n".join(bot.log)


def test_quiet_run_logs_only_problems(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        "store: {name: Shop, timezone: Europe/Paris}\nplatforms:\n  console: {}\n",
        encoding="utf-8",
    )
    loud = engagebot("run", "-c", str(path), stdin="/polls\n")
    assert "INFO bot.runner: engagebot 0.1.0 starting: config" in loud.stderr
    assert "INFO bot.summary: polls: none open or scheduled" in loud.stderr
    assert "INFO bot.summary: next prompt: none scheduled" in loud.stderr
    quiet = engagebot("-q", "run", "-c", str(path), stdin="/polls\n")
    assert quiet.returncode == 0 and quiet.stderr == ""
    debug = engagebot("-v", "run", "-c", str(path), stdin="/polls\n")
    assert "DEBUG bot.runner: serving until stopped or until console input ends" in debug.stderr
    # Other commands answer on stdout and log nothing unless asked.
    listed = engagebot("polls", "-c", str(path))
    assert listed.returncode == 0 and listed.stderr == ""


def test_log_lines_never_carry_secrets() -> None:
    redact = Redactor()
    redact.add_secrets(["s3cr3t-signing-value"])
    lines = {
        # discord.py's own 429 line names the interaction's webhook URL and its token.
        "We are being rate limited. PATCH https://discord.com/api/v10/webhooks/1234/"
        "aW50ZXJhY3Rpb246MTIzNDp0b2tlbg/messages/@original responded with 429.": (
            "We are being rate limited. PATCH https://discord.com/api/v10/webhooks/1234/***"
            "/messages/@original responded with 429."
        ),
        "POST /api/v10/interactions/99/tok.en-value/callback": (
            "POST /api/v10/interactions/99/***/callback"
        ),
        "database postgresql://shop:hunter2@db:5432/engagebot": (
            "database postgresql://shop:***@db:5432/engagebot"
        ),
        "token xoxb-1234-5678-abcdef and xapp-1-A0-99-ff": "token xox*-*** and xox*-***",
        "posting to https://hooks.slack.com/services/T0/B0/XyZ failed": (
            "posting to https://hooks.slack.com/*** failed"
        ),
        "bad token MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123": (
            "bad token ***"
        ),
        "signature checked with s3cr3t-signing-value": "signature checked with ***",
        "poll helmets opened (schedule), closes Mon 7 Dec 19:54 CET": (
            "poll helmets opened (schedule), closes Mon 7 Dec 19:54 CET"
        ),
    }
    assert {line: redact(line) for line in lines} == lines


def test_library_lines_pass_only_as_warnings_and_redacted() -> None:
    """discord.py reports a 429 as a WARNING naming the interaction's webhook URL: it is
    logged (a rate limit hit is worth a line), without the token; its INFO chatter is not."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    out = io.StringIO()
    try:
        setup_logging(logging.INFO, "json", stream=out)
        logging.getLogger("discord.gateway").info("Shard ID None has connected to Gateway")
        logging.getLogger("discord.http").warning(
            "We are being rate limited. %s %s responded with 429. Retrying in %.2f seconds.",
            "PATCH",
            "https://discord.com/api/v10/webhooks/1234/aW50ZXJhY3Rpb24.dG9rZW4/messages/@original",
            1.5,
        )
        logging.getLogger("bot.polls.service").info("poll x opened", extra={"poll": "x"})
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(saved[0])
        for handler in saved[1]:
            root.addHandler(handler)
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
        logging.captureWarnings(False)
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["logger"], e["level"], e["message"]) for e in entries] == [
        (
            "discord.http",
            "WARNING",
            "We are being rate limited. PATCH https://discord.com/api/v10/webhooks/1234/***"
            "/messages/@original responded with 429. Retrying in 1.50 seconds.",
        ),
        ("bot.polls.service", "INFO", "poll x opened"),
    ]
    assert entries[1]["poll"] == "x"

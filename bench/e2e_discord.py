"""Click-to-reply through the real discord.py client: engagebot against a bare bot.

    python bench/e2e_discord.py [--quick] [--seconds S] [--clickers N] [--rate R] [--rounds K]

Two bots, each a real subprocess with its own local fake Discord (gateway + REST from
tests/adapters/discord/, served by this process):
- engagebot: `python -m bot run --config bot.yaml` — the App with the Discord adapter on
  SQLite, a live-tally poll with three options, exactly as a shop would run it;
- bare: a discord.py Client that answers every INTERACTION_CREATE with an ephemeral
  message (the same interaction response type, 4 + flags 64) and stores nothing.

Both receive the same payload: a click on the poll message engagebot posted, from a new
customer each time. Measured per bot, alternating in rounds so load drift hits both:
- closed loop: N clickers, each sends a click and waits for the reply: clicks/s, p50/p99;
- fixed rate: clicks offered at R/s whatever the replies do: p50/p99, late (>3 s) count.
Latency is from the fake sending INTERACTION_CREATE to it receiving the interaction
callback POST. CPU seconds per click of each bot (from /proc) and of this process (the
fakes and the clickers) are printed so a saturated fake shows. At the end engagebot's
stored votes are recounted (`engagebot results --format json`) against the confirmations
the fake received: every confirmed vote must be there. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.adapters.discord.discord_harness import write_config
from tests.adapters.discord.discord_payloads import FakeUser, Json, snowflake
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_discord_rest import APP_ID, FakeInteraction
from tests.cli.bot_process import BotProcess, bot_process

REPO = Path(__file__).resolve().parents[1]
OPTIONS = ("aero", "urban", "trail")
TICKS = os.sysconf("SC_CLK_TCK")
CONFIRMED = "✅"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


@dataclass
class Phase:
    bot: str
    mode: str
    seconds: float
    latencies: list[float]
    late: int  # not answered within Discord's 3 s window
    bot_cpu: float
    fake_cpu: float
    edits: int
    offered: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def row(self) -> str:
        p50 = percentile(self.latencies, 0.50) * 1000
        p99 = percentile(self.latencies, 0.99) * 1000
        clicks = max(1, len(self.latencies))
        offered = f"{self.offered:>7,.0f}" if self.offered else "      -"
        return (
            f"{self.bot:<10} {self.mode:<7} {offered} {self.rate:>8,.0f} {p50:>7.1f} "
            f"{p99:>7.1f} {self.late:>5} {self.bot_cpu / self.seconds:>5.2f} "
            f"{self.bot_cpu / clicks * 1e6:>6.0f} {self.fake_cpu / self.seconds:>5.2f} "
            f"{self.edits:>5}"
        )


@dataclass
class Target:
    """One bot process and the fake Discord it talks to."""

    name: str
    fake: FakeDiscord
    process: BotProcess
    message: Json  # the poll message the clicks are on
    customers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    confirmed: int = 0

    async def click(self, timeout: float) -> float | None:
        """One click from a new customer; seconds until the callback POST, None if late."""
        fake = self.fake
        user = FakeUser(100_000_000_000_000_000 + next(self.customers), "customer")
        option = random.choice(OPTIONS)
        interaction = FakeInteraction(
            id=snowflake(), token=uuid.uuid4().hex, kind=3, created=time.monotonic()
        )
        fake.interactions[interaction.id] = interaction
        channel_id = int(self.message["channel_id"])
        payload = {
            "id": str(interaction.id),
            "application_id": str(APP_ID),
            "type": 3,
            "token": interaction.token,
            "version": 1,
            "guild_id": str(fake.guild.id),
            "channel_id": str(channel_id),
            "channel": fake.guild.channel(channel_id),
            "member": user.member(),
            "data": {"custom_id": f"v1:vote:helmets:{option}", "component_type": 2},
            "locale": user.locale,
            "guild_locale": "en-US",
            "app_permissions": "2147483647",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(fake.guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "message": self.message,
        }
        await fake.dispatch("INTERACTION_CREATE", payload)
        try:
            await interaction.answered(timeout)
        except TimeoutError:
            return None
        if interaction.acked is None:
            return None
        if interaction.reply.startswith(CONFIRMED):
            self.confirmed += 1
        return interaction.acked - interaction.created

    def forget(self) -> None:
        """Drop what the fake recorded (it keeps every call and frame for tests)."""
        self.fake.interactions.clear()
        self.fake.calls.clear()
        session = self.fake._current
        if session is not None:
            session.log.clear()


async def closed_loop(target: Target, clickers: int, seconds: float) -> Phase:
    latencies: list[float] = []
    late = 0
    stop_at = time.monotonic() + seconds

    async def clicker() -> None:
        nonlocal late
        while time.monotonic() < stop_at:
            took = await target.click(timeout=5.0)
            if took is None:
                late += 1
            else:
                latencies.append(took)

    return await measured(
        target,
        "closed",
        lambda: asyncio.gather(*(clicker() for _ in range(clickers))),
        latencies,
        lambda: late,
    )


async def fixed_rate(target: Target, rate: float, seconds: float) -> Phase:
    latencies: list[float] = []
    late = 0
    offered = 0

    async def one() -> None:
        nonlocal late
        took = await target.click(timeout=5.0)
        if took is None or took > 3.0:
            late += 1
        else:
            latencies.append(took)

    async def offer() -> None:
        nonlocal offered
        start = time.monotonic()
        tasks = []
        total = int(rate * seconds)
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
            offered += 1
        await asyncio.gather(*tasks)

    phase = await measured(target, "fixed", offer, latencies, lambda: late)
    phase.offered = offered / seconds
    return phase


PROFILE: dict[str, str] = {}  # bot name -> py-spy output file (--profile)


async def measured(target, mode, work, latencies, late) -> Phase:  # type: ignore[no-untyped-def]
    pid = target.process.process.pid
    spy = None
    out = PROFILE.pop(target.name, None) if mode == "closed" else None
    if out:  # sample the bot's own stacks while it works (py-spy: pip install py-spy)
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            out,
            "--nonblocking",
            "--rate",
            "200",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)
    edits_before = len(target.fake.edits())
    bot_before, fake_before = cpu_seconds(pid), time.process_time()
    started = time.monotonic()
    await work()
    seconds = time.monotonic() - started
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    phase = Phase(
        target.name,
        mode,
        seconds,
        latencies,
        late(),
        cpu_seconds(pid) - bot_before,
        time.process_time() - fake_before,
        len(target.fake.edits()) - edits_before,
    )
    await asyncio.sleep(0.3)  # stragglers (edits) land before the fake forgets
    target.forget()
    return phase


# -- the two bots -------------------------------------------------------------------------


async def start_engagebot(
    stack: AsyncExitStack, fake: FakeDiscord, folder: Path
) -> tuple[BotProcess, Json]:
    write_config(folder, fake)
    run = bot_process(
        "run", "--config", str(folder / "bot.yaml"), env={"DISCORD_TOKEN": fake.token}
    )
    process = await stack.enter_async_context(run)

    def posted() -> bool:
        return any(
            "v1:vote" in str(fake.messages[mid]["components"])
            for mid in fake.bot_messages(fake.channel_id)
        )

    await fake.wait_until(posted, timeout=60)
    [mid] = [m for m in fake.bot_messages(fake.channel_id) if "v1:vote" in str(fake.messages[m])]
    return process, fake.messages[mid]


async def start_bare(fake: FakeDiscord, message: Json) -> BotProcess:
    env = {"DISCORD_TOKEN": fake.token, "BARE_API": fake.api_url, "BARE_GATEWAY": fake.gateway_url}
    base = {k: v for k, v in os.environ.items()} | env
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--bare-bot",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
        env=base,
    )
    process = BotProcess(proc)
    await fake.wait_until(fake.connected, timeout=60)
    await process_ready(process)
    fake.messages[int(message["id"])] = message
    return process


async def process_ready(process: BotProcess) -> None:
    await process.wait_for_log("bare bot ready", timeout=60)


def run_bare_bot() -> None:
    """The baseline: discord.py alone, acknowledging each interaction privately."""
    import logging

    import discord
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    Route.BASE = os.environ["BARE_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BARE_GATEWAY"])
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True

    class Bare(discord.Client):
        async def on_ready(self) -> None:
            print("bare bot ready", file=sys.stderr, flush=True)

        async def on_interaction(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message("✅ noted", ephemeral=True)

    logging.basicConfig(level=logging.WARNING)
    client = Bare(
        intents=intents,
        max_messages=None,
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
    )
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


async def stored_votes(config: Path) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "results",
        "helmets",
        "--config",
        str(config),
        "--format",
        "json",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    out, _ = await proc.communicate()
    data = json.loads(out)
    return int(data.get("total_votes", data.get("votes", -1)))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with FakeDiscord() as eng_fake, FakeDiscord() as bare_fake, AsyncExitStack() as stack:
            eng_process, message = await start_engagebot(stack, eng_fake, folder / "engagebot")
            bare_process = await start_bare(bare_fake, message)
            engagebot = Target("engagebot", eng_fake, eng_process, message)
            bare = Target("bare", bare_fake, bare_process, message)
            try:
                for target in (engagebot, bare):  # warm up: imports, caches, JIT-less paths
                    await closed_loop(target, args.clickers, 1.0)
                if args.profile:
                    PROFILE.update(
                        {t.name: f"{args.profile}-{t.name}.txt" for t in (engagebot, bare)}
                    )
                phases: list[Phase] = []
                for _ in range(args.rounds):
                    for target in (engagebot, bare):
                        phases.append(await closed_loop(target, args.clickers, args.seconds))
                    for target in (engagebot, bare):
                        phases.append(await fixed_rate(target, args.rate, args.seconds))
                report(phases, args)
            finally:
                await eng_process.stop(signal.SIGTERM)
                await bare_process.stop(signal.SIGTERM)
        votes = await stored_votes(folder / "engagebot" / "bot.yaml")
        print(
            f"recount: {votes} votes stored, {engagebot.confirmed} confirmed to clickers"
            f" -> {'OK' if votes >= engagebot.confirmed else 'LOST VOTES'}"
        )


def report(phases: list[Phase], args: argparse.Namespace) -> None:
    print(
        f"clickers={args.clickers} seconds/phase={args.seconds} rate={args.rate}/s "
        f"rounds={args.rounds}  load: {os.getloadavg()[0]:.2f} (1 min), "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'bot':<10} {'mode':<7} {'offer/s':>7} {'clicks/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'late':>5} {'cpu':>5} {'us/clk':>6} {'fake':>5} {'edits':>5}"
    )
    for phase in phases:
        print(phase.row())

    def pooled(bot: str, mode: str) -> tuple[float, float]:
        mine = [p for p in phases if p.bot == bot and p.mode == mode]
        rate = statistics.mean(p.rate for p in mine)
        p99 = percentile([x for p in mine for x in p.latencies], 0.99) * 1000
        return rate, p99

    eng_rate, eng_p99 = pooled("engagebot", "closed")
    bare_rate, bare_p99 = pooled("bare", "closed")
    _, eng_fixed = pooled("engagebot", "fixed")
    _, bare_fixed = pooled("bare", "fixed")
    eng_cpu, bare_cpu = cpu_per_click(phases, "engagebot"), cpu_per_click(phases, "bare")
    print(
        f"closed loop: engagebot {eng_rate:,.0f} clicks/s (p99 {eng_p99:.1f} ms), bare "
        f"{bare_rate:,.0f} clicks/s (p99 {bare_p99:.1f} ms): ratio {eng_rate / bare_rate:.2f} "
        f"(aim >= 0.80)"
    )
    print(
        f"CPU per click (closed loop): engagebot {eng_cpu:.0f} us, bare {bare_cpu:.0f} us: "
        f"ratio bare/engagebot {bare_cpu / eng_cpu:.2f} (the clicks/s a CPU-bound bot reaches)"
    )
    print(
        f"fixed {args.rate:,.0f}/s: p99 engagebot {eng_fixed:.1f} ms, bare {bare_fixed:.1f} ms "
        f"(aim <= 100 ms)"
    )


def cpu_per_click(phases: list[Phase], bot: str) -> float:
    mine = [p for p in phases if p.bot == bot and p.mode == "closed"]
    return sum(p.bot_cpu for p in mine) / max(1, sum(len(p.latencies) for p in mine)) * 1e6


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round")
    parser.add_argument("--seconds", type=float, default=4.0, help="per phase")
    parser.add_argument("--clickers", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed-rate clicks/s")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the two bots")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="py-spy the first closed loop of each bot to PREFIX-BOT.txt",
    )
    parser.add_argument("--bare-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3.0, 1
    return args


if __name__ == "__main__":
    options = parse()
    if options.bare_bot:
        run_bare_bot()
    else:
        asyncio.run(main(options))

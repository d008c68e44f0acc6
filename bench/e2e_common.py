"""What the end-to-end benches share: a bot under test (`Target`), the closed-loop and
fixed-rate phases, CPU readings, the py-spy profile, and the report against the bare
bot measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tests.cli.bot_process import BotProcess

REPO = Path(__file__).resolve().parents[1]
POLL = "helmets"  # the poll of the test configs (tests/adapters/*/harness)
BARE_READY = "bare bot ready"
TICKS = os.sysconf("SC_CLK_TCK")
CONFIRMED = "✅"
LATE = 3.0  # seconds: Discord's window to answer an interaction; Slack's to ack


class Target(Protocol):
    """One bot process and the fake platform it talks to."""

    name: str
    confirmed: int  # clicks answered with a confirmation

    @property
    def pid(self) -> int: ...

    async def click(self, timeout: float) -> float | None:
        """One click from a new customer: seconds until the reply arrived, None if none."""

    def edits(self) -> int:
        """Edits of the poll message so far."""

    def forget(self) -> None:
        """Drop what the fake recorded (it keeps every call for tests)."""


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
    late: int  # not answered within LATE seconds
    bot_cpu: float
    fake_cpu: float  # this process: the fakes and the clickers
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


PROFILE: dict[str, str] = {}  # bot name -> py-spy output file (--profile)


async def closed_loop(target: Target, clickers: int, seconds: float) -> Phase:
    """`clickers` customers, each clicking again as soon as answered."""
    latencies: list[float] = []
    late = 0
    stop_at = time.monotonic() + seconds

    async def clicker() -> None:
        nonlocal late
        while time.monotonic() < stop_at:
            took = await target.click(timeout=5.0)
            if took is None or took > LATE:
                late += 1
            else:
                latencies.append(took)

    async def work() -> None:
        await asyncio.gather(*(clicker() for _ in range(clickers)))

    return await measured(target, "closed", work, latencies, lambda: late)


async def fixed_rate(target: Target, rate: float, seconds: float) -> Phase:
    """Clicks offered at `rate` per second, whatever the answers do."""
    latencies: list[float] = []
    late = 0
    offered = 0

    async def one() -> None:
        nonlocal late
        took = await target.click(timeout=5.0)
        if took is None or took > LATE:
            late += 1
        else:
            latencies.append(took)

    async def offer() -> None:
        nonlocal offered
        start = time.monotonic()
        tasks = []
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
            offered += 1
        await asyncio.gather(*tasks)

    phase = await measured(target, "fixed", offer, latencies, lambda: late)
    phase.offered = offered / seconds
    return phase


async def measured(
    target: Target,
    mode: str,
    work: Callable[[], Awaitable[None]],
    latencies: list[float],
    late: Callable[[], int],
) -> Phase:
    pid = target.pid
    spy = None
    out = PROFILE.pop(target.name, None) if mode == "closed" else None
    if out:  # sample the bot's own stacks while it works (py-spy: pip install py-spy)
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"),
            *("record", "--pid", str(pid), "--format", "raw", "--output", out),
            *("--nonblocking", "--rate", "200"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)
    edits_before = target.edits()
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
        target.edits() - edits_before,
    )
    await asyncio.sleep(0.3)  # stragglers (edits) land before the fake forgets
    target.forget()
    return phase


async def compare(engagebot: Target, bare: Target, args: argparse.Namespace) -> None:
    """Warm both up, then alternate them in rounds (load drift hits both), and report."""
    for target in (engagebot, bare):
        await closed_loop(target, args.clickers, 1.0)
    if args.profile:
        PROFILE.update({t.name: f"{args.profile}-{t.name}.txt" for t in (engagebot, bare)})
    phases: list[Phase] = []
    for _ in range(args.rounds):
        for target in (engagebot, bare):
            phases.append(await closed_loop(target, args.clickers, args.seconds))
        for target in (engagebot, bare):
            phases.append(await fixed_rate(target, args.rate, args.seconds))
    report(phases, args)


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
        f"(aim <= 100 ms); per round: engagebot {rounds_p99(phases, 'engagebot')}, "
        f"bare {rounds_p99(phases, 'bare')}"
    )


def rounds_p99(phases: list[Phase], bot: str) -> str:
    """Each fixed-rate round's p99: one round starved of CPU by other work shows apart."""
    mine = [p for p in phases if p.bot == bot and p.mode == "fixed"]
    return " ".join(f"{percentile(p.latencies, 0.99) * 1000:.0f}" for p in mine) + " ms"


def cpu_per_click(phases: list[Phase], bot: str) -> float:
    mine = [p for p in phases if p.bot == bot and p.mode == "closed"]
    return sum(p.bot_cpu for p in mine) / max(1, sum(len(p.latencies) for p in mine)) * 1e6


def parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="one short round")
    parser.add_argument("--seconds", type=float, default=4.0, help="per phase")
    parser.add_argument("--clickers", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed-rate clicks/s")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the two bots")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="py-spy the first closed loop of each bot"
    )
    return parser


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3.0, 1
    return args


async def spawn_bare(script: str, env: dict[str, str]) -> BotProcess:
    """`python SCRIPT --bare-bot` (the baseline bot), once it logs that it is ready."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, script, "--bare-bot"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, **env},
    )
    bare = BotProcess(process)
    await bare.wait_for_log(BARE_READY, timeout=60)
    return bare


async def stored_votes(config: Path, env: dict[str, str]) -> int:
    """Votes engagebot stored, read back with `engagebot results --format json`."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "results", POLL, "--config", str(config)),
        *("--format", "json"),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, **env},
    )
    out, _ = await process.communicate()
    return int(json.loads(out)["total_votes"])


def recount(stored: int, confirmed: int) -> None:
    verdict = "OK" if stored >= confirmed else "LOST VOTES"
    print(f"recount: {stored} votes stored, {confirmed} confirmed to clickers -> {verdict}")

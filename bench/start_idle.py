"""Start-to-ready time and idle memory of the console demo.

    python bench/start_idle.py [--runs N] [--idle S] [--config config/example.yaml]

Runs `python -m bot run --config <copy of the config>` as a subprocess, standard input
kept open like a terminal's, its bytecode cached as after any first run, in a temporary
copy of the config's folder (its own database; the dashboard on a free port). Ready is
when the start-up summary is logged, after the poll has been shown (piped input gets no
prompt). After idling S seconds the resident memory is read from /proc/PID/status
(VmRSS, and the peak VmHWM), then `/quit` is typed. Each run is a first start (new
database), then a restart (the database exists). Beside it, in the same run, the floor:
the interpreter starting and exiting (`python -c pass`). Prints figures (median of the
runs), asserts nothing.

    python -X importtime -m bot run --config … 2> imports.txt   # where the time goes
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READY_LOG = "bot.summary:"  # the start-up summary's lines


@dataclass
class Start:
    ready: float  # seconds from spawn to ready
    rss_mb: float
    peak_mb: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def config_copy(source: Path, into: Path) -> Path:
    """The config's folder copied without its data, the dashboard on a free port."""
    folder = into / "config"
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("data"))
    path = folder / source.name
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^(\s+port:)\s*\d+", rf"\1 {free_port()}", text), "utf-8")
    return path


def bot_env(pycache: Path) -> dict[str, str]:
    """The environment a deployed bot has: its modules' bytecode cached (pip and Docker
    builds compile it; any first run writes it). Here in a temporary PYTHONPYCACHEPREFIX,
    so nothing is written into the repo, even where PYTHONDONTWRITEBYTECODE is set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEBOT_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env | {"PYTHONPYCACHEPREFIX": str(pycache)}


async def start_once(config: Path, idle: float, env: dict[str, str]) -> Start:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert process.stdout and process.stderr and process.stdin
    summary = asyncio.Event()

    async def watch_log() -> None:
        assert process.stderr
        while line := await process.stderr.readline():
            if READY_LOG.encode() in line:
                summary.set()

    async def watch_out() -> None:
        assert process.stdout
        while await process.stdout.read(4096):
            pass

    readers = [asyncio.create_task(watch_log()), asyncio.create_task(watch_out())]
    await asyncio.wait_for(summary.wait(), 60)
    ready = time.perf_counter() - started
    await asyncio.sleep(idle)
    rss, peak = memory_mb(process.pid)
    process.stdin.write(b"/quit\n")
    await process.stdin.drain()
    await asyncio.wait_for(process.wait(), 30)
    await asyncio.gather(*readers)
    return Start(ready, rss, peak)


async def interpreter_floor() -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    firsts: list[Start] = []
    restarts: list[Start] = []
    floors: list[float] = []
    with tempfile.TemporaryDirectory() as pycache:
        env = bot_env(Path(pycache))
        with tempfile.TemporaryDirectory() as tmp:  # writes the bytecode; not measured
            await start_once(config_copy(Path(args.config).resolve(), Path(tmp)), 0.0, env)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                config = config_copy(Path(args.config).resolve(), Path(tmp))
                floors.append(await interpreter_floor())
                firsts.append(await start_once(config, args.idle, env))
                restarts.append(await start_once(config, args.idle, env))
    print(
        f"console demo ({args.config}), {args.runs} runs, idle {args.idle:.0f} s; "
        f"load {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores"
    )
    print(f"{'':<28} {'ready s':>8} {'RSS MB':>7} {'peak MB':>8}")
    for label, starts in (("first start (new database)", firsts), ("restart", restarts)):
        ready = statistics.median(s.ready for s in starts)
        rss = statistics.median(s.rss_mb for s in starts)
        peak = statistics.median(s.peak_mb for s in starts)
        print(f"{label:<28} {ready:>8.3f} {rss:>7.1f} {peak:>8.1f}")
    print(f"{'python -c pass (floor)':<28} {statistics.median(floors):>8.3f}")
    print("aims: ready <= 0.5 s, idle RSS <= 60 MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before RSS")
    parser.add_argument("--config", default=str(REPO / "config" / "example.yaml"))
    asyncio.run(main(parser.parse_args()))

"""A crash loses no acknowledged vote: kill -9 the bot right after confirmations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import REPO, WriteConfig


def test_acknowledged_votes_survive_kill_9(write_config: WriteConfig) -> None:
    path = write_config()
    env = {k: v for k, v in os.environ.items() if k != "ENGAGEBOT_DATABASE_URL"}
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "-c", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert bot.stdin is not None and bot.stdout is not None
    confirmed = 0
    deadline = time.monotonic() + 30
    try:
        for voter in range(20):
            bot.stdin.write(f"/as voter{voter}\n{voter % 3 + 1}\n")
            bot.stdin.flush()
            while time.monotonic() < deadline:
                line = bot.stdout.readline()
                if "✅ Your vote for" in line:
                    confirmed += 1
                    break
        bot.send_signal(signal.SIGKILL)  # no shutdown, no flush: a crash
    finally:
        bot.wait(timeout=10)
    assert confirmed == 20
    done = subprocess.run(
        [sys.executable, "-m", "bot", "results", "helmets", "-c", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )
    data = json.loads(done.stdout)
    assert data["total_votes"] == 20 and data["voters"] == 20
    assert [o["votes"] for o in data["options"]] == [7, 7, 6]

"""The bot on a disk that fills up: every customer gets a polite reply, and the log gets
one traceback and a count, not a traceback per refused vote."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

from tests.cli_runner import REPO
from tests.conftest import WriteConfig

VOTERS = 300
# Room for the database and its first votes, then every write fails (EFBIG, as ENOSPC
# would on a full disk). Python ignores SIGXFSZ, so the write just fails.
FILE_SIZE_LIMIT = 300_000


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_a_disk_that_fills_up_logs_one_traceback_and_a_count(write_config: WriteConfig) -> None:
    config = write_config()
    votes = "".join(f"/as voter{n}\n1\n" for n in range(VOTERS))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "-c", str(config)],
        input=votes,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "ENGAGEBOT_DATABASE_URL"},
        preexec_fn=_limit_file_size,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    counted = done.stdout.count("✅ Your vote for")
    refused = done.stdout.count("Sorry, we could not record your vote just now")
    assert counted + refused == VOTERS and refused > VOTERS // 2
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 2, done.stderr[-3000:]
    assert errors[0].endswith("could not handle ActionInvoked")
    assert f"… {refused - 1:,} more votes refused in the last " in errors[1]
    assert errors[1].endswith("could not write to the database: disk I/O error")
    assert done.stderr.count("Traceback (most recent call last)") <= 2  # one, and its cause

"""The real `engagebot` command line, run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def engagebot(
    *args: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` with the database its config names (no env override)."""
    base = {k: v for k, v in os.environ.items() if k != "ENGAGEBOT_DATABASE_URL"}
    env = base | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or REPO,
        env=env,
    )

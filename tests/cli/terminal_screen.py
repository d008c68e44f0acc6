"""`engagebot run` at a real terminal (a pseudo-terminal), and what its screen shows."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_runner import REPO

ERASE_LINE = "\x1b[K"
WAIT_S = 60  # a safety net for a stuck bot, not a measure of speed


def screen_lines(raw: str) -> list[str]:
    """The lines a terminal shows for raw output: \\r goes back to the line's start,
    ESC[K clears the rest of the line, characters overwrite what was there."""
    lines, column, at = [""], 0, 0
    while at < len(raw):
        if raw.startswith(ERASE_LINE, at):
            lines[-1] = lines[-1][:column]
            at += len(ERASE_LINE)
            continue
        char = raw[at]
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("")
            column = 0
        else:
            line = lines[-1].ljust(column)
            lines[-1] = line[:column] + char + line[column + 1 :]
            column += 1
        at += 1
    return lines


class Terminal:
    """A bot process whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, *args: str, cwd: Path = REPO) -> None:
        main, child = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "ENGAGEBOT_DATABASE_URL"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=child,
            stdout=child,
            stderr=child,
            cwd=cwd,
            env=env | {"COLUMNS": "200", "TERM": "xterm"},
            close_fds=True,
        )
        os.close(child)
        self._fd = main
        self.raw = ""

    def type(self, text: str) -> None:
        os.write(self._fd, text.encode())

    def screen(self) -> list[str]:
        return screen_lines(self.raw)

    def wait_for(self, text: str) -> None:
        """Read output until text has been printed (and the prompt, if one follows)."""
        deadline = time.monotonic() + WAIT_S
        while not self._quiet_for(0.3) or text not in self.raw:
            assert time.monotonic() < deadline, f"never saw {text!r}:\n" + "\n".join(self.screen())

    def wait_for_exit(self) -> int:
        deadline = time.monotonic() + WAIT_S
        while not self._quiet_for(0.1) or self.process.poll() is None:
            assert time.monotonic() < deadline, "the bot did not stop:\n" + "\n".join(self.screen())
        return self.process.wait()

    def _quiet_for(self, seconds: float) -> bool:
        """Read what arrives within seconds; True when nothing did."""
        ready, _, _ = select.select([self._fd], [], [], seconds)
        if not ready:
            return True
        try:
            data = os.read(self._fd, 65536)
        except OSError:  # the child closed the terminal
            return True
        self.raw += data.decode(errors="replace")
        return not data

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._fd)

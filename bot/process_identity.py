"""Who holds a post claim: this machine's name, the process id and when that process
started. A restarted bot on the same machine can then tell that the process which
claimed a post is gone (its pid is free, or reused by a younger process) and resolve
the claim at once instead of waiting for the claim's hold to run out. Anywhere it cannot
tell (another machine, no /proc), nobody is presumed gone: the hold decides."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

PROC = Path("/proc")


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat);
    None if there is no such process or no /proc."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


@functools.cache
def current() -> str:
    """This process, as written into the claims it holds."""
    return f"{socket.gethostname()}:{os.getpid()}:{_started(os.getpid()) or '?'}"


def is_gone(holder: str) -> bool:
    """True only when sure: the holder ran on this machine and that process has ended."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid, started = parts
    if host != socket.gethostname() or started == "?" or not pid.isdigit():
        return False
    if not PROC.is_dir():
        return False
    return _started(int(pid)) != started

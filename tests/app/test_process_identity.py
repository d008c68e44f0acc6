"""Who holds a claim: a process is presumed gone only when that is sure."""

from __future__ import annotations

import socket
import subprocess

from bot import process_identity


def test_this_process_is_alive_and_an_ended_one_is_gone() -> None:
    me = process_identity.current()
    assert not process_identity.is_gone(me)
    child = subprocess.Popen(["sleep", "5"])
    try:
        holder = f"{socket.gethostname()}:{child.pid}:{process_identity._started(child.pid)}"
        assert not process_identity.is_gone(holder)
    finally:
        child.kill()
        child.wait()
    assert process_identity.is_gone(holder)


def test_a_reused_pid_or_another_machine_is_judged_correctly() -> None:
    host = socket.gethostname()
    pid = process_identity.current().split(":")[-2]
    assert process_identity.is_gone(f"{host}:{pid}:1")  # same pid, another start: reused
    assert not process_identity.is_gone(f"elsewhere-{host}:1:1")  # cannot tell: not gone
    assert not process_identity.is_gone("garbage")

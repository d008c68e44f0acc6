"""Platform libraries stay inside bot/adapters/: core, polls, storage and config never
import them, and running on the console never loads them, nor what only some commands
or moments need (the results chart, the dashboard's web application until it is
visited, the other commands)."""

from __future__ import annotations

import ast
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from bot.cli import COMMAND_MODULES
from tests.conftest import REPO

PLATFORM_LIBRARIES = ("discord", "slack_bolt", "slack_sdk")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_adapters_import_platform_libraries() -> None:
    offenders = []
    for path in (REPO / "bot").rglob("*.py"):
        if "adapters" in path.relative_to(REPO / "bot").parts[:1]:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in PLATFORM_LIBRARIES:
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert offenders == []


def test_console_run_does_not_load_platform_libraries() -> None:
    code = (
        "import sys, bot.cli, bot.app, bot.runner, bot.adapters.registry, bot.adapters.console;"
        f"print([m for m in sys.modules if m.split('.')[0] in {PLATFORM_LIBRARIES!r}])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "[]", done.stderr


# Loaded only when needed: a poll's results chart when it closes, the dashboard's web
# application (aiohttp) at its first visit, the other commands' code when they run.
NOT_AT_START = (
    "bot.polls.chart",
    "matplotlib",
    "aiohttp",
    "bot.web.site",
    *(f"bot.cli.{module}" for module in set(COMMAND_MODULES.values()) - {"config_cmds"}),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_console_demo_runs_without_loading_what_it_does_not_use(tmp_path: Path) -> None:
    """The whole demo (`engagebot run`, the dashboard on, a vote typed), as a process."""
    shutil.copytree(REPO / "config", tmp_path / "config", ignore=shutil.ignore_patterns("data"))
    config = tmp_path / "config" / "example.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^(\s+port:)\s*\d+", rf"\1 {_free_port()}", text), "utf-8")
    loaded = tmp_path / "modules.txt"
    code = (
        "import atexit, runpy, sys;"
        f"atexit.register(lambda: open({str(loaded)!r}, 'w').write('\\n'.join(sys.modules)));"
        f"sys.argv = ['engagebot', 'run', '--config', {str(config)!r}];"
        "runpy.run_module('bot', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input="1\n", capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "Your vote for AeroLite MIPS is counted" in done.stdout
    modules = set(loaded.read_text(encoding="utf-8").split())
    assert "bot.web.host" in modules  # the dashboard was listening
    unwanted = PLATFORM_LIBRARIES + NOT_AT_START
    assert sorted(m for m in modules if m.startswith(unwanted)) == []

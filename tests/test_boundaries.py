"""Platform libraries stay inside bot/adapters/: core, polls, storage and config never
import them, and running on the console never loads them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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

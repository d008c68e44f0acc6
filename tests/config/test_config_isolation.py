"""bot/config must load without any platform library: checked on the source (AST),
following bot.* imports, so it does not depend on what other tests imported."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
FORBIDDEN = ("discord", "slack_bolt", "slack_sdk")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_file(name: str) -> Path | None:
    """The source of a bot.* module (or package), if it exists."""
    relative = Path(*name.split("."))
    for candidate in (
        BOT.parent / relative.with_suffix(".py"),
        BOT.parent / relative / "__init__.py",
    ):
        if candidate.is_file():
            return candidate
    return None


def test_config_package_never_imports_platform_libraries() -> None:
    pending = sorted((BOT / "config").glob("*.py"))
    seen: set[Path] = set()
    offenders: list[str] = []
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(BOT.parent)} imports {name}")
            elif name.startswith("bot."):
                # bot.adapters.limits is reached too: it must stay platform-free.
                parts = name.split(".")
                for end in range(2, len(parts) + 1):
                    found = module_file(".".join(parts[:end]))
                    if found is not None:
                        pending.append(found)
    assert BOT / "adapters" / "limits.py" in seen
    assert offenders == []

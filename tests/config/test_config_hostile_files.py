"""Files no merchant means to write (binary junk, huge or deeply nested text, alias
bombs, folders and unreadable files) give one positioned line each and exit code 2,
through the real CLI and through the SIGHUP reload path; never a traceback."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, cast

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from bot.runner import _reload
from tests.cli_runner import engagebot

HEAD = b"store:\n  name: Velo Corner\n"
PROBLEM_LINE = re.compile(r"^\S+:\d+:\d+: .+ \(.+\)$")
BOMB = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n".encode()
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _unreadable(folder: Path) -> Path:
    """A regular file whose reading fails, even for root (who may read mode 000)."""
    target = folder / "bot.yaml"
    if os.geteuid() != 0:
        target.write_bytes(HEAD)
        target.chmod(0)
    else:  # /proc/self/mem is a regular file, but reading from offset 0 fails (EIO)
        target.symlink_to("/proc/self/mem")
    return target


CASES: dict[str, tuple[bytes, str]] = {
    "nul": (HEAD + b"channels:\n  a\x00b: {}\n", "4:4: the file contains a control character"),
    "bell": (HEAD.replace(b"Velo", b"Ve\x07lo"), "2:11: the file contains a control character"),
    "escaped-key": (HEAD + b'"a\\eb": 1\n', "3:1: the file contains a control character"),
    "escaped-nul": (
        HEAD.replace(b"Velo Corner", b'"Ve\\0lo"'),
        "2:9: the file contains a control character",
    ),
    "brackets": (
        HEAD + b"polls: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "3:71: values are nested more than 64 levels deep",
    ),
    "indented": (
        HEAD + b"".join(b"  " * i + b"k:\n" for i in range(100)),
        "values are nested more than 64 levels deep",
    ),
    "huge": (HEAD + b"# " + b"x" * 2_000_000 + b"\n", "1:1: the file is larger than 1 MiB"),
    "latin-1": (HEAD.replace(b"Velo", b"V\xe9lo"), "2:10: the file is not UTF-8 text"),
    "bomb": (BOMB + HEAD, "the file holds too many values"),
}


def _write(folder: Path, case: str) -> Path:
    if case == "unreadable":
        return _unreadable(folder)
    if case == "folder":
        (folder / "bot.yaml").mkdir()
        return folder / "bot.yaml"
    path = folder / "bot.yaml"
    path.write_bytes(CASES[case][0])
    return path


EXPECTED = {
    **{case: expected for case, (_, expected) in CASES.items()},
    "unreadable": "1:1: the file cannot be read",
    "folder": "1:1: bot.yaml is a folder, not a file",
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_validate_reports_one_positioned_line_and_exits_2(tmp_path: Path, case: str) -> None:
    path = _write(tmp_path, case)
    result = engagebot("validate", str(path))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] in ("1 problem found.", f"{len(lines) - 1} problems found.")
    assert len(lines) <= 3
    assert all(PROBLEM_LINE.match(line) for line in lines[:-1]), lines
    assert EXPECTED[case] in lines[0]
    assert lines[0].startswith(str(path))


@pytest.mark.parametrize("case", ["folder", "unreadable"])
def test_a_broken_bot_yaml_in_a_config_folder(tmp_path: Path, case: str) -> None:
    _write(tmp_path, case)
    result = engagebot("validate", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{tmp_path / 'bot.yaml'}:{EXPECTED[case]}" + (
        " (bot.yaml must be a YAML file)"
        if case == "folder"
        else " (check that it exists and you may read it)"
    )


@pytest.mark.parametrize("case", list(EXPECTED))
async def test_sighup_reload_logs_the_problem_and_keeps_running(
    tmp_path: Path, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path, case)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.problems
    caplog.set_level(logging.ERROR)
    # The App is never reached when the new config is refused.
    await _reload(cast(Any, None), lambda: load_config(path, env={}))
    assert any("config not reloaded" in r.getMessage() for r in caplog.records)
    assert EXPECTED[case] in caplog.text


def test_a_pipe_or_a_folder_among_the_poll_files_is_reported_not_waited_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "bot.yaml").write_bytes(HEAD)
    (tmp_path / "polls").mkdir()
    os.mkfifo(tmp_path / "polls" / "a.yaml")  # reading it would block forever
    (tmp_path / "polls" / "b.yaml").mkdir()
    result = engagebot("validate", str(tmp_path))
    assert result.returncode == 2
    polls = tmp_path / "polls"
    assert result.stderr.splitlines() == [
        f"{polls / 'a.yaml'}:1:1: this is not a regular file (a pipe, socket or device) "
        "(replace it with a YAML file, or remove it)",
        f"{polls / 'b.yaml'}:1:1: b.yaml is a folder, not a file (b.yaml must be a YAML file)",
        "2 problems found.",
    ]


def test_numbers_and_dates_too_large_to_use_are_positioned_problems(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "store: {name: Shop}\n"
        "channels: {c: {}}\n"
        "polls:\n"
        "  - id: p\n"
        "    question: Which?\n"
        "    channels: [c]\n"
        "    opens: 9999-12-31 23:00\n"
        "    duration: 99999999999w\n"
        "    runoff_duration: 999999999999999999999d\n"
        "    options: [{id: a, label: A, price: 1e999}, {id: b, label: B}]\n",
        encoding="utf-8",
    )
    result = engagebot("validate", str(path))
    assert result.returncode == 2
    assert [line.removeprefix(f"{path}:") for line in result.stderr.splitlines()] == [
        "7:12: '9999-12-31 23:00' is too far away (use a year from 1970 to 9000)",
        "8:15: '99999999999w' is too long (a poll lasts at most 3650 days (10 years))",
        "9:22: '999999999999999999999d' is too long (a poll lasts at most 3650 days (10 years))",
        "10:40: 'price' is too large a number (write an ordinary number, e.g. 89.00)",
        "4 problems found.",
    ]

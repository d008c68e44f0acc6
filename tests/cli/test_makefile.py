"""The Makefile's decisions, read with `make -n` (print, do not run) on a copy of it:
a .venv from another Python is rebuilt, `make run` installs no test tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(folder: Path, target: str) -> str:
    # Not a sub-make of a `make test` that runs this suite: no inherited flags.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"PYTHON={sys.executable}"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def fake_venv(folder: Path, python: str) -> None:
    """A .venv whose `python` is the given shell script body, installed and stamped."""
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f"#!/bin/sh\n{python}\n", encoding="utf-8")
    (bin_dir / "python").chmod(0o755)
    for stamp in (".made-by-python", ".installed-run", ".installed-dev"):
        (folder / ".venv" / stamp).touch()


def test_fresh_run_installs_runtime_only_and_test_adds_dev_tools(project: Path) -> None:
    run = dry_run(project, "run")
    assert "-m venv .venv" in run
    assert "pip install --quiet -e ." in run and "[dev]" not in run
    assert "pip install --quiet -e '.[dev]'" in dry_run(project, "test")


def test_a_venv_from_another_python_minor_version_is_rebuilt(project: Path) -> None:
    fake_venv(project, 'echo "3.9"')
    out = dry_run(project, "run")
    assert "rm -rf .venv" in out and "-m venv .venv" in out


def test_a_venv_whose_interpreter_is_gone_is_rebuilt(project: Path) -> None:
    fake_venv(project, "exit 127")  # what a dangling interpreter link amounts to
    (project / ".venv" / "bin" / "python").unlink()
    (project / ".venv" / "bin" / "python").symlink_to("/nonexistent/python3.10")
    out = dry_run(project, "run")
    assert "rm -rf .venv" in out and "-m venv .venv" in out


def test_a_healthy_venv_is_reused(project: Path) -> None:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    fake_venv(project, f'echo "{version}"')
    out = dry_run(project, "run")
    assert "-m venv" not in out and "rm -rf .venv" not in out
    assert "pip install" not in out
    assert ".venv/bin/engagebot run --config config/example.yaml" in out

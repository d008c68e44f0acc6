"""Files that hold customers' data (the database, charts, exports) are private to the
bot's own user: 0600 files in 0700 folders, whatever the umask says.

Modes are given when a file or folder is created (os.open / os.mkdir with a mode), never
by changing the process umask: the writer thread and the event loop create files at the
same time, and the umask is process-wide."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, TextIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folders(folder: Path) -> None:
    """Create folder and any missing parents as 0700; existing folders are left as they
    are (they may be shared on purpose, e.g. a mounted volume)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue


def create_private(path: Path) -> bool:
    """Create an empty 0600 file if there is none; True if this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private(path: Path) -> int | None:
    """Take group and other access away from an existing file. Returns the mode it had
    if it changed anything, else None (no such file, or private already)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if not mode & 0o077:
        return None
    os.chmod(path, mode & 0o700)
    return mode


def open_private(path: Path) -> TextIO:
    """open(path, "w") in UTF-8 without newline translation, creating the file 0600."""
    return os.fdopen(_private_fd(path), "w", encoding="utf-8", newline="")


def open_private_bytes(path: Path) -> BinaryIO:
    """open(path, "wb"), creating the file 0600."""
    return os.fdopen(_private_fd(path), "wb")


def _private_fd(path: Path) -> int:
    """An existing regular file is truncated and made 0600 too: it is about to hold
    customers' data. (A device such as /dev/stdout is left as it is.)"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd

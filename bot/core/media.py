"""Which local image files may be uploaded to a chat platform.

Checked when the config is validated (with file:line:col problems) and again by the
adapters right before they read the bytes, because the file may have changed since: a
config image must still resolve, symbolic links included, inside the config folder, be
a PNG, JPEG, GIF or WebP by its contents, and fit the platform's upload limit. A file
that fails the re-check is left out of that post, with one log line."""

from __future__ import annotations

import logging
import os
import stat
from enum import Enum
from pathlib import Path

from bot.core.content import Image

log = logging.getLogger(__name__)

# Magic numbers: what the first bytes of each accepted format are.
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
HEAD_BYTES = 12


class Fault(Enum):
    """Why a file may not be uploaded (the value is said in a log line)."""

    MISSING = "does not exist"
    OUTSIDE = "is outside the config folder"
    NOT_FILE = "is not a regular file"
    TOO_LARGE = "is larger than the platform's upload limit"
    NOT_IMAGE = "is not a PNG, JPEG, GIF or WebP image"
    UNREADABLE = "cannot be read"


def is_image_bytes(head: bytes) -> bool:
    """Whether the file starts like a PNG, JPEG, GIF or WebP (RIFF....WEBP)."""
    if head.startswith(_SIGNATURES):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def image_fault(path: Path, root: Path | None, max_bytes: int) -> tuple[Fault | None, int]:
    """(None, size) when path may be uploaded, else (the fault, size or 0).

    root: the folder the file must stay in once every symbolic link is followed (None
    for files the bot made itself, such as charts)."""
    try:
        real = path.resolve()
        if root is not None and not real.is_relative_to(root.resolve()):
            return Fault.OUTSIDE, 0
        info = real.stat()
    except FileNotFoundError:
        return Fault.MISSING, 0
    except (OSError, RuntimeError):  # a symbolic link loop, a folder we may not list
        return Fault.UNREADABLE, 0
    if not stat.S_ISREG(info.st_mode):
        return Fault.NOT_FILE, 0
    if info.st_size > max_bytes:
        return Fault.TOO_LARGE, info.st_size
    try:
        with real.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return Fault.UNREADABLE, info.st_size
    return (None if is_image_bytes(head) else Fault.NOT_IMAGE), info.st_size


def uploadable_size(image: Image, max_bytes: int) -> int | None:
    """The size of image's local file if it may still be uploaded; None (logged once per
    file and fault) if it may not. Adapters call this right before reading the file."""
    if image.path is None:
        return None
    fault, size = image_fault(image.path, image.root, max_bytes)
    if fault is not None:
        _left_out(image.path, fault)
        return None
    return size


def read_image(image: Image, max_bytes: int) -> bytes | None:
    """The bytes of image's local file, re-checked; None (logged once) if it may not be
    uploaded. What is read is checked itself (regular file, size, magic number), and the
    checked path is opened without following a link, so a file swapped in after the
    check is never sent."""
    if image.path is None or uploadable_size(image, max_bytes) is None:
        return None
    fault = Fault.UNREADABLE
    try:
        fd = os.open(image.path.resolve(), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise _Refused(Fault.NOT_FILE)
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _Refused(Fault.TOO_LARGE)
        if not is_image_bytes(data[:HEAD_BYTES]):
            raise _Refused(Fault.NOT_IMAGE)
        return data
    except _Refused as refused:
        fault = refused.fault
    except OSError:
        pass
    _left_out(image.path, fault)
    return None


class _Refused(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.value)
        self.fault = fault


_logged: set[tuple[Path, Fault]] = set()


def _left_out(path: Path, fault: Fault) -> None:
    # A refused post is retried every few seconds: say it once, not each time.
    if (path, fault) not in _logged:
        _logged.add((path, fault))
        log.warning("image %s %s; it is left out of the post", path, fault.value)

"""Fit a text into a width in pixels, as the renderer measures it: wrap at spaces (or
between characters, for CJK and very long words) and shorten the last line with "…".

Character counts lie (a line of W is three times as wide as a line of i, a CJK
character twice as wide as a Latin one), so every candidate line is measured."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.backend_bases import RendererBase
    from matplotlib.font_manager import FontProperties

ELLIPSIS = "…"

Measure = Callable[[str], float]

# Whitespace a line may break at: not the no-break spaces that hold "1 234" (French
# groups digits with U+202F) or "37 %" together, which str.split() would turn into
# ordinary spaces and wrap.
_BREAKABLE = re.compile(r"[^\S\u00a0\u2007\u202f]+")


def words(text: str) -> list[str]:
    """text split at the spaces a line may break at."""
    return [word for word in _BREAKABLE.split(text) if word]


def measurer(renderer: RendererBase, font: FontProperties) -> Measure:
    """Width in pixels of a one-line text drawn with font by renderer."""

    def width(text: str) -> float:
        if not text:
            return 0.0
        w, _, _ = renderer.get_text_width_height_descent(text, font, ismath=False)
        return float(w)

    return width


def fit(text: str, max_width: float, max_lines: int, width: Measure) -> str:
    """text in at most max_lines lines, none wider than max_width ("" stays "")."""
    parts = words(text)
    if not parts:
        return ""
    lines: list[str] = []
    line = ""
    for word in parts:
        candidate = f"{line} {word}" if line else word
        if width(candidate) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while width(line) > max_width:  # a word wider than the line: break it anywhere
            head = _longest_prefix(line, max_width, width)
            lines.append(head)
            line = line[len(head) :]
    lines.append(line)
    if len(lines) <= max_lines:
        return "\n".join(lines)
    kept = lines[: max_lines - 1]
    rest = " ".join(lines[max_lines - 1 :])
    return "\n".join([*kept, shorten(rest, max_width, width)])


def shorten(text: str, max_width: float, width: Measure) -> str:
    """One line: text itself if it fits, else its longest start that fits with "…"."""
    if width(text) <= max_width:
        return text
    head = _longest_prefix(text, max_width - width(ELLIPSIS), width)
    space = head.rfind(" ")
    if space > len(head) * 2 // 3:  # end on a whole word when that loses little
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def _longest_prefix(text: str, max_width: float, width: Measure) -> str:
    """The longest start of text not wider than max_width (at least one character, so
    that breaking a word always moves on)."""
    low, high = 1, len(text)
    while low < high:  # binary search: widths grow with the prefix
        middle = (low + high + 1) // 2
        if width(text[:middle]) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low]

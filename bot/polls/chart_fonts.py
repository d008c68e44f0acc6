"""Which fonts charts draw with, and which characters they can draw at all.

matplotlib ships only DejaVu Sans: no CJK, no emoji, so a Chinese label or a 🚲 used to
come out as empty boxes. Charts use a fallback chain instead (matplotlib ≥ 3.6 picks,
glyph by glyph, the first family that has it): DejaVu Sans, then any CJK or symbol font
installed on the machine (Debian: fonts-droid-fallback, fonts-noto-cjk, fonts-symbola;
.ci/run and the Dockerfile install the two small ones). A character no font of the chain
has is dropped before drawing (`drawable`): a missing emoji is better than a box.

Colour emoji fonts (CBDT bitmaps, Noto Color Emoji) are left out on purpose: Agg cannot
scale their bitmaps. Symbola draws emoji as black outlines instead."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

BASE_FAMILY = "DejaVu Sans"  # matplotlib ships it: always there

# Font files worth adding to the chain, best first (file names as Debian installs them).
FALLBACK_FILES = (
    "NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "NotoSansCJKsc-Regular.otf",
    "DroidSansFallbackFull.ttf",  # fonts-droid-fallback (CJK, 1.8 MB)
    "wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "NotoSansSymbols2-Regular.ttf",  # fonts-noto-core
    "Symbola_hint.ttf",  # fonts-symbola (emoji as outlines, 1.3 MB)
    "Symbola.ttf",
)
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))

# Invisible joiners and presentation selectors: Agg does no text shaping, so they can
# only ever come out as boxes or gaps (👍🏽 is drawn as 👍, 👩‍💻 as 👩💻).
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\u20e3]")
# 🚴‍♀️ is 🚴 + joiner + ♀: without the cyclist (no emoji font) a lone ♀ would remain.
_GENDERED = re.compile("\u200d[\u2640\u2642\u26a7]\ufe0f?")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class FontChain:
    """Families in fallback order, with the characters each one can draw."""

    families: tuple[str, ...]
    charmaps: tuple[frozenset[int], ...] = field(repr=False)

    def covers(self, char: str) -> bool:
        code = ord(char)
        return any(code in charmap for charmap in self.charmaps)

    def family_for(self, char: str) -> str | None:
        """The family matplotlib will draw char with (the first that has it)."""
        code = ord(char)
        for family, charmap in zip(self.families, self.charmaps, strict=True):
            if code in charmap:
                return family
        return None

    def drawable(self, text: str) -> str:
        """text without the characters no font of the chain can draw (never a box)."""
        visible = _INVISIBLE.sub("", _GENDERED.sub("", text)).replace("\t", " ")
        kept = "".join(char for char in visible if char == "\n" or self._keeps(char))
        lines = (_SPACES.sub(" ", line).strip() for line in kept.split("\n"))
        return "\n".join(lines)

    def _keeps(self, char: str) -> bool:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return False
        return char == " " or self.covers(char)


def chain_of(paths: Iterable[Path | str]) -> FontChain:
    """A chain of these font files, in order (the first must be the base font)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    families: list[str] = []
    charmaps: list[frozenset[int]] = []
    for path in paths:
        font_manager.fontManager.addfont(str(path))  # known even if the cache is older
        font = FT2Font(str(path))
        if font.family_name in families:
            continue
        families.append(font.family_name)
        charmaps.append(frozenset(font.get_charmap()))
    return FontChain(tuple(families), tuple(charmaps))


def base_font_file() -> Path:
    from matplotlib import font_manager

    return Path(font_manager.findfont(BASE_FAMILY, fallback_to_default=False))


def installed_fallbacks(folders: Iterable[Path] = FONT_FOLDERS) -> list[Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.name in FALLBACK_FILES and path.name not in found:
                    found[path.name] = path
    return [found[name] for name in FALLBACK_FILES if name in found]


@cache
def default_chain() -> FontChain:
    """DejaVu Sans and whatever fallback fonts this machine has (looked up once)."""
    return chain_of([base_font_file(), *installed_fallbacks()])

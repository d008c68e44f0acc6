"""Fitting text into a width: wrap at spaces, break words with no spaces (CJK), shorten
the last line with "…". Widths here are character counts, to keep the cases readable;
the charts' own tests use the renderer's real widths."""

from __future__ import annotations

from bot.polls.chart_fonts import base_font_file, chain_of
from bot.polls.chart_text import fit, shorten


def test_fit_wraps_at_spaces_and_shortens_the_last_line() -> None:
    assert fit("short", 10, 2, len) == "short"
    assert fit("one two three four", 9, 2, len) == "one two\nthree fo…"
    assert fit("one two three four", 9, 3, len) == "one two\nthree\nfour"
    assert fit("   ", 10, 2, len) == ""


def test_fit_breaks_a_word_wider_than_the_line() -> None:
    assert fit("自行车头盔城市款", 3, 3, len) == "自行车\n头盔城\n市款"
    assert fit("abcdefghijkl", 4, 2, len) == "abcd\nefg…"


def test_shorten_prefers_a_whole_word_when_that_loses_little() -> None:
    assert shorten("helmet with detachable chin", 24, len) == "helmet with detachable…"
    assert shorten("a verylongwordindeed", 10, len) == "a verylon…"


def test_drawable_drops_what_no_font_has_and_invisible_joiners() -> None:
    bare = chain_of([base_font_file()])
    assert bare.drawable("Casque « urbain » 🚲👍🏽") == "Casque « urbain »"
    assert bare.drawable("héllo\u200bworld\tok") == "hélloworld ok"
    assert bare.drawable("two\nlines 自") == "two\nlines"

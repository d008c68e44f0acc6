"""Bar chart PNGs: a poll's results (posted at close) and the engagement report.

Made to be read on a phone: horizontal bars, best first, 1200 px wide and about 120 px
per option, large type, each bar labelled with its votes and share. matplotlib is
imported inside the functions (Agg, no pyplot, no global state): `engagebot run` pays
for it only when a poll closes, and drawing runs in a worker thread."""

from __future__ import annotations

import os
import textwrap
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import UnsupportedDatabase
from bot.polls.results import PollResults
from bot.polls.verdict import Verdict
from bot.private_files import make_folders, open_private_bytes
from bot.storage import sqlite_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_PX = 1200
ROW_PX = 120
DPI = 100
LABEL_WIDTH = 24  # characters per line of an option label; longer ones wrap (2 lines)
WINNER_COLOR = "#2e7d32"
BAR_COLOR = "#90a4ae"
VERDICT_WORDS = {
    Verdict.CLEAR_WINNER: "clear winner",
    Verdict.LEANING: "leaning",
    Verdict.TOO_CLOSE: "too close to call",
    Verdict.NOT_ENOUGH_VOTES: "not enough votes",
}


def charts_folder(database_url: str, root: Path) -> Path:
    """Charts live next to the database (<db folder>/charts), where the bot may write."""
    try:
        return sqlite_path(database_url).parent / "charts"
    except UnsupportedDatabase:
        return root / "data" / "charts"


def short_label(label: str) -> str:
    lines = textwrap.wrap(label, LABEL_WIDTH, break_on_hyphens=False) or [label]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_WIDTH, placeholder="…")]
    return "\n".join(lines)


def results_figure(results: PollResults) -> Figure:
    """The results chart, not yet saved; its texts can be inspected (tests do)."""
    from matplotlib.figure import Figure

    rows = results.ranked()
    height = max(480, 220 + ROW_PX * len(rows))
    figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(rows) - 1, -1, -1))  # best on top
    winner = results.winner
    colors = [WINNER_COLOR if winner and row.id == winner.id else BAR_COLOR for row in rows]
    bars = axes.barh(positions, [row.votes for row in rows], height=0.7, color=colors)
    axes.set_yticks(positions, labels=[short_label(row.label) for row in rows], fontsize=22)
    top = max((row.votes for row in rows), default=0)
    axes.set_xlim(0, max(top, 1) * 1.3)  # room for the value labels
    for bar, row in zip(bars, rows, strict=True):
        axes.text(
            bar.get_width() + max(top, 1) * 0.02,
            bar.get_y() + bar.get_height() / 2,
            f"{row.votes} vote{'' if row.votes == 1 else 's'} · {row.share:.0%}",
            va="center",
            fontsize=22,
            fontweight="bold" if winner and row.id == winner.id else "normal",
        )
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title(textwrap.fill(results.question, 48), fontsize=26, loc="left", pad=16)
    verdict = VERDICT_WORDS[results.decision.verdict]
    figure.text(
        0.01,
        0.015,
        f"{results.total_votes} votes · {results.voters} customers · {verdict}",
        fontsize=18,
        color="#455a64",
    )
    with _quiet():
        figure.tight_layout(rect=(0, 0.06, 1, 1))
    return figure


@contextmanager
def _quiet() -> Iterator[None]:
    """Glyphs missing from the font (an emoji in a label) are drawn as boxes; fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def save(figure: Figure, path: Path) -> Path:
    """Write figure as PNG at its own pixel size (no tight bbox: the size is the design)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    make_folders(path.parent)
    FigureCanvasAgg(figure)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    # 0600: a chart of a poll not yet announced is nobody else's business on this host.
    with _quiet(), open_private_bytes(partial) as out:
        figure.savefig(out, format="png", dpi=DPI)
    partial.replace(path)  # adapters never upload a half-written file
    return path


def results_chart(results: PollResults, path: Path) -> Path:
    return save(results_figure(results), path)


@dataclass(frozen=True)
class DaySeries:
    """What the report chart draws for one day."""

    day: date
    votes: int
    participants: int
    replies: int


def report_figure(days: Sequence[DaySeries], title: str) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_PX / DPI, 600 / DPI), dpi=DPI)
    axes = figure.add_subplot()
    xs = list(range(len(days)))
    width = 0.4
    axes.bar([x - width / 2 for x in xs], [d.votes for d in days], width, label="votes")
    axes.bar([x + width / 2 for x in xs], [d.replies for d in days], width, label="replies")
    axes.plot(xs, [d.participants for d in days], "o-", color="#37474f", label="participants")
    step = max(1, len(days) // 10)  # at most ~10 date labels
    axes.set_xticks(xs[::step], labels=[d.day.strftime("%d %b") for d in days][::step])
    axes.tick_params(labelsize=16)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 people
    axes.set_title(title, fontsize=22, loc="left")
    axes.legend(fontsize=16, loc="upper left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def report_chart(days: Sequence[DaySeries], title: str, path: Path) -> Path:
    return save(report_figure(days, title), path)

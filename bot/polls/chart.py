"""Bar chart PNGs: a poll's results (posted at close) and the engagement report.

Made to be read on a phone: horizontal bars, best first, 1200 px wide and about 120 px
per option, large type, each bar labelled with its votes and share. Every text is fitted
into the image as the renderer measures it (chart_text) and drawn with a font fallback
chain that never shows a box (chart_fonts). matplotlib is imported inside the functions
(Agg canvas, no pyplot, no global state); the long-running bot draws in a one-shot child
process (`results_chart_in_child`) so matplotlib never lives in its memory."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot import i18n, messages
from bot.errors import EngageBotError, UnsupportedDatabase
from bot.polls.chart_fonts import FontChain, default_chain
from bot.polls.chart_text import fit, measurer, shorten, words
from bot.polls.results import PollResults
from bot.private_files import make_folders, open_private_bytes
from bot.storage import sqlite_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH_PX = 1200
ROW_PX = 120
DPI = 100
CHILD_TIMEOUT_S = 120  # a chart takes about a second; a stuck child is killed
MARGIN_PX = 24  # empty border around everything
MIN_HEIGHT_PX = 480
TITLE_SIZE = 26
TITLE_LINE_PX = 44  # one line of the title at TITLE_SIZE
TITLE_LINES = 3  # a longer question is shortened with …
FIXED_PX = 220 - TITLE_LINE_PX  # margins, gaps and the footer around the bars
LABEL_SIZE = 22
LABEL_LINES = 2
LABEL_MAX_PX = 430  # the option labels' column; the bars get the rest
TICK_PAD_PX = 12
VALUE_PAD_PX = 10  # between a bar's end and its "12 votes · 24%"
FOOTER_SIZE = 18
REPORT_HEIGHT_PX = 600
REPORT_TITLE_SIZE = 22
REPORT_TICK_SIZE = 16
REPORT_MAX_DATE_TICKS = 8
REPORT_TITLE_PX = 44  # the title line, then the legend row below it (with a gap)
REPORT_LEGEND_PX = 56
REPORT_DATES_PX = 36  # the date labels under the plot
REPORT_TICK_PAD_PX = 8
MIN_REPORT_SLOTS = 7  # a 1-day report is as wide per day as a week's
WINNER_COLOR = "#2e7d32"
BAR_COLOR = "#90a4ae"
TEXT_COLOR = "#263238"
MUTED_COLOR = "#455a64"
VOTES_COLOR = "#1e88e5"
REPLIES_COLOR = "#fb8c00"
PARTICIPANTS_COLOR = "#37474f"


class ChartError(EngageBotError):
    """The chart could not be drawn (the results are posted without it)."""


def charts_folder(database_url: str, root: Path) -> Path:
    """Charts live next to the database (<db folder>/charts), where the bot may write."""
    try:
        return sqlite_path(database_url).parent / "charts"
    except UnsupportedDatabase:
        return root / "data" / "charts"


class _Typesetter:
    """Fits texts for one figure: its renderer measures, its font chain draws."""

    def __init__(self, figure: Figure, fonts: FontChain) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fonts = fonts
        canvas = FigureCanvasAgg(figure)
        self.renderer: RendererBase = canvas.get_renderer()  # type: ignore[no-untyped-call]

    def font(self, size: float) -> FontProperties:
        from matplotlib.font_manager import FontProperties

        return FontProperties(family=list(self.fonts.families), size=size)

    def bold_font(self, size: float) -> FontProperties:
        """For numbers only: the base font has them, fallbacks have no bold face."""
        from matplotlib.font_manager import FontProperties

        return FontProperties(family=self.fonts.families[0], size=size, weight="bold")

    def width(self, text: str, font: FontProperties) -> float:
        return measurer(self.renderer, font)(text)

    def fit(self, text: str, font: FontProperties, max_px: float, lines: int) -> str:
        clean = self.fonts.drawable(text).replace("\n", " ")
        return fit(clean, max_px, lines, measurer(self.renderer, font))

    def line(self, text: str, font: FontProperties, max_px: float) -> str:
        clean = " ".join(words(self.fonts.drawable(text)))
        return shorten(clean, max_px, measurer(self.renderer, font))


def results_figure(results: PollResults, fonts: FontChain | None = None) -> Figure:
    """The results chart, not yet saved; its texts can be inspected (tests do)."""
    from matplotlib.figure import Figure

    rows = results.ranked()
    figure = Figure(figsize=(WIDTH_PX / DPI, MIN_HEIGHT_PX / DPI), dpi=DPI)
    typeset = _Typesetter(figure, fonts or default_chain())
    inner_px = WIDTH_PX - 2 * MARGIN_PX

    title_font = typeset.font(TITLE_SIZE)
    title = typeset.fit(results.question, title_font, inner_px, TITLE_LINES) or results.id
    title_lines = title.count("\n") + 1
    height = max(MIN_HEIGHT_PX, FIXED_PX + TITLE_LINE_PX * title_lines + ROW_PX * len(rows))
    figure.set_size_inches(WIDTH_PX / DPI, height / DPI)

    label_font = typeset.font(LABEL_SIZE)
    # A label no installed font can draw (all CJK on a bare machine) shows its option id.
    labels = [
        typeset.fit(row.label, label_font, LABEL_MAX_PX, LABEL_LINES)
        or typeset.fit(row.id, label_font, LABEL_MAX_PX, LABEL_LINES)
        for row in rows
    ]
    label_px = max((_widest_line(typeset, label, label_font) for label in labels), default=0)
    winner = results.winner
    values = [
        messages.CARD_TALLY.format(votes=messages.votes(row.votes), share=i18n.percent(row.share))
        for row in rows
    ]
    value_font = typeset.bold_font(LABEL_SIZE)  # the widest case: reserve room for it
    value_px = max((typeset.width(value, value_font) for value in values), default=0)

    # The bars' axes, in pixels: labels on the left, value labels inside on the right.
    left = MARGIN_PX + label_px + TICK_PAD_PX
    top = MARGIN_PX + TITLE_LINE_PX * title_lines + 24
    bottom = 72  # the footer line below
    axes = figure.add_axes(
        (
            left / WIDTH_PX,
            bottom / height,
            (WIDTH_PX - MARGIN_PX - left) / WIDTH_PX,
            (height - top - bottom) / height,
        )
    )
    positions = list(range(len(rows) - 1, -1, -1))  # best on top
    colors = [WINNER_COLOR if winner and row.id == winner.id else BAR_COLOR for row in rows]
    bars = axes.barh(positions, [row.votes for row in rows], height=0.7, color=colors)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_yticks(
        positions, labels=labels, fontproperties=label_font, color=TEXT_COLOR, parse_math=False
    )
    axes.tick_params(axis="y", length=0, pad=TICK_PAD_PX)
    most = max((row.votes for row in rows), default=0)
    axes_px = WIDTH_PX - MARGIN_PX - left
    room_px = max(axes_px - value_px - VALUE_PAD_PX, axes_px * 0.3)
    axes.set_xlim(0, max(most, 1) * axes_px / room_px)  # the longest bar leaves room
    for bar, row, value in zip(bars, rows, values, strict=True):
        won = winner is not None and row.id == winner.id
        axes.annotate(
            value,
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(VALUE_PAD_PX * 72 / DPI, 0),
            textcoords="offset points",
            va="center",
            fontproperties=typeset.bold_font(LABEL_SIZE) if won else label_font,
            color=TEXT_COLOR,
            parse_math=False,
        )
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.spines["left"].set_color("#b0bec5")
    figure.text(
        MARGIN_PX / WIDTH_PX,
        1 - MARGIN_PX / height,
        title,
        fontproperties=title_font,
        va="top",
        linespacing=1.15,
        color=TEXT_COLOR,
        parse_math=False,
    )
    verdict = messages.CHART_VERDICTS[results.decision.verdict.value].format()
    footer_font = typeset.font(FOOTER_SIZE)
    footer = messages.CHART_FOOTER.format(
        votes=messages.votes(results.total_votes),
        customers=messages.customers(results.voters),
        verdict=verdict,
    )
    figure.text(
        MARGIN_PX / WIDTH_PX,
        MARGIN_PX / height,
        typeset.line(footer, footer_font, inner_px),
        fontproperties=footer_font,
        color=MUTED_COLOR,
        parse_math=False,
    )
    return figure


def _widest_line(typeset: _Typesetter, text: str, font: FontProperties) -> float:
    return max(typeset.width(line, font) for line in text.split("\n"))


@contextmanager
def _quiet() -> Iterator[None]:
    """No glyph should be missing (texts pass FontChain.drawable); never warn if one is."""
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


def report_figure(days: Sequence[DaySeries], title: str, fonts: FontChain | None = None) -> Figure:
    """Votes and replies per day as bars, participants as a line; 1 to 90+ days."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    height = REPORT_HEIGHT_PX
    figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI)
    typeset = _Typesetter(figure, fonts or default_chain())
    title_font = typeset.font(REPORT_TITLE_SIZE)
    tick_font = typeset.font(REPORT_TICK_SIZE)
    figure.text(
        MARGIN_PX / WIDTH_PX,
        1 - MARGIN_PX / height,
        typeset.line(title, title_font, WIDTH_PX - 2 * MARGIN_PX),
        fontproperties=title_font,
        va="top",
        color=TEXT_COLOR,
        parse_math=False,
    )
    # Days are numbered 0..n-1 on the x axis; ticks name a few of them.
    axes = figure.add_axes((0, 0, 1, 1))  # placed once its count labels are known
    xs = list(range(len(days)))
    width = 0.4
    many = len(days) > 31
    votes = axes.bar(
        [x - width / 2 for x in xs],
        [d.votes for d in days],
        width,
        label=messages.CHART_VOTES.format(),
        color=VOTES_COLOR,
    )
    replies = axes.bar(
        [x + width / 2 for x in xs],
        [d.replies for d in days],
        width,
        label=messages.CHART_REPLIES.format(),
        color=REPLIES_COLOR,
    )
    axes.plot(
        xs,
        [d.participants for d in days],
        "-" if many else "o-",
        color=PARTICIPANTS_COLOR,
        linewidth=2.5,
        markersize=7,
        label=messages.CHART_PARTICIPANTS.format(),
    )
    # A short report keeps bars a sensible width, centred, each with its number on top.
    pad = max(0.6, (MIN_REPORT_SLOTS - len(days)) / 2)
    axes.set_xlim(-pad, len(days) - 1 + pad)
    if len(days) <= MIN_REPORT_SLOTS:
        for bars, counts in (
            (votes, [d.votes for d in days]),
            (replies, [d.replies for d in days]),
        ):
            labels = [i18n.number(count) for count in counts]
            axes.bar_label(
                bars, labels=labels, padding=4, fontproperties=tick_font, color=MUTED_COLOR
            )
    ticks = date_ticks([d.day for d in days])
    axes.set_xticks([x for x, _ in ticks], labels=[label for _, label in ticks])
    top = max((max(d.votes, d.replies, d.participants) for d in days), default=0)
    ceiling = max(top, 1) * 1.12  # room for the numbers on top
    # Counts (no 2.5 people), written now in the active locale ("1 234" in French): a
    # formatter would run when the figure is drawn, whatever locale is active then.
    counts = [
        int(tick)
        for tick in MaxNLocator(integer=True, nbins=5).tick_values(0, ceiling)
        if 0 <= tick <= ceiling
    ]
    axes.set_yticks(counts, labels=[i18n.number(count) for count in counts])
    axes.set_ylim(0, ceiling)
    axes.tick_params(
        labelsize=REPORT_TICK_SIZE, colors=MUTED_COLOR, length=0, pad=REPORT_TICK_PAD_PX
    )
    axes.grid(axis="y", color="#eceff1", linewidth=1)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#b0bec5")
    # The legend is a row between the title and the plot: it never covers a bar.
    figure.legend(
        *axes.get_legend_handles_labels(),
        loc="upper left",
        bbox_to_anchor=(MARGIN_PX / WIDTH_PX, 1 - (MARGIN_PX + REPORT_TITLE_PX) / height),
        ncols=3,
        frameon=False,
        prop=tick_font,
        borderaxespad=0,
        handlelength=1.4,
    )
    _place_report_axes(figure, axes, typeset, height)
    return figure


def _place_report_axes(figure: Figure, axes: Axes, typeset: _Typesetter, height: int) -> None:
    """Put the plot below the legend and right of its widest count label."""
    tick_font = typeset.font(REPORT_TICK_SIZE)
    counts = [label.get_text() for label in axes.get_yticklabels()]
    widest = max((typeset.width(text, tick_font) for text in counts), default=0)
    left = MARGIN_PX + widest + REPORT_TICK_PAD_PX
    top = MARGIN_PX + REPORT_TITLE_PX + REPORT_LEGEND_PX
    bottom = MARGIN_PX + REPORT_DATES_PX
    axes.set_position(
        (
            left / WIDTH_PX,
            bottom / height,
            (WIDTH_PX - MARGIN_PX - 10 - left) / WIDTH_PX,
            (height - top - bottom) / height,
        )
    )


def date_ticks(days: Sequence[date]) -> list[tuple[int, str]]:
    """At most REPORT_MAX_DATE_TICKS labelled days, evenly spaced by 1, 2, 3, 7, 14 or
    28 days (weeks start on the report's first day), named like "3 Mar" ("3 mars")."""
    if not days:
        return []
    step = next(
        (s for s in (1, 2, 3, 7, 14, 28) if -(-len(days) // s) <= REPORT_MAX_DATE_TICKS),
        -(-len(days) // REPORT_MAX_DATE_TICKS),
    )
    return [(index, i18n.day_month(days[index])) for index in range(0, len(days), step)]


def report_chart(days: Sequence[DaySeries], title: str, path: Path) -> Path:
    return save(report_figure(days, title), path)


def results_chart_in_child(results: PollResults, path: Path) -> Path:
    """results_chart in a one-shot child process (`python -m bot.polls.chart_child`):
    matplotlib (~50 MB) is loaded, used and freed there, so the bot's own memory does not
    grow with its first chart. Blocking: the bot calls it in a worker thread."""
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding bot/
    search_path = [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
    done = subprocess.run(
        [sys.executable, "-m", "bot.polls.chart_child", str(path), i18n.active()],
        input=pickle.dumps(results),
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(search_path)},
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ChartError(f"the chart process failed ({done.returncode}): {why[0]}")
    return path


def report_title(store_name: str, since: date, until: date) -> str:
    """ "Shop: engagement 1 – 14 Mar 2026" (one day: "… 3 Mar 2026")."""
    last = f"{until.day} {until:%b %Y}"
    if since == until:
        period = last
    elif (since.year, since.month) == (until.year, until.month):
        period = f"{since.day} – {last}"
    elif since.year == until.year:
        period = f"{since.day} {since:%b} – {last}"
    else:
        period = f"{since.day} {since:%b %Y} – {last}"
    return f"{store_name}: engagement {period}"

"""Counts of a thousand or more are grouped the locale's way ("1 234" in French, with a
narrow no-break space; "1,234" in English) wherever results are shown: the results post
on Discord and Slack, the plain-text results, both charts and the CLI's tables."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from discord import ui

from bot import i18n
from bot.adapters.discord.render import render
from bot.adapters.slack import blocks
from bot.polls import chart
from bot.polls.chart_text import fit
from bot.polls.render import render_results
from bot.polls.text import results_text
from bot.storage.sqlite import SqliteStore
from tests.cli_runner import engagebot
from tests.results.chart_checks import assert_texts_inside, keep
from tests.results.results_helpers import write_shop
from tests.results.test_results_chart import results_of
from tests.storage.storage_helpers import T0, choose, request, user

NNBSP = "\u202f"  # French groups digits with a narrow no-break space
BIG = {"aero": 1234, "urban": 98765, "trail": 1_000_000}
PARIS = ZoneInfo("Europe/Paris")


def test_results_posts_and_texts_group_digits_in_french() -> None:
    results = results_of(BIG)
    with i18n.use("fr"):
        message = render_results(results)
        discord = "\n".join(
            item.content
            for item in render(message).view.walk_children()
            if isinstance(item, ui.TextDisplay)
        )
        slack = "\n".join(
            b["text"]["text"] for b in blocks.results_blocks(message) if b["type"] == "section"
        )
        plain = results_text(results, PARIS)
    for text in (discord, slack, plain):
        assert f"1{NNBSP}000{NNBSP}000 (91\u00a0%)" in text, text
        assert f"98{NNBSP}765 (9\u00a0%)" in text and f"1{NNBSP}234 (0\u00a0%)" in text, text


def test_the_results_chart_footer_keeps_the_narrow_no_break_spaces(tmp_path: Path) -> None:
    with i18n.use("fr"):
        figure = chart.results_figure(results_of(BIG))
    total = f"1{NNBSP}099{NNBSP}999"
    assert figure.texts[-1].get_text() == f"{total} votes · {total} clients · gagnant net"
    assert_texts_inside(figure)
    keep(figure, "results_large_counts_fr", tmp_path)


def test_a_wrapped_chart_text_never_splits_a_grouped_number() -> None:
    assert fit(f"Top 1{NNBSP}234 helmets", 8, 3, len) == f"Top\n1{NNBSP}234\nhelmets"


def test_the_report_chart_writes_its_counts_in_the_locale(tmp_path: Path) -> None:
    days = [chart.DaySeries(date(2026, 3, d), 1234 + d, 900, 2345) for d in (1, 2)]
    with i18n.use("fr"):
        figure = chart.report_figure(days, "Participation")
    path = keep(figure, "report_large_counts_fr", tmp_path)  # drawn outside the locale block
    assert path.exists()
    axes = figure.axes[0]
    counts = [t.get_text() for t in axes.get_yticklabels()]
    assert f"1{NNBSP}200" in counts and not any("," in c for c in counts), counts
    on_bars = [t.get_text() for t in axes.texts]
    assert on_bars == [f"1{NNBSP}235", f"1{NNBSP}236", f"2{NNBSP}345", f"2{NNBSP}345"]
    assert_texts_inside(figure)


async def seed_votes(database: Path, counts: dict[str, int]) -> None:
    store = SqliteStore(database, synchronous="OFF")
    await store.open()
    try:
        await store.ensure_polls(["helmets"])
        assert await store.open_poll("helmets", T0, None, "test")
        voters = ((option, number) for option, count in counts.items() for number in range(count))
        await asyncio.gather(*(store.cast(request(user(f"{o}-{n}"), choose(o))) for o, n in voters))
    finally:
        await store.close()


async def test_the_cli_tables_group_digits(tmp_path: Path) -> None:
    config = write_shop(tmp_path)
    await seed_votes(tmp_path / "data" / "engagebot.db", {"aero": 1234, "urban": 1})
    shown = engagebot("results", "helmets", "-c", str(config), env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "│ 1,234 │  100% │" in shown.stdout, shown.stdout
    listed = engagebot("polls", "-c", str(config), env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "│ 1,235 │  1,235 │" in listed.stdout, listed.stdout

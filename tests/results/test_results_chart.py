"""Charts: valid PNGs of a phone-friendly size, with the right labels, votes and shares;
every text inside the image, no glyph drawn as a box, dates readable from 1 to 90 days.
Each test keeps its PNGs (tmp_path and tests/artifacts/charts) for a person to look at."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config.schema import PollConfig
from bot.polls import chart
from bot.polls.chart_fonts import base_font_file, chain_of, default_chain
from bot.polls.results import PollResults, build_results
from bot.storage.base import PollRecord, PollState, Tally
from tests.results.chart_checks import (
    assert_apart,
    assert_no_missing_glyphs,
    assert_texts_inside,
    drawn_texts,
    extent,
    keep,
)
from tests.results.results_helpers import png_size

NINE_LONG_LABELS = [
    "Trail Pro full-coverage helmet with detachable chin guard and extra-long name",
    "Urban commuter helmet, matte black, with integrated rear LED light and magnetic buckle",
    "Aero",
    "Kids' helmet — dinosaurs 🦕",
    "MIPS road helmet (2026 edition) in five colours",
    "Supercalifragilisticexpialidociousandevenlongerwordwithoutanyspaces",
    "Folding helmet",
    "Retro leather-look cruiser helmet",
    "None of these, show me more options please",
]
CJK_AND_EMOJI = {
    "a": "自行车头盔 城市款 🚲",
    "b": "Casque « urbain » 🚲👍🏽",
    "c": "ヘルメット 👩‍💻",
}


def results_of(
    votes: dict[str, int], labels: dict[str, str] | None = None, question: str | None = None
) -> PollResults:
    labels = labels or {key: key.title() for key in votes}
    poll = PollConfig.model_validate(
        {
            "id": "helmets",
            "question": question or "Which helmet should we stock this spring?",
            "channels": ["community"],
            "options": [{"id": key, "label": labels[key]} for key in votes],
        }
    )
    tally = Tally("helmets", {k: v for k, v in votes.items() if v}, sum(votes.values()))
    return build_results(poll, PollRecord("helmets", PollState.CLOSED), tally)


def tick_labels(results: PollResults, **kwargs: object) -> list[str]:
    figure = chart.results_figure(results, **kwargs)  # type: ignore[arg-type]
    return [t.get_text() for t in figure.axes[0].get_yticklabels()]


def test_results_chart_shows_each_option_with_votes_and_share_best_first() -> None:
    results = results_of({"aero": 12, "urban": 25, "trail": 13})
    figure = chart.results_figure(results)
    axes = figure.axes[0]
    # Bars top to bottom (tick positions descend): best first.
    ticks = sorted(
        zip(axes.get_yticks(), (t.get_text() for t in axes.get_yticklabels()), strict=True),
        reverse=True,
    )
    assert [label for _, label in ticks] == ["Urban", "Trail", "Aero"]
    values = [text.get_text() for text in axes.texts]
    assert values == ["25 votes · 50%", "13 votes · 26%", "12 votes · 24%"]
    assert [round(bar.get_width()) for bar in axes.patches] == [25, 13, 12]
    texts = [text.get_text() for text in figure.texts]
    assert texts == [
        "Which helmet should we stock this spring?",
        "50 votes · 50 customers · clear winner",
    ]


def test_results_chart_is_a_png_sized_for_a_phone(tmp_path: Path) -> None:
    for count in (2, 6):
        votes = {f"option{i}": i + 1 for i in range(count)}
        path = chart.results_chart(results_of(votes), tmp_path / "charts" / f"{count}.png")
        width, height = png_size(path)
        assert width == 1200
        assert height == max(480, 220 + 120 * count)
        assert path.stat().st_size > 10_000  # drawn, not blank
    assert not list(tmp_path.glob("charts/*.part"))


def test_a_big_winner_keeps_its_votes_and_share_inside_the_image(tmp_path: Path) -> None:
    labels = {
        "aero": "Urban commuter helmet, matte black",
        "urban": "Trail Pro full-coverage helmet with chin guard",
    }
    results = results_of({"aero": 465, "urban": 720}, labels)
    figure = chart.results_figure(results)
    assert [t.get_text() for t in figure.axes[0].texts] == ["720 votes · 61%", "465 votes · 39%"]
    assert_texts_inside(figure)
    assert png_size(keep(figure, "results_2_options", tmp_path)) == (1200, 480)


def test_nine_long_labels_are_wrapped_to_two_lines_and_all_fit(tmp_path: Path) -> None:
    votes = dict(
        zip((f"o{i}" for i in range(9)), (9465, 402, 310, 188, 95, 60, 12, 1, 0), strict=True)
    )
    labels = dict(zip(votes, NINE_LONG_LABELS, strict=True))
    figure = chart.results_figure(results_of(votes, labels))
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert ticks[0] == "Trail Pro full-coverage\nhelmet with detachable…"
    assert ticks[2] == "Aero"
    assert ticks[5].startswith("Supercalifragilisticexpiali") and ticks[5].endswith("…")
    assert all(tick.count("\n") <= 1 for tick in ticks)
    assert_texts_inside(figure)
    assert_no_missing_glyphs(figure, default_chain())
    assert png_size(keep(figure, "results_9_long_labels", tmp_path)) == (1200, 220 + 9 * 120)


def test_a_long_question_wraps_to_three_lines_at_most_and_the_image_grows(
    tmp_path: Path,
) -> None:
    question = "Which of our spring helmets should we stock in every shop? " * 5
    figure = chart.results_figure(results_of({"aero": 3, "urban": 5}, question=question))
    title = figure.texts[0].get_text()
    assert title.count("\n") == 2 and title.endswith("…")
    assert title.startswith("Which of our spring helmets should we stock in every shop?")
    assert_texts_inside(figure)
    title_box, bars_top = extent(figure.texts[0]), figure.axes[0].bbox.y1
    assert title_box.y0 > bars_top  # above the bars, not over them
    assert png_size(keep(figure, "results_long_question", tmp_path)) == (1200, 220 + 2 * 44 + 240)


def test_emoji_and_cjk_are_drawn_or_dropped_never_boxes(tmp_path: Path) -> None:
    question = "哪款头盔？ Which helmet should we stock this spring? 🚴‍♀️"
    results = results_of({"a": 30, "b": 28, "c": 5}, CJK_AND_EMOJI, question)
    fonts = default_chain()
    figure = chart.results_figure(results)
    assert_texts_inside(figure)
    assert_no_missing_glyphs(figure, fonts)
    keep(figure, "results_emoji_cjk", tmp_path)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    if fonts.covers("自"):  # a CJK font is installed (.ci/run installs one): drawn
        assert ticks[0].startswith("自行车头盔 城市款")
        assert ticks[2].startswith("ヘルメット")
    # 👍🏽 loses its skin tone, 👩‍💻 its joiner: Agg cannot shape them.
    assert "\U0001f3fd" not in ticks[1] and "\u200d" not in ticks[2]

    # Only DejaVu Sans (a bare machine): CJK and emoji are left out, cleanly.
    bare = chain_of([base_font_file()])
    figure = chart.results_figure(results, fonts=bare)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert ticks == ["a", "Casque « urbain »", "c"]  # nothing left to draw: the option id
    assert figure.texts[0].get_text() == "Which helmet should we stock this spring?"
    assert_no_missing_glyphs(figure, bare)
    assert_texts_inside(figure)
    keep(figure, "results_emoji_cjk_dejavu_only", tmp_path)


def test_dollar_signs_are_text_not_math() -> None:
    results = results_of({"a": 1, "b": 2}, {"a": "$20 basic", "b": "$45 pro"})
    figure = chart.results_figure(results)
    assert all(not text.get_parse_math() for text in drawn_texts(figure))
    assert_texts_inside(figure)


def report_days(count: int) -> list[chart.DaySeries]:
    start = date(2026, 3, 1)
    return [
        chart.DaySeries(start + timedelta(days=i), (i * 7) % 23 + 3, (i * 5) % 11 + 2, (i * 3) % 7)
        for i in range(count)
    ]


def test_report_chart(tmp_path: Path) -> None:
    days = report_days(20)
    figure = chart.report_figure(days, "Test Shop: engagement")
    axes = figure.axes[0]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "participants",
        "votes",
        "replies",
    ]
    assert [t.get_text() for t in axes.get_xticklabels()][:3] == ["1 Mar", "4 Mar", "7 Mar"]
    assert png_size(chart.report_chart(days, "x", tmp_path / "r.png")) == (1200, 600)


@pytest.mark.parametrize(
    ("count", "dates"),
    [
        (1, ["1 Mar"]),
        (14, ["1 Mar", "3 Mar", "5 Mar", "7 Mar", "9 Mar", "11 Mar", "13 Mar"]),
        (90, ["1 Mar", "15 Mar", "29 Mar", "12 Apr", "26 Apr", "10 May", "24 May"]),
    ],
)
def test_report_dates_stay_readable_and_the_legend_never_covers_data(
    count: int, dates: list[str], tmp_path: Path
) -> None:
    days = report_days(count)
    title = chart.report_title("Velo Atelier Lyon 🚲", days[0].day, days[-1].day)
    figure = chart.report_figure(days, title)
    axes = figure.axes[0]
    assert_texts_inside(figure)
    assert_no_missing_glyphs(figure, default_chain())
    labels = [label for label in axes.get_xticklabels() if label.get_text()]
    assert [label.get_text() for label in labels] == dates
    assert_apart(labels)
    legend = figure.legends[0].get_window_extent()
    assert not legend.overlaps(axes.bbox)  # the legend is outside the plot
    assert legend.y0 > axes.bbox.y1 and extent(figure.texts[0]).y0 > legend.y1
    keep(figure, f"report_{count}_days", tmp_path)


def test_report_titles_name_the_period_briefly() -> None:
    title = chart.report_title
    assert title("Shop", date(2026, 3, 1), date(2026, 3, 1)) == "Shop: engagement 1 Mar 2026"
    assert title("Shop", date(2026, 3, 1), date(2026, 3, 14)) == "Shop: engagement 1 – 14 Mar 2026"
    assert (
        title("Shop", date(2026, 3, 20), date(2026, 4, 2)) == "Shop: engagement 20 Mar – 2 Apr 2026"
    )
    assert (
        title("Shop", date(2025, 12, 20), date(2026, 1, 2))
        == "Shop: engagement 20 Dec 2025 – 2 Jan 2026"
    )


def test_a_very_long_store_name_is_shortened_in_the_report_title(tmp_path: Path) -> None:
    title = chart.report_title(
        "The " + "Very " * 30 + "Long Bike Shop", date(2026, 3, 1), date(2026, 3, 7)
    )
    figure = chart.report_figure(report_days(7), title)
    assert figure.texts[0].get_text().endswith("…")
    assert_texts_inside(figure)


def test_the_bot_draws_in_a_child_and_never_loads_matplotlib_itself(tmp_path: Path) -> None:
    """A fresh interpreter, like `engagebot run`: after a chart, no matplotlib in it."""
    data = tmp_path / "results.pickle"
    data.write_bytes(pickle.dumps(results_of({"aero": 3, "urban": 5})))
    script = textwrap.dedent(
        f"""
        import pickle, sys
        from pathlib import Path
        from bot.polls import chart

        results = pickle.loads(Path({str(data)!r}).read_bytes())
        path = chart.results_chart_in_child(results, Path({str(tmp_path)!r}) / "child.png")
        print(path.stat().st_size > 10_000, "matplotlib" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
    assert png_size(tmp_path / "child.png") == (1200, 480)


def test_charts_live_next_to_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/engagebot.db"
    assert chart.charts_folder(url, tmp_path) == tmp_path / "data" / "charts"
    assert chart.charts_folder("postgresql://h/db", tmp_path) == tmp_path / "data" / "charts"

"""Charts: valid PNGs of a phone-friendly size, with the right labels, votes and shares."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.config.schema import PollConfig
from bot.polls import chart
from bot.polls.results import PollResults, build_results
from bot.storage.base import PollRecord, PollState, Tally
from tests.results.results_helpers import png_size


def results_of(votes: dict[str, int], labels: dict[str, str] | None = None) -> PollResults:
    labels = labels or {key: key.title() for key in votes}
    poll = PollConfig.model_validate(
        {
            "id": "helmets",
            "question": "Which helmet should we stock this spring?",
            "channels": ["community"],
            "options": [{"id": key, "label": labels[key]} for key in votes],
        }
    )
    tally = Tally("helmets", {k: v for k, v in votes.items() if v}, sum(votes.values()))
    return build_results(poll, PollRecord("helmets", PollState.CLOSED), tally)


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
    assert axes.get_title(loc="left") == "Which helmet should we stock this spring?"
    footer = [text.get_text() for text in figure.texts]
    assert footer == ["50 votes · 50 customers · clear winner"]


def test_results_chart_is_a_png_sized_for_a_phone(tmp_path: Path) -> None:
    for count in (2, 6):
        votes = {f"option{i}": i + 1 for i in range(count)}
        path = chart.results_chart(results_of(votes), tmp_path / "charts" / f"{count}.png")
        width, height = png_size(path)
        assert width == 1200
        assert height == max(480, 220 + 120 * count)
        assert path.stat().st_size > 10_000  # drawn, not blank
    assert not list(tmp_path.glob("charts/*.part"))


def test_long_and_unusual_labels_are_wrapped_and_still_drawn(tmp_path: Path) -> None:
    label = "Trail Pro full-coverage helmet with detachable chin guard and extra-long name"
    results = results_of({"a": 0, "b": 0}, {"a": label, "b": "Casque « urbain » 🚲"})
    figure = chart.results_figure(results)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert ticks[0] == "Trail Pro full-coverage\nhelmet with detachable…"
    assert ticks[1] == "Casque « urbain » 🚲"
    assert [t.get_text() for t in figure.axes[0].texts] == ["0 votes · 0%", "0 votes · 0%"]
    assert png_size(chart.save(figure, tmp_path / "x.png")) == (1200, 480)


def test_report_chart(tmp_path: Path) -> None:
    days = [
        chart.DaySeries(date(2026, 3, 1) + timedelta(days=i), i * 3, i, i % 2) for i in range(20)
    ]
    figure = chart.report_figure(days, "Test Shop: engagement")
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "participants",
        "votes",
        "replies",
    ]
    assert [t.get_text() for t in axes.get_xticklabels()][:2] == ["1 Mar", "3 Mar"]
    assert png_size(chart.report_chart(days, "x", tmp_path / "r.png")) == (1200, 600)


def test_charts_live_next_to_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/engagebot.db"
    assert chart.charts_folder(url, tmp_path) == tmp_path / "data" / "charts"
    assert chart.charts_folder("postgresql://h/db", tmp_path) == tmp_path / "data" / "charts"

"""The results and report charts speak the store's language."""

from __future__ import annotations

from datetime import date

from bot import i18n
from bot.polls import chart
from tests.results.test_results_chart import results_of

NBSP = "\u00a0"


def test_results_chart_in_french() -> None:
    with i18n.use("fr"):
        figure = chart.results_figure(results_of({"aero": 1, "urban": 0, "trail": 3}))
    values = [text.get_text() for text in figure.axes[0].texts]
    assert values == [f"3 votes · 75{NBSP}%", f"1 vote · 25{NBSP}%", f"0 vote · 0{NBSP}%"]
    assert figure.texts[-1].get_text() == "4 votes · 4 clients · pas assez de votes"


def test_report_chart_in_french() -> None:
    days = [chart.DaySeries(date(2026, 3, d), 3, 2, 1) for d in (1, 2)]
    with i18n.use("fr"):
        figure = chart.report_figure(days, "Participation")
    axes = figure.axes[0]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "participants",
        "votes",
        "réponses",
    ]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["1 mars", "2 mars"]

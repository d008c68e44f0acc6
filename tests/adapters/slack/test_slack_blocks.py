"""Block Kit layouts against Slack's documented limits, for the largest poll the config
allows on Slack (limits.SLACK), checked by the same rules the fake Slack enforces."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.limits import SLACK
from bot.adapters.slack import blocks
from bot.core.actions import encode_vote
from bot.core.content import (
    Button,
    Image,
    PollMessage,
    ProductCard,
    ResultRow,
    ResultsMessage,
    TallyBar,
)
from tests.adapters.slack.fake_slack import block_problems


def biggest_poll(state: str = "open") -> PollMessage:
    cards = tuple(
        ProductCard(
            number=n,
            option_id=f"option-{n}",
            label=("L" * 70 + f"{n:05d}")[: SLACK.max_label_length],
            button=Button("x" * SLACK.max_label_length, encode_vote("p" * 32, f"option-{n}")),
            image=Image(url="https://example.com/" + "i" * 200 + ".png")
            if n % 2
            else Image(path=Path("/shop/images/local.png")),
            price="€1,234.00",
            description="<b>&" * 125,  # 500 characters, the config's maximum
            link="https://example.com/product?a=1|2>3",
            tally=TallyBar(10**6, 1 / 15),
        )
        for n in range(1, SLACK.max_options + 1)
    )
    return PollMessage(
        poll_id="p" * 32,
        title="Q" * 300,  # the config's maximum question length
        description="D" * 1000,
        cards=cards,
        state=state,
        footer="Pick up to 15 · 12 voters",
        total_votes=15 * 10**6,
        voters=12,
    )


def test_largest_allowed_poll_fits_slack_limits() -> None:
    layout = blocks.poll_blocks(biggest_poll())
    assert block_problems(layout) == []
    assert len(layout) == 3 * SLACK.max_options + 3 <= blocks.MAX_BLOCKS
    assert layout[1]["text"]["text"].startswith("*" + "Q" * 300 + "*\n" + "D" * 1000)
    card = layout[3]["text"]["text"]
    assert "&lt;b&gt;&amp;" in card and "<b>" not in card  # customer text is not markup
    assert "<https://example.com/product?a=1%7C2%3E3|View product>" in card
    # "Vote: " plus a 75-character label would be too long: the label alone is used.
    assert layout[4]["elements"][0]["text"]["text"] == "x" * 75


def test_closed_poll_has_no_buttons() -> None:
    layout = blocks.poll_blocks(biggest_poll("closed"))
    assert block_problems(layout) == []
    assert "actions" not in [b["type"] for b in layout]


def test_results_fit_slack_limits() -> None:
    rows = tuple(ResultRow(f"o{n}", "R" * 200, 10**6, 1 / 15, is_winner=n == 1) for n in range(50))
    results = ResultsMessage(
        "p",
        "T" * 400,
        rows,
        "H" * 500,
        10**6,
        10**6,
        ("d",) * 10,
        chart=Image(url="https://example.com/chart.png"),
    )
    layout = blocks.results_blocks(results)
    assert block_problems(layout) == []
    sections = [b["text"]["text"] for b in layout[2:] if b["type"] == "section"]
    assert sum(text.count("\n") + 1 for text in sections) == 50  # every row, none cut
    assert layout[-2] == {
        "type": "image",
        "image_url": "https://example.com/chart.png",
        "alt_text": "T" * 400,
    }

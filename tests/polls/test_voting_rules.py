"""The pure vote rules: what a click or a selection does to a customer's ballot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config.schema import PollConfig
from bot.core.refs import UserRef
from bot.polls.voting import (
    CHANGE_NOT_ALLOWED,
    DUPLICATE_CHOICE,
    EMPTY,
    TOO_MANY,
    UNKNOWN_OPTION,
    decide_click,
    decide_selection,
)
from bot.storage.base import Ballot, Rejection

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def make_poll(**overrides: Any) -> PollConfig:
    fields: dict[str, Any] = {
        "id": "helmets",
        "question": "Which helmet?",
        "channels": ["community"],
        "options": [
            {"id": "a", "label": "A"},
            {"id": "b", "label": "B"},
            {"id": "c", "label": "C"},
        ],
    }
    fields.update(overrides)
    return PollConfig.model_validate(fields)


def ballot(*options: str) -> Ballot:
    return Ballot("helmets", UserRef("console", "ann"), options, NOW, NOW)


def code(outcome: tuple[str, ...] | Rejection) -> str:
    assert isinstance(outcome, Rejection), outcome
    return outcome.code


def test_single_choice_first_vote_and_change() -> None:
    poll = make_poll()
    assert decide_click(poll, "a", None) == ("a",)
    assert decide_click(poll, "b", ballot("a")) == ("b",)
    assert decide_click(poll, "a", ballot("a")) == ("a",)


def test_single_choice_change_forbidden_but_repeat_is_fine() -> None:
    poll = make_poll(allow_change=False)
    assert code(decide_click(poll, "b", ballot("a"))) == CHANGE_NOT_ALLOWED
    assert decide_click(poll, "a", ballot("a")) == ("a",)


def test_unknown_option_is_refused() -> None:
    assert code(decide_click(make_poll(), "zzz", None)) == UNKNOWN_OPTION
    assert code(decide_selection(make_poll(), ("a", "zzz"), None)) == UNKNOWN_OPTION


def test_multiple_choice_toggles_in_config_order() -> None:
    poll = make_poll(max_choices=2)
    assert decide_click(poll, "c", None) == ("c",)
    assert decide_click(poll, "a", ballot("c")) == ("a", "c")
    assert code(decide_click(poll, "b", ballot("a", "c"))) == TOO_MANY
    assert decide_click(poll, "a", ballot("a", "c")) == ("c",)
    assert decide_click(poll, "c", ballot("c")) == ()


def test_multiple_choice_without_change_can_only_grow() -> None:
    poll = make_poll(max_choices=2, allow_change=False)
    assert decide_click(poll, "b", ballot("a")) == ("a", "b")
    assert code(decide_click(poll, "a", ballot("a"))) == CHANGE_NOT_ALLOWED
    assert decide_selection(poll, ("a", "b"), ballot("a")) == ("a", "b")
    assert code(decide_selection(poll, ("b",), ballot("a"))) == CHANGE_NOT_ALLOWED


@pytest.mark.parametrize(
    ("selection", "expected"),
    [((), EMPTY), (("a", "a"), DUPLICATE_CHOICE), (("a", "b", "c"), TOO_MANY)],
)
def test_bad_selections(selection: tuple[str, ...], expected: str) -> None:
    assert code(decide_selection(make_poll(max_choices=2), selection, None)) == expected


def test_selection_replaces_ballot() -> None:
    poll = make_poll(max_choices=2)
    assert decide_selection(poll, ("c", "a"), ballot("b")) == ("a", "c")

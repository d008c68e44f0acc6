"""Pure vote rules: given a poll, the voter's current ballot and what they clicked, decide
the new selection or why it is refused. Runs inside the storage write transaction."""

from __future__ import annotations

from bot.config.schema import PollConfig
from bot.storage.base import Ballot, Rejection

CHANGE_NOT_ALLOWED = "change_not_allowed"
TOO_MANY = "too_many"
UNKNOWN_OPTION = "unknown_option"
EMPTY = "empty"
DUPLICATE_CHOICE = "duplicate_choice"


def in_config_order(poll: PollConfig, chosen: set[str]) -> tuple[str, ...]:
    """Selections are kept in config order so equal choices compare equal."""
    return tuple(option.id for option in poll.options if option.id in chosen)


def decide_click(
    poll: PollConfig, option_id: str, current: Ballot | None
) -> tuple[str, ...] | Rejection:
    """A button click. Single choice: the click is the vote. Multiple choice: the click
    toggles that option, up to max_choices. Without allow_change a choice once made
    stays; in a multiple-choice poll more choices may still be added up to the limit."""
    if option_id not in poll.option_ids:
        return Rejection(UNKNOWN_OPTION, option_id)
    chosen = set(current.options) if current else set()
    if poll.is_single_choice:
        if chosen and chosen != {option_id} and not poll.allow_change:
            return Rejection(CHANGE_NOT_ALLOWED)
        return (option_id,)
    if option_id in chosen:
        if not poll.allow_change:
            return Rejection(CHANGE_NOT_ALLOWED)
        return in_config_order(poll, chosen - {option_id})
    if len(chosen) >= poll.max_choices:
        return Rejection(TOO_MANY)
    return in_config_order(poll, chosen | {option_id})


def decide_selection(
    poll: PollConfig, selection: tuple[str, ...], current: Ballot | None
) -> tuple[str, ...] | Rejection:
    """A whole selection at once (console `/vote POLL A B`): it replaces the ballot."""
    unknown = [choice for choice in selection if choice not in poll.option_ids]
    if unknown:
        return Rejection(UNKNOWN_OPTION, unknown[0])
    if not selection:
        return Rejection(EMPTY)
    if len(set(selection)) != len(selection):
        return Rejection(DUPLICATE_CHOICE)
    if len(selection) > poll.max_choices:
        return Rejection(TOO_MANY)
    new = in_config_order(poll, set(selection))
    changed = current is not None and current.options != new
    only_grows = current is not None and set(current.options) <= set(new)
    if changed and not poll.allow_change and (poll.is_single_choice or not only_grows):
        return Rejection(CHANGE_NOT_ALLOWED)
    return new

"""Staff commands shared by every platform: polls, results, open, close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import messages
from bot.core.events import CommandInvoked
from bot.errors import PollError
from bot.polls.service import CloseOutcome, PollService
from bot.polls.text import poll_line, results_text

COMMANDS = ("polls", "results", "open", "close")
USAGE = {"results": "results POLL", "open": "open POLL", "close": "close POLL"}

# Called after a poll opened or closed so the app posts it or announces its results now.
AfterChange = Callable[[], Awaitable[None]]


async def run_command(
    service: PollService, command: CommandInvoked, after_change: AfterChange
) -> str:
    """Execute a staff command and return the private reply text."""
    name = command.name
    if name not in COMMANDS:
        return messages.UNKNOWN_COMMAND.format(command=name, commands=", ".join(COMMANDS))
    if not command.is_staff:
        return messages.NOT_STAFF.format(action=messages.STAFF_ACTIONS[name])
    zone = service.config.zone
    if name == "polls":
        if not service.polls:
            return messages.NO_POLLS.format()
        lines = [poll_line(await service.results(p.id), zone) for p in service.polls]
        return "\n".join(lines)
    if len(command.args) != 1:
        return messages.COMMAND_USAGE.format(usage=USAGE[name])
    poll_id = command.args[0]
    try:
        if name == "results":
            return results_text(await service.results(poll_id), zone)
        question = service.poll(poll_id).question
        if name == "open":
            if not await service.open(poll_id, by=command.user.key):
                return messages.POLL_ALREADY_OPEN.format(poll_id=poll_id)
            await after_change()
            return messages.POLL_OPENED.format(question=question, poll_id=poll_id)
        outcome = await service.close(poll_id, by=command.user.key)
        if outcome is CloseOutcome.ALREADY_CLOSED:
            return messages.POLL_ALREADY_CLOSED.format(poll_id=poll_id)
        if outcome is CloseOutcome.CANCELLED:
            return messages.POLL_CANCELLED.format(question=question, poll_id=poll_id)
        await after_change()
        return messages.POLL_CLOSED_NOW.format(question=question, poll_id=poll_id)
    except PollError as refusal:
        return str(refusal)

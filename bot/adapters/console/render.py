"""Neutral content as terminal text."""

from __future__ import annotations

import os

from bot import i18n, messages
from bot.core.content import Image, PollMessage, PromptMessage, ResultsMessage, TextMessage
from bot.polls.text import bar

RULE = "─" * 60


def image_text(image: Image) -> str:
    if image.path is not None:
        try:
            relative = os.path.relpath(image.path)
        except ValueError:  # another drive on Windows
            return str(image.path)
        return str(image.path) if relative.startswith("..") else relative
    return image.url or ""


def poll_card(poll: PollMessage, channel: str) -> str:
    lines = [RULE, f"📊 {poll.title}   [{poll.poll_id}] #{channel}"]
    if poll.description:
        lines.append(poll.description)
    lines.append("")
    is_open = poll.state == "open"
    for card in poll.cards:
        head = f"  {card.number}) {card.label} [{card.option_id}]"
        if card.price:
            head += f" — {card.price}"
        if card.tally is not None:
            head += f"   {bar(card.tally.share, 10)} {i18n.number(card.tally.votes)}"
        lines.append(head)
        if card.description:
            lines.append(f"     {card.description}")
        if card.image:
            lines.append(f"     {messages.CONSOLE_IMAGE.format(image=image_text(card.image))}")
        if card.link:
            lines.append(f"     {messages.CONSOLE_LINK.format(link=card.link)}")
        if is_open:
            hint = messages.CONSOLE_CARD_HINT.format(
                number=card.number, poll=poll.poll_id, option=card.option_id
            )
            lines.append(f"     → {hint}")
    lines.append(poll.footer)
    if is_open:
        lines.append(messages.CONSOLE_HOW_TO_VOTE.format(count=len(poll.cards), poll=poll.poll_id))
    lines.append(RULE)
    return "\n".join(lines)


def number_hint(poll: PollMessage) -> str:
    return messages.CONSOLE_TYPE_A_NUMBER.format(count=len(poll.cards), poll=poll.poll_id)


def help_text(user: str) -> str:
    return messages.CONSOLE_HELP.format(user=user)


def unknown_command(name: str, user: str) -> str:
    return messages.CONSOLE_UNKNOWN_COMMAND.format(command=name) + "\n" + help_text(user)


def console_wording(text: str) -> str:
    """Shared replies speak of buttons and clicks; a terminal has neither. Both sides are
    catalog texts, so the rewording works in every language (tests/i18n checks it)."""
    for chat_words, console_words in messages.CONSOLE_WORDING:
        text = text.replace(chat_words.format(), console_words.format())
    return text


def tally_line(poll: PollMessage, channel: str) -> str:
    where = f"[#{channel} {poll.poll_id}]"
    said = messages.CONSOLE_FINAL_TALLY if poll.state == "closed" else messages.CONSOLE_TALLY
    prefix = f"{where} {said.format()}"
    if not poll.results_visible:
        return f"{where} {poll.footer}"
    parts = [
        f"{card.label} {i18n.number(card.tally.votes)} ({i18n.percent(card.tally.share)})"
        for card in poll.cards
        if card.tally is not None
    ]
    votes = messages.votes(poll.total_votes)
    return f"{prefix} " + " · ".join(parts) + f" — {votes}"


def results_post(results: ResultsMessage, channel: str) -> str:
    width = max((len(row.label) for row in results.rows), default=0)
    lines = [RULE, f"🏁 {results.title}   [{results.poll_id}] #{channel}", results.headline]
    for row in results.rows:
        mark = " 🏆" if row.is_winner else ""
        lines.append(
            f"  {row.label:<{width}}  {bar(row.share)} {row.votes:>4} "
            f"({i18n.percent(row.share)}){mark}"
        )
    lines.extend(f"  {detail}" for detail in results.details)
    if results.chart is not None:
        lines.append(f"  {messages.CONSOLE_CHART.format(image=image_text(results.chart))}")
    lines.append(RULE)
    return "\n".join(lines)


def text_post(message: TextMessage, channel: str) -> str:
    text = f"#{channel}: {message.text}"
    if message.image:
        text += f"\n     {messages.CONSOLE_IMAGE.format(image=image_text(message.image))}"
    return text


def prompt_post(prompt: PromptMessage, channel: str) -> str:
    lines = [f"💬 #{channel} [{prompt.prompt_id}] {prompt.text}"]
    if prompt.image:
        lines.append(f"     {messages.CONSOLE_IMAGE.format(image=image_text(prompt.image))}")
    if prompt.open_thread:
        hint = messages.CONSOLE_REPLIES_IN_THREAD.format(thread=prompt.thread_name)
    else:
        hint = messages.CONSOLE_REPLIES_IN_CHANNEL.format()
    lines.append(f"     {hint}")
    return "\n".join(lines)

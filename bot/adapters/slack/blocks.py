"""Neutral content as Block Kit: pure functions, no network, so layouts are testable.

A poll is a header, the description, then one product card per option — a divider, a
section (name, price, text, link, tally) with the photo as its image accessory, and an
actions block with the vote button — and a context footer. Three blocks per card keeps
15 options within Slack's 50 blocks (limits.SLACK.max_options). A closed poll has no
actions blocks: its buttons are removed.

Photos given as local files have no public URL; the adapter uploads them into the
message's thread (see uploads.py) and the card says so."""

from __future__ import annotations

from typing import Any

from bot import i18n, messages
from bot.core.content import (
    Content,
    Image,
    PollMessage,
    ProductCard,
    PromptMessage,
    ResultsMessage,
    TextMessage,
)
from bot.polls.text import bar

Block = dict[str, Any]

# Slack's documented maxima (Block Kit reference).
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_ALT_TEXT = 2000
MAX_FALLBACK_TEXT = 4000
BAR_WIDTH = 10


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """mrkdwn treats &, < and > as markup; user-written text must not."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{escape(label)}>"


def chunks(lines: list[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Lines joined into texts of at most limit characters, never cutting a line."""
    texts: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def public_url(image: Image | None) -> str | None:
    return image.url if image is not None and image.url else None


def local_images(content: Content) -> list[tuple[str, Image]]:
    """(title, image) for every image the adapter has to upload for this content."""
    found: list[tuple[str, Image]] = []
    if isinstance(content, PollMessage):
        for card in content.cards:
            if card.image is not None and card.image.path is not None and not card.image.url:
                found.append((f"{card.number}. {card.label}", card.image))
    elif isinstance(content, ResultsMessage):
        if content.chart is not None and content.chart.path is not None:
            found.append((content.title, content.chart))
    elif (
        isinstance(content, TextMessage | PromptMessage)
        and content.image is not None
        and content.image.path is not None
        and not content.image.url
    ):
        found.append(("", content.image))
    return found


# -- polls ------------------------------------------------------------------------------


def poll_blocks(poll: PollMessage) -> list[Block]:
    heading = f"📊 {poll.title}"
    blocks: list[Block] = [{"type": "header", "text": plain(heading, MAX_HEADER)}]
    intro = [escape(poll.description)] if poll.description else []
    if len(heading) > MAX_HEADER:  # a long question is cut in the header: show it whole
        intro.insert(0, f"*{escape(poll.title)}*")
    if intro:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(intro))})
    voting = poll.state != "closed"
    for card in poll.cards:
        blocks.append({"type": "divider"})
        blocks.append(_card_section(card))
        if voting:
            blocks.append({"type": "actions", "elements": [_vote_button(card)]})
    blocks.append({"type": "context", "elements": [mrkdwn(_footer(poll))]})
    return blocks


def _card_section(card: ProductCard) -> Block:
    head = f"*{card.number}. {escape(card.label)}*"
    if card.price:
        head += f"  ·  {escape(card.price)}"
    lines = [head]
    if card.description:
        lines.append(escape(card.description))
    extras = []
    if card.link:
        extras.append(link(card.link, messages.SLACK_PRODUCT_LINK.format()))
    if card.image is not None and card.image.path is not None and not card.image.url:
        extras.append(messages.SLACK_PHOTO_IN_THREAD.format())
    if extras:
        lines.append("  ·  ".join(extras))
    if card.tally is not None:
        tally = messages.CARD_TALLY.format(
            votes=messages.votes(card.tally.votes), share=i18n.percent(card.tally.share)
        )
        lines.append(f"`{bar(card.tally.share, BAR_WIDTH)}`  {tally}")
    section: Block = {"type": "section", "text": mrkdwn("\n".join(lines))}
    url = public_url(card.image)
    if url:
        section["accessory"] = {
            "type": "image",
            "image_url": url,
            "alt_text": clip(card.label, MAX_ALT_TEXT),
        }
    return section


def _vote_button(card: ProductCard) -> Block:
    button: Block = {
        "type": "button",
        "text": plain(_button_text(card.button.label), MAX_BUTTON_TEXT),
        "action_id": card.button.action_id,
        "value": card.option_id,
    }
    if card.button.selected:
        button["style"] = "primary"
    return button


def _button_text(label: str) -> str:
    """ "Vote: <label>" where it fits; the label alone (checked at config load) otherwise."""
    text = messages.SLACK_VOTE_BUTTON.format(label=label)
    return text if len(text) <= MAX_BUTTON_TEXT else label


def _footer(poll: PollMessage) -> str:
    parts = [escape(poll.footer)] if poll.footer else []
    if poll.results_visible:
        total = poll.total_votes
        parts.append(messages.votes(total))
    return "  ·  ".join(parts) or " "


def poll_text(poll: PollMessage) -> str:
    """Notification and screen-reader text; Slack shows the blocks."""
    options = ", ".join(card.label for card in poll.cards)
    text = messages.SLACK_POLL_CLOSED if poll.state == "closed" else messages.SLACK_POLL
    return clip(text.format(title=poll.title, options=options), MAX_FALLBACK_TEXT)


# -- results, text, prompts -------------------------------------------------------------


def results_blocks(results: ResultsMessage) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"🏁 {results.title}", MAX_HEADER)},
        {"type": "section", "text": mrkdwn(f"*{escape(results.headline)}*")},
    ]
    rows = []
    for row in results.rows:
        mark = " 🏆" if row.is_winner else ""
        rows.append(
            f"`{bar(row.share, BAR_WIDTH)}`  *{escape(clip(row.label, 200))}*  "
            f"{i18n.number(row.votes)} ({i18n.percent(row.share)}){mark}"
        )
    blocks.extend({"type": "section", "text": mrkdwn(text)} for text in chunks(rows))
    url = public_url(results.chart)
    if url:
        blocks.append({"type": "image", "image_url": url, "alt_text": clip(results.title, 2000)})
    details = [escape(d) for d in results.details]
    if results.chart is not None and not url:
        details.append(messages.SLACK_CHART_IN_THREAD.format())
    if details:
        blocks.append({"type": "context", "elements": [mrkdwn("\n".join(details))]})
    return blocks


def results_text(results: ResultsMessage) -> str:
    return clip(f"🏁 {results.title}: {results.headline}", MAX_FALLBACK_TEXT)


def text_blocks(text: str, image: Image | None, hint: str | None = None) -> list[Block]:
    blocks: list[Block] = [{"type": "section", "text": mrkdwn(escape(text))}]
    url = public_url(image)
    if url:
        blocks.append({"type": "image", "image_url": url, "alt_text": clip(text, MAX_ALT_TEXT)})
    notes = [hint] if hint else []
    if image is not None and not url:
        notes.append(messages.SLACK_IMAGE_IN_THREAD.format())
    if notes:
        blocks.append({"type": "context", "elements": [mrkdwn("  ·  ".join(notes))]})
    return blocks


def prompt_blocks(prompt: PromptMessage) -> list[Block]:
    hint = None
    if prompt.open_thread:
        name = f"*{escape(prompt.thread_name)}* — " if prompt.thread_name else ""
        hint = name + messages.SLACK_REPLY_IN_THREAD.format()
    return text_blocks(prompt.text, prompt.image, hint)


def render(content: Content) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for any neutral content."""
    if isinstance(content, PollMessage):
        return poll_text(content), poll_blocks(content)
    if isinstance(content, ResultsMessage):
        return results_text(content), results_blocks(content)
    if isinstance(content, PromptMessage):
        return clip(content.text, MAX_FALLBACK_TEXT), prompt_blocks(content)
    return clip(content.text, MAX_FALLBACK_TEXT), text_blocks(content.text, content.image)

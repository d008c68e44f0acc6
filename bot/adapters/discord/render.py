"""Neutral content as Discord Components V2 layouts.

Why Components V2 rather than embeds: with embeds every vote button sits in action rows
below *all* the cards, so a customer has to match "button 3" to "embed 3". A V2 layout
keeps each card together — name, price, text and live tally in a Section whose accessory
is that product's vote button, the photo full width right under it (Media Gallery) — at
4 components per card: 3 + 4 × 9 options = 39 of the 40 a message may hold.

Local image files are uploaded with the first post and referenced as
`attachment://<name>`; the names are derived from the option id (not the file), so an
edit — from this process or a later one — refers to the same attachment without
uploading it again. URLs are used directly."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord import ui
from discord.utils import escape_markdown

from bot import messages
from bot.adapters.discord.items import vote_button
from bot.core.content import (
    Content,
    Image,
    PollMessage,
    ProductCard,
    ResultsMessage,
)
from bot.polls.text import bar

log = logging.getLogger(__name__)

MAX_COMPONENTS = 40  # per message, nested ones included
MAX_TEXT = 4000  # display characters across all Text Displays of a message
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # Discord's upload limit for bots without boosts
BAR_WIDTH = 12
OPEN_COLOUR = discord.Colour.blurple()
CLOSED_COLOUR = discord.Colour.greyple()
RESULTS_COLOUR = discord.Colour.gold()
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")


@dataclass
class Rendered:
    """A layout plus the local files it references (uploaded on the first post only)."""

    view: ui.LayoutView
    uploads: dict[str, Path] = field(default_factory=dict)

    def files(self) -> list[discord.File]:
        return [discord.File(path, filename=name) for name, path in self.uploads.items()]


def render(content: Content) -> Rendered:
    if isinstance(content, PollMessage):
        return poll_layout(content)
    if isinstance(content, ResultsMessage):
        return results_layout(content)
    return _text_layout(content.text, content.image)  # TextMessage, PromptMessage


# -- polls ------------------------------------------------------------------------------


def poll_layout(poll: PollMessage) -> Rendered:
    rendered = Rendered(ui.LayoutView(timeout=None))
    closed = poll.state != "open"
    header = f"## {escape_markdown(poll.title)}"
    if poll.description:
        header += f"\n{poll.description}"
    footer = f"-# {poll.footer}" if poll.footer else ""
    fixed = len(header) + len(footer)
    texts = _fit_cards(poll.cards, MAX_TEXT - fixed)

    blocks: list[list[ui.Item[Any]]] = []
    for card, text in zip(poll.cards, texts, strict=True):
        button = vote_button(
            card.button.action_id,
            label=messages.DISCORD_VOTE_BUTTON,
            disabled=card.button.disabled or closed,
        )
        block: list[ui.Item[Any]] = [ui.Section(ui.TextDisplay(text), accessory=button)]
        media = _media(rendered, card.image, card.option_id)
        if media is not None:
            block.append(ui.MediaGallery(discord.MediaGalleryItem(media, description=card.label)))
        blocks.append(block)

    # Container + header + footer, then the cards; dividers only where they still fit.
    used = 2 + (1 if footer else 0) + sum(_count(item) for block in blocks for item in block)
    dividers = used + len(blocks) - 1 <= MAX_COMPONENTS
    colour = CLOSED_COLOUR if closed else OPEN_COLOUR
    container: ui.Container[ui.LayoutView] = ui.Container(accent_colour=colour)
    container.add_item(ui.TextDisplay(header))
    for index, block in enumerate(blocks):
        if index and dividers:
            container.add_item(ui.Separator())
        for item in block:
            container.add_item(item)
    if footer:
        container.add_item(ui.TextDisplay(footer))
    rendered.view.add_item(container)
    return rendered


def card_text(card: ProductCard, description_limit: int | None = None) -> str:
    head = f"**{card.number}. {escape_markdown(card.label)}**"
    if card.price:
        head += f" · {card.price}"
    lines = [head]
    if card.description:
        lines.append(_clip(card.description, description_limit))
    if card.link:
        lines.append(f"[{messages.DISCORD_PRODUCT_LINK}]({card.link})")
    if card.tally is not None:
        votes, share = card.tally.votes, card.tally.share
        word = "vote" if votes == 1 else "votes"
        lines.append(f"`{bar(share, BAR_WIDTH)}` **{votes}** {word} · {share:.0%}")
    return "\n".join(line for line in lines if line)


def _fit_cards(cards: tuple[ProductCard, ...], budget: int) -> list[str]:
    """Card texts within the message's text budget: long descriptions are shortened
    evenly (the longest first) so names, prices and tallies always show."""
    texts = [card_text(card) for card in cards]
    if sum(map(len, texts)) <= budget:
        return texts
    lengths = [len(card.description or "") for card in cards]
    fixed = sum(map(len, texts)) - sum(lengths)
    room = max(0, budget - fixed)
    limit = max(lengths)
    while limit > 0 and sum(min(n, limit) for n in lengths) > room:
        limit -= 1
    return [card_text(card, limit) for card in cards]


# -- results, prompts, plain text -------------------------------------------------------


def results_layout(results: ResultsMessage) -> Rendered:
    rendered = Rendered(ui.LayoutView(timeout=None))
    container: ui.Container[ui.LayoutView] = ui.Container(accent_colour=RESULTS_COLOUR)
    title = escape_markdown(results.title)
    container.add_item(ui.TextDisplay(f"## 🏁 {title}\n{results.headline}"))
    rows = []
    for row in results.rows:
        mark = "🏆 " if row.is_winner else ""
        rows.append(
            f"{mark}**{escape_markdown(row.label)}** `{bar(row.share, BAR_WIDTH)}` "
            f"{row.votes} ({row.share:.0%})"
        )
    if rows:
        container.add_item(ui.TextDisplay("\n".join(rows)))
    media = _media(rendered, results.chart, "chart")
    if media is not None:
        container.add_item(ui.MediaGallery(discord.MediaGalleryItem(media)))
    if results.details:
        container.add_item(ui.TextDisplay("-# " + " · ".join(results.details)))
    rendered.view.add_item(container)
    return rendered


def _text_layout(text: str, image: Image | None) -> Rendered:
    rendered = Rendered(ui.LayoutView(timeout=None))
    rendered.view.add_item(ui.TextDisplay(_clip(text, MAX_TEXT)))
    media = _media(rendered, image, "image")
    if media is not None:
        rendered.view.add_item(ui.MediaGallery(discord.MediaGalleryItem(media)))
    return rendered


# -- helpers ----------------------------------------------------------------------------


def _media(rendered: Rendered, image: Image | None, stem: str) -> str | None:
    """The URL to show: a public URL as is, a local file as an attachment reference."""
    if image is None:
        return None
    if image.url:
        return image.url
    if image.path is None or not _uploadable(image.path):
        return None
    suffix = image.path.suffix.lower()
    name = stem + (suffix if _SUFFIX.match(suffix) else "")
    rendered.uploads[name] = image.path
    return f"attachment://{name}"


def _uploadable(path: Path) -> bool:
    try:
        size = path.stat().st_size
    except OSError:
        _warn_once(path, "image %s cannot be read; it is not shown on Discord")
        return False
    if size > MAX_UPLOAD_BYTES:
        _warn_once(path, "image %s is over Discord's 10 MB upload limit; it is not shown")
        return False
    return True


_warned: set[Path] = set()


def _warn_once(path: Path, text: str) -> None:
    # Polls are re-rendered for every tally edit: say it once, not every two seconds.
    if path not in _warned:
        _warned.add(path)
        log.warning(text, path)


def _count(item: ui.Item[Any]) -> int:
    """Components an item adds to the message's budget of 40 (children included)."""
    if isinstance(item, ui.Section):
        return 1 + len(item.children) + 1  # the section, its texts, its accessory
    return 1


def _clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…" if limit > 0 else ""

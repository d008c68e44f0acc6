"""Neutral content as Discord Components V2 layouts.

Why Components V2 rather than embeds: with embeds every vote button sits in action rows
below *all* the cards, so a customer has to match "button 3" to "embed 3". A V2 layout
keeps each card together — name, price, text and live tally in a Section whose accessory
is that product's vote button, the photo full width right under it (Media Gallery) — at
4 components per card: 3 + 4 × 9 options = 39 of the 40 a message may hold.

Local image files are uploaded with the first post and referenced as
`attachment://<name>`, the name derived from the option id (not the file). An edit
uploads nothing: it lists the attachments already on the message to keep (by id, as
Discord's Edit Message asks) and refers to those only. URLs are used directly.

Discord refuses a whole message (400, or 413 for the upload) when it breaks a limit, and
the app would retry the same refused post every few seconds: the text is fitted to the
4000-character budget and the uploads to the request size here, before sending."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord import ui
from discord.utils import escape_markdown

from bot import i18n, messages
from bot.adapters.discord.items import Layout, vote_button
from bot.adapters.discord.media import KeptAttachment
from bot.core.content import (
    Content,
    Image,
    PollMessage,
    ProductCard,
    ResultsMessage,
)
from bot.core.media import uploadable_size
from bot.polls.text import bar

log = logging.getLogger(__name__)

MAX_COMPONENTS = 40  # per message, nested ones included
MAX_TEXT = 4000  # display characters across all Text Displays of a message
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # Discord's upload limit for bots without boosts
# Discord refuses a request over 25 MiB in all (413); the JSON part needs a little room.
MAX_POST_UPLOAD = 24 * 1024 * 1024
LONG_LINK = 200  # characters; a link this long is mostly tracking, dropped when short of room
BAR_WIDTH = 12
OPEN_COLOUR = discord.Colour.blurple()
CLOSED_COLOUR = discord.Colour.greyple()
RESULTS_COLOUR = discord.Colour.gold()
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")


@dataclass
class Rendered:
    """A layout plus the local files it uploads (a new post) or the attachments already
    on the message it keeps (an edit)."""

    view: ui.LayoutView
    # None: a new post, local files are uploaded. A mapping: an edit of a message holding
    # these attachments (name -> id); only those can be shown, nothing is uploaded.
    attached: Mapping[str, int] | None = None
    uploads: dict[str, Path] = field(default_factory=dict)
    upload_bytes: int = 0
    kept: dict[str, int] = field(default_factory=dict)
    left_out: list[Path] = field(default_factory=list)  # over the request size

    def files(self) -> list[discord.File]:
        return [discord.File(path, filename=name) for name, path in self.uploads.items()]

    def keep(self) -> list[KeptAttachment]:
        return [KeptAttachment(id, name) for name, id in self.kept.items()]


def render(
    content: Content, attached: Mapping[str, int] | None = None, marker: int | None = None
) -> Rendered:
    """`attached`: for an edit, the attachments the message already holds by name.
    `marker`: the post's claim marker (see marker.py), set as the id of its first
    top-level component."""
    rendered = Rendered(Layout(timeout=None), attached)
    if isinstance(content, PollMessage):
        poll_layout(rendered, content)
    elif isinstance(content, ResultsMessage):
        results_layout(rendered, content)
    else:
        _text_layout(rendered, content.text, content.image)  # TextMessage, PromptMessage
    if marker is not None:
        rendered.view.children[0].id = marker
    if rendered.left_out:
        _warn_once(
            tuple(rendered.left_out),
            "images %s are not shown on Discord: a post may upload at most 24 MB in all",
        )
    return rendered


# -- polls ------------------------------------------------------------------------------


def poll_layout(rendered: Rendered, poll: PollMessage) -> None:
    closed = poll.state != "open"
    header, texts, footer = fit_poll_texts(poll)

    blocks: list[list[ui.Item[Any]]] = []
    for card, text in zip(poll.cards, texts, strict=True):
        button = vote_button(
            card.button.action_id,
            label=messages.DISCORD_VOTE_BUTTON.format(),
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


def card_text(card: ProductCard, description_limit: int | None = None, links: str = "full") -> str:
    """links: "full" (a named link), "short", "no-long" (short, very long URLs left
    out) or "none"."""
    head = f"**{card.number}. {escape_markdown(card.label)}**"
    if card.price:
        head += f" · {card.price}"
    lines = [head]
    if card.description:
        lines.append(_clip(card.description, description_limit))
    if card.link and links == "full":
        lines.append(f"[{messages.DISCORD_PRODUCT_LINK}]({card.link})")
    elif card.link and (links == "short" or (links == "no-long" and len(card.link) <= LONG_LINK)):
        lines.append(f"[{messages.DISCORD_PRODUCT_LINK_SHORT}]({card.link})")
    if card.tally is not None:
        votes, share = card.tally.votes, card.tally.share
        tally = messages.DISCORD_CARD_TALLY.format(votes, share=i18n.percent(share))
        lines.append(f"`{bar(share, BAR_WIDTH)}` {tally}")
    return "\n".join(line for line in lines if line)


def fit_poll_texts(poll: PollMessage) -> tuple[str, list[str], str]:
    """Header, card texts and footer within the message's 4000 characters (all of it
    counts, link URLs too). When over: shorter link labels, then very long links left
    out, then descriptions shortened evenly (longest first), then no links; names,
    prices and tallies stay. Clipping the longest texts is the last resort."""
    header = f"## {escape_markdown(poll.title)}"
    if poll.description:
        header += f"\n{poll.description}"
    footer = f"-# {poll.footer}" if poll.footer else ""
    room = MAX_TEXT - len(header) - len(footer)
    texts: list[str] = []
    for links in ("full", "short", "no-long"):
        texts = [card_text(card, links=links) for card in poll.cards]
        if _size(texts) <= room:
            return header, texts, footer
    for links in ("no-long", "none"):

        def shortened(limit: int, links: str = links) -> list[str]:
            return [card_text(card, limit, links) for card in poll.cards]

        texts = shortened(_largest(lambda n: _size(shortened(n)) <= room))
        if _size(texts) <= room:
            return header, texts, footer
    everything = [header, *texts, footer]
    cap = _largest(lambda n: _size([_clip(t, n) for t in everything]) <= MAX_TEXT)
    clipped = [_clip(text, cap) for text in everything]
    return clipped[0], clipped[1:-1], clipped[-1]


def _size(texts: list[str]) -> int:
    return sum(map(len, texts))


def _largest(fits: Callable[[int], bool], high: int = MAX_TEXT) -> int:
    """The largest n in 0..high with fits(n) (fits must only turn false as n grows)."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


# -- results, prompts, plain text -------------------------------------------------------


def results_layout(rendered: Rendered, results: ResultsMessage) -> None:
    container: ui.Container[ui.LayoutView] = ui.Container(accent_colour=RESULTS_COLOUR)
    title = escape_markdown(results.title)
    container.add_item(ui.TextDisplay(f"## 🏁 {title}\n{results.headline}"))
    rows = []
    for row in results.rows:
        mark = "🏆 " if row.is_winner else ""
        rows.append(
            f"{mark}**{escape_markdown(row.label)}** `{bar(row.share, BAR_WIDTH)}` "
            f"{i18n.number(row.votes)} ({i18n.percent(row.share)})"
        )
    if rows:
        container.add_item(ui.TextDisplay("\n".join(rows)))
    media = _media(rendered, results.chart, "chart")
    if media is not None:
        container.add_item(ui.MediaGallery(discord.MediaGalleryItem(media)))
    if results.details:
        container.add_item(ui.TextDisplay("-# " + " · ".join(results.details)))
    rendered.view.add_item(container)


def _text_layout(rendered: Rendered, text: str, image: Image | None) -> None:
    rendered.view.add_item(ui.TextDisplay(_clip(text, MAX_TEXT)))
    media = _media(rendered, image, "image")
    if media is not None:
        rendered.view.add_item(ui.MediaGallery(discord.MediaGalleryItem(media)))


# -- helpers ----------------------------------------------------------------------------


def _media(rendered: Rendered, image: Image | None, stem: str) -> str | None:
    """The URL to show: a public URL as is, a local file as an attachment reference."""
    if image is None:
        return None
    if image.url:
        return image.url
    if image.path is None:
        return None
    suffix = image.path.suffix.lower()
    name = stem + (suffix if _SUFFIX.match(suffix) else "")
    if rendered.attached is not None:  # an edit: only what the post uploaded can show
        if name not in rendered.attached:
            return None
        rendered.kept[name] = rendered.attached[name]
        return f"attachment://{name}"
    if uploadable_size(image, MAX_UPLOAD_BYTES) is None:  # the file may have changed
        return None
    size = _upload_size(image.path)
    if size is None:
        return None
    if rendered.upload_bytes + size > MAX_POST_UPLOAD:
        rendered.left_out.append(image.path)  # the card still shows, without its photo
        return None
    rendered.uploads[name] = image.path
    rendered.upload_bytes += size
    return f"attachment://{name}"


def has_local_images(content: Content) -> bool:
    if isinstance(content, PollMessage):
        images = [card.image for card in content.cards]
    elif isinstance(content, ResultsMessage):
        images = [content.chart]
    else:
        images = [content.image]
    return any(image is not None and not image.url and image.path for image in images)


def _upload_size(path: Path) -> int | None:
    try:
        size = path.stat().st_size
    except OSError:
        _warn_once(path, "image %s cannot be read; it is not shown on Discord")
        return None
    if size > MAX_UPLOAD_BYTES:
        _warn_once(path, "image %s is over Discord's 10 MB upload limit; it is not shown")
        return None
    return size


_warned: set[object] = set()


def _warn_once(what: Path | tuple[Path, ...], text: str) -> None:
    # A refused post is retried every few seconds: say it once, not each time.
    if what not in _warned:
        _warned.add(what)
        shown = ", ".join(map(str, what)) if isinstance(what, tuple) else what
        log.warning(text, shown)


def _count(item: ui.Item[Any]) -> int:
    """Components an item adds to the message's budget of 40 (children included)."""
    if isinstance(item, ui.Section):
        return 1 + len(item.children) + 1  # the section, its texts, its accessory
    return 1


def _clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…" if limit > 0 else ""

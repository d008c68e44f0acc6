"""What a typed console line means: a vote by number, an option named in /vote, or chat.

Anything that looks like a number is treated as a vote attempt, so `1.5`, `-1`, `０` or
`99` get the same "type a number from 1 to N" answer and never count as a chat reply."""

from __future__ import annotations

import re
import unicodedata

from bot.core.content import PollMessage, ProductCard

# An optional sign, then numerals of any kind (digits in any script, ², ①, Ⅳ) with at
# most one decimal point: everything a person might type when they mean "option N".
_NUMBER_LIKE = re.compile(r"^[+\-−]?\s*(?P<body>[^\s.,]*[.,]?[^\s.,]*)$")


def looks_like_number(text: str) -> bool:
    match = _NUMBER_LIKE.match(text.strip())
    if match is None:
        return False
    numerals = match["body"].replace(".", "").replace(",", "")
    return bool(numerals) and all(unicodedata.category(char)[0] == "N" for char in numerals)


def card_by_number(poll: PollMessage, typed: str) -> ProductCard | None:
    """The card for a plain ASCII number from 1 to the number of cards, else None."""
    text = typed.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return poll.cards[number - 1] if 1 <= number <= len(poll.cards) else None


def resolve_options(poll: PollMessage, typed: tuple[str, ...]) -> tuple[str, ...] | None:
    """Option ids for what was typed after /vote POLL: each word a number, an id or a
    label (case-insensitive); a label of several words may be typed without quotes.
    None when a number-like word is no option number (the caller shows the range);
    unknown words are kept as typed for the app to refuse with the poll's options."""
    whole = _by_name(poll, " ".join(typed))
    if len(typed) > 1 and whole is not None:
        return (whole,)
    found: list[str] = []
    for word in typed:
        if looks_like_number(word):
            card = card_by_number(poll, word)
            if card is None:
                return None
            found.append(card.option_id)
        else:
            found.append(_by_name(poll, word) or word)
    return tuple(found)


def names(poll: PollMessage, typed: tuple[str, ...]) -> bool:
    """Whether the words typed are one of the poll's option ids or labels."""
    return _by_name(poll, " ".join(typed)) is not None


def _by_name(poll: PollMessage, name: str) -> str | None:
    wanted = name.strip().casefold()
    for card in poll.cards:
        if wanted in (card.option_id.casefold(), card.label.casefold()):
            return card.option_id
    return None


def is_real_text(text: str) -> bool:
    """A chat line worth counting as a reply: it holds a letter, a digit or a symbol
    (emoji included), not only spaces, punctuation or invisible characters."""
    return any(unicodedata.category(char)[0] in "LNS" for char in text)

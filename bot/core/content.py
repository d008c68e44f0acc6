"""Outgoing content, rendered once from polls and prompts and mapped by each adapter to
its best native form (Discord components, Slack blocks, console text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Image:
    """Either a public URL or a local file the adapter uploads."""

    url: str | None = None
    path: Path | None = None
    # The folder a config image must stay in (checked again before upload, see
    # bot/core/media.py); None for files the bot made itself, such as charts.
    root: Path | None = None

    @property
    def display(self) -> str:
        return self.url or (str(self.path) if self.path else "")


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    disabled: bool = False
    selected: bool = False


@dataclass(frozen=True)
class TallyBar:
    votes: int
    share: float  # 0..1 of all votes in the poll


@dataclass(frozen=True)
class ProductCard:
    number: int  # 1-based position as displayed
    option_id: str
    label: str
    button: Button
    image: Image | None = None
    price: str | None = None  # already formatted with the store's currency
    description: str | None = None
    link: str | None = None
    tally: TallyBar | None = None  # None while results are hidden


@dataclass(frozen=True)
class PollMessage:
    poll_id: str
    title: str
    cards: tuple[ProductCard, ...]
    state: str  # scheduled | open | closed
    description: str | None = None
    footer: str = ""
    total_votes: int = 0
    voters: int = 0
    results_visible: bool = True


@dataclass(frozen=True)
class ResultRow:
    option_id: str
    label: str
    votes: int
    share: float
    is_winner: bool = False


@dataclass(frozen=True)
class ResultsMessage:
    poll_id: str
    title: str
    rows: tuple[ResultRow, ...]
    headline: str  # e.g. "AeroLite MIPS wins with 62% of votes"
    total_votes: int
    voters: int
    details: tuple[str, ...] = field(default_factory=tuple)
    chart: Image | None = None  # a bar chart PNG, where the platform can show images


@dataclass(frozen=True)
class TextMessage:
    text: str
    image: Image | None = None


@dataclass(frozen=True)
class PromptMessage:
    """A daily engagement question. With open_thread the adapter starts a thread (or
    the platform's equivalent) for replies, named thread_name."""

    prompt_id: str
    text: str
    image: Image | None = None
    open_thread: bool = False
    thread_name: str = ""


Content = PollMessage | ResultsMessage | TextMessage | PromptMessage

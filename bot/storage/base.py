"""The storage protocol and its records. Datetimes in and out are timezone-aware UTC.

The database is the source of truth for what happened: which polls opened and closed,
which messages were posted, and every customer's ballot."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from bot.core.refs import ChannelRef, MessageRef, UserRef


class PollState(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class PollRecord:
    poll_id: str
    state: PollState
    opened_at: datetime | None = None
    closes_at: datetime | None = None  # fixed when the poll opens (closes or opens+duration)
    closed_at: datetime | None = None
    announced_at: datetime | None = None  # results posted; set exactly once
    opened_by: str | None = None
    closed_by: str | None = None


@dataclass(frozen=True)
class Ballot:
    """A customer's whole selection in one poll: one option, or up to max_choices."""

    poll_id: str
    voter: UserRef
    options: tuple[str, ...]
    cast_at: datetime  # when the platform says the deciding click happened
    recorded_at: datetime


@dataclass(frozen=True)
class Rejection:
    """Why a ballot change was refused; code is machine-readable, detail for messages."""

    code: str
    detail: str = ""


# Given the voter's current ballot (or None), return the new selection, () to withdraw,
# or a Rejection. Runs inside the write transaction, so it must be pure and quick.
Decide = Callable[[Ballot | None], "tuple[str, ...] | Rejection"]


@dataclass(frozen=True)
class BallotRequest:
    poll_id: str
    voter: UserRef
    delivery_id: str  # platform-scoped, e.g. "discord:1234"; recorded to drop replays
    occurred_at: datetime
    decide: Decide


class CastStatus(enum.StrEnum):
    ACCEPTED = "accepted"  # stored: first ballot or a change
    UNCHANGED = "unchanged"  # same selection as before; delivery recorded
    WITHDRAWN = "withdrawn"  # selection emptied; ballot removed
    DUPLICATE = "duplicate"  # this delivery id was processed before; nothing changed
    STALE = "stale"  # older than the stored ballot; nothing changed
    NOT_OPEN = "not_open"  # the poll is not open in the database
    REJECTED = "rejected"  # decide() refused; nothing stored


@dataclass(frozen=True)
class CastResult:
    status: CastStatus
    ballot: Ballot | None = None  # the stored ballot after the operation
    previous: tuple[str, ...] | None = None
    rejection: Rejection | None = None


@dataclass(frozen=True)
class Tally:
    poll_id: str
    counts: dict[str, int]  # option id -> votes (options with no votes are absent)
    voters: int  # distinct customers with a ballot
    votes_by_platform: dict[str, int] = field(default_factory=dict)
    voters_by_platform: dict[str, int] = field(default_factory=dict)

    @property
    def total_votes(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PromptPost:
    """One prompt posted (or claimed for posting) in one channel on one local date."""

    prompt_id: str
    local_date: date
    channel: ChannelRef
    question_index: int
    due_at: datetime
    claimed_at: datetime
    message_id: str | None = None  # None: claimed but the post was not confirmed
    posted_at: datetime | None = None
    replies: int = 0

    @property
    def message(self) -> MessageRef | None:
        return MessageRef(self.channel, self.message_id) if self.message_id else None


@dataclass(frozen=True)
class PromptSetSeen:
    """When the bot first ran with a prompt set, and since when with its current timing:
    occurrences due before `schedule_since` are never caught up."""

    prompt_id: str
    first_seen_at: datetime
    schedule: str  # the timing as last seen (bot.prompts.schedule.timing_key); "" unknown
    schedule_since: datetime


class PostKind(enum.StrEnum):
    POLL = "poll"
    RESULTS = "results"
    PROMPT = "prompt"


def prompt_subject(prompt_id: str, local_date: date) -> str:
    """A prompt post's subject in the post ledger."""
    return f"{prompt_id}@{local_date.isoformat()}"


@dataclass(frozen=True)
class PostClaim:
    """One post in the ledger: claimed, then confirmed with the platform's message id.
    `key` goes to the platform with the post (its idempotency key), so a claim whose
    outcome is unknown can be looked up there before it is sent again."""

    kind: PostKind
    subject: str  # poll id, or "<prompt id>@<local date>"
    channel: ChannelRef
    key: str
    claimed_at: datetime
    not_before: datetime  # held by a sender, or backing off, until then
    attempts: int = 0  # sends that failed so far
    last_error: str | None = None
    message_id: str | None = None  # None: not confirmed (yet)
    posted_at: datetime | None = None
    last_sent_at: datetime | None = None  # the latest send; None: never sent
    holder: str | None = None  # the process sending it now (bot.process_identity)
    resumed: bool = False  # taken over from an earlier holder

    @property
    def message(self) -> MessageRef | None:
        return MessageRef(self.channel, self.message_id) if self.message_id else None

    def taken_over(self) -> PostClaim:
        return replace(self, resumed=True)


@dataclass(frozen=True)
class PollRound:
    """A poll the bot created itself: a run-off of a poll that was too close to call.
    definition is the round's poll config as JSON (the storage layer does not read it)."""

    poll_id: str
    runoff_of: str
    reason: str  # "too_close"
    definition: str
    created_at: datetime


@dataclass(frozen=True)
class PromptReply:
    """One counted reply to a prompt post, for engagement reports."""

    prompt_id: str
    local_date: date  # the post's date
    voter_key: str  # UserRef.key of who replied
    replied_at: datetime


@dataclass(frozen=True)
class EditLease:
    """Which process may edit a poll message's live tally, until when (migration 0006)."""

    message: MessageRef
    poll_id: str
    holder: str  # host:pid:start (bot.process_identity); "" when it could not be read
    expires_at: datetime


class Store(Protocol):
    # True when several bot processes may use the database at once (PostgreSQL): what
    # one process may do alone (edit a poll message) then needs a lease.
    shared: bool

    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    # Poll lifecycle. Transitions are compare-and-set so they happen once.
    async def ensure_polls(self, poll_ids: Iterable[str]) -> None:
        """Create a SCHEDULED record for each id that has none."""

    async def get_poll(self, poll_id: str) -> PollRecord | None: ...

    async def list_polls(self) -> list[PollRecord]: ...

    async def open_poll(
        self, poll_id: str, at: datetime, closes_at: datetime | None, by: str
    ) -> bool:
        """SCHEDULED -> OPEN; False if the poll was not scheduled."""

    async def close_poll(self, poll_id: str, at: datetime, by: str) -> bool:
        """SCHEDULED or OPEN -> CLOSED; False if it was already closed."""

    async def set_closes_at(self, poll_id: str, closes_at: datetime | None) -> bool:
        """Move an OPEN poll's closing time (None: no closing time); False if the poll
        is not open (closing is final, and a scheduled poll takes its time when it opens)."""

    async def mark_announced(self, poll_id: str, at: datetime) -> bool:
        """Claim announcing the results (before posting them); False if claimed before."""

    # Where a poll was posted, to edit it later (one message per poll and channel).
    async def record_message(self, poll_id: str, message: MessageRef, at: datetime) -> None: ...

    async def poll_messages(self, poll_id: str) -> list[MessageRef]:
        """Confirmed posts only (a claimed post has no message yet)."""

    async def prune_deliveries(self, before: datetime) -> int:
        """Forget delivery ids recorded before `before` (platforms stop redelivering
        within minutes to an hour); returns how many were removed."""

    # The post ledger: every poll, results and prompt post, claimed before it is sent.
    async def take_post(
        self,
        kind: PostKind,
        subject: str,
        channel: ChannelRef,
        at: datetime,
        hold_until: datetime,
        holder: str = "",
        steal_from: str | None = None,
    ) -> PostClaim | None:
        """Claim a post for `holder` (held until hold_until), or take over an unconfirmed
        claim that nobody holds any more, or that `steal_from` (a process known to be
        gone) holds (resumed=True). None if it was posted, or is held now."""

    async def get_post(
        self, kind: PostKind, subject: str, channel: ChannelRef
    ) -> PostClaim | None: ...

    async def confirm_post(self, claim: PostClaim, message: MessageRef, at: datetime) -> None:
        """The platform confirmed the post (for polls and prompts, recorded with it)."""

    async def post_sending(self, claim: PostClaim, at: datetime) -> None:
        """Record that the post is being sent now (an unknown outcome may have landed)."""

    async def post_failed(self, claim: PostClaim, error: str, retry_at: datetime) -> None:
        """The send failed: the claim may be taken over again from retry_at."""

    async def unconfirmed_posts(self) -> list[PostClaim]:
        """Claims without a confirmed message, soonest retry first."""

    # Votes.
    async def cast(self, request: BallotRequest) -> CastResult: ...

    async def get_ballot(self, poll_id: str, voter: UserRef) -> Ballot | None: ...

    async def tally(self, poll_id: str) -> Tally: ...

    async def ballots(self, poll_id: str) -> list[Ballot]: ...

    async def tallies(self, poll_ids: Collection[str]) -> dict[str, Tally]:
        """The tally of each poll in one read (a poll without votes has an empty one)."""

    # Edit leases: one process at a time edits a poll message.
    async def take_edit_leases(
        self,
        wanted: Mapping[MessageRef, str],
        holder: str,
        at: datetime,
        until: datetime,
        steal_from: Collection[str] = (),
    ) -> list[EditLease]:
        """Take or renew, for holder until `until`, the lease of each wanted message
        (message -> its poll id): taken when nobody holds it, when it expired by `at`,
        when holder has it already, or when its holder is in steal_from (known to be
        gone). Returns the lease of every wanted message as it stands, whoever holds it."""

    async def release_edit_leases(
        self, holder: str, messages: Collection[MessageRef] | None = None
    ) -> None:
        """Give up holder's leases (of these messages, or all): another process may take
        them at once."""

    # Daily prompts.
    async def claim_prompt_day(self, prompt_id: str, local_date: date) -> int:
        """The rotation number of this prompt day: 0 for the first day ever handed out,
        then 1, 2, ...; the same number every time it is asked for the same date."""

    async def last_prompt_seq(self, prompt_id: str) -> int | None: ...

    async def claim_prompt_post(
        self,
        prompt_id: str,
        local_date: date,
        channel: ChannelRef,
        question_index: int,
        due_at: datetime,
        at: datetime,
    ) -> bool:
        """Record which question the post of (prompt, date, channel) shows, before it is
        claimed in the post ledger; False if it was recorded before."""

    async def record_prompt_post(
        self, prompt_id: str, local_date: date, message: MessageRef, at: datetime
    ) -> None:
        """Set a prompt post's message directly (imports and tests; the bot confirms
        posts through the post ledger)."""

    async def find_prompt_post(self, message: MessageRef) -> PromptPost | None: ...

    async def record_prompt_reply(
        self, post: PromptPost, reply_id: str, user: UserRef, at: datetime
    ) -> bool:
        """Count a reply once; False if this reply id was counted before."""

    async def prompt_posts(
        self, prompt_id: str | None = None, since: datetime | None = None
    ) -> list[PromptPost]:
        """Posts (claimed or confirmed) with their reply counts, oldest first."""

    async def see_prompt_sets(
        self, schedules: Mapping[str, str], at: datetime
    ) -> dict[str, PromptSetSeen]:
        """Record that the bot runs with these prompt sets (id -> timing key) from `at`:
        a set never seen before is first seen now; a set whose timing changed has it
        since now (an unknown timing, "", is adopted as it was). Returns every set's
        record, these included."""

    async def prompt_sets(self) -> dict[str, PromptSetSeen]:
        """Every prompt set the bot has run with (read only)."""

    # Run-off rounds, and what results, exports and reports read.
    async def create_round(
        self, round_: PollRound, opened_at: datetime, closes_at: datetime | None
    ) -> bool:
        """Record a run-off and open its poll at opened_at, atomically; False if the
        parent poll already has a run-off (one per poll, whoever asks first wins)."""

    async def poll_rounds(self) -> list[PollRound]: ...

    async def secret(self, name: str) -> bytes:
        """A random 32-byte per-database secret, created on first use."""

    async def ballots_since(self, since: datetime | None = None) -> list[Ballot]:
        """Ballots of every poll last cast at or after since, oldest first."""

    async def prompt_replies(self, since: datetime | None = None) -> list[PromptReply]:
        """Replies counted at or after since, oldest first."""

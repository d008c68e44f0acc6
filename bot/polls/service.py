"""Poll lifecycle and voting: the rules every platform shares.

State lives in the store; this service reads the config for what a poll is and asks the
store to change state with compare-and-set operations, so each transition happens once
even when a schedule, a chat command and the CLI ask for it at the same time."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from bot import i18n, messages
from bot.clock import Clock
from bot.config import LoadedConfig
from bot.config.schema import OptionConfig, PollConfig
from bot.core.actions import MalformedAction, decode
from bot.core.content import PollMessage
from bot.core.events import ActionInvoked
from bot.errors import PollStateError, UnknownPoll
from bot.polls import runoff, voting
from bot.polls.export import SECRET_NAME as PSEUDONYM_SECRET
from bot.polls.render import render_poll
from bot.polls.results import PollResults, build_results
from bot.polls.verdict import Verdict
from bot.storage.base import (
    Ballot,
    BallotRequest,
    CastResult,
    CastStatus,
    PollRecord,
    PollRound,
    PollState,
    Rejection,
    Store,
    Tally,
)
from bot.timefmt import human, local_to_utc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoteReply:
    """What to tell the voter privately, and whether the public tally changed."""

    text: str
    poll_id: str | None = None
    tally_changed: bool = False
    # For metrics: counted, changed, unchanged, refused, duplicate or stale.
    outcome: str = "refused"


class CloseOutcome(enum.Enum):
    CLOSED = "closed"
    CANCELLED = "cancelled"  # it never opened
    ALREADY_CLOSED = "already_closed"


@dataclass(frozen=True)
class Transition:
    poll_id: str
    state: PollState


class PollService:
    def __init__(self, config: LoadedConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.rounds = runoff.Rounds()

    # -- lookup: the one place a poll id becomes a PollConfig ----------------------------

    @property
    def polls(self) -> list[PollConfig]:
        """Configured polls, each followed by its run-off rounds (stored in the database)."""
        return self.rounds.arrange(list(self.config.settings.polls))

    def lookup(self, poll_id: str) -> PollConfig | None:
        """The config wins if a merchant later writes a poll with a run-off's id."""
        return self.config.poll(poll_id) or self.rounds.get(poll_id)

    def known(self, poll_id: str) -> bool:
        return self.lookup(poll_id) is not None

    async def load_rounds(self) -> None:
        """Pick up run-offs created since (possibly by another process)."""
        self.rounds.replace(await self.store.poll_rounds())

    async def find(self, poll_id: str) -> PollConfig | None:
        """lookup(), looking in the database once more for a run-off we do not know yet."""
        poll = self.lookup(poll_id)
        if poll is None:
            await self.load_rounds()
            poll = self.lookup(poll_id)
        return poll

    def poll(self, poll_id: str) -> PollConfig:
        poll = self.lookup(poll_id)
        if poll is None:
            raise self._unknown(poll_id)
        return poll

    def _unknown(self, poll_id: str) -> UnknownPoll:
        known = ", ".join(p.id for p in self.polls) or messages.NO_POLLS_KNOWN.format()
        return UnknownPoll(messages.NO_SUCH_POLL.format(poll_id=poll_id, known=known))

    async def record(self, poll_id: str) -> PollRecord:
        self.poll(poll_id)
        return await self._stored_record(poll_id)

    async def _stored_record(self, poll_id: str) -> PollRecord:
        record = await self.store.get_poll(poll_id)
        if record is None:
            return PollRecord(poll_id, PollState.SCHEDULED)
        if (
            record.state is PollState.OPEN
            and record.closes_at
            and record.closes_at <= self.clock.now()
        ):
            # Past its closing time but not yet closed by a running bot: report it as
            # closed (votes after closes_at are refused anyway); the bot announces it.
            return replace(record, state=PollState.CLOSED, closed_at=record.closes_at)
        return record

    async def sync_config(self) -> list[str]:
        """Bring the database in line with the config (at start and on reload): every
        configured poll has a state row (new polls start scheduled), the voters'
        pseudonym key exists (so read-only exports work), and open polls take the closing
        time the config now gives them. Returns the ids of polls whose closing time
        changed: their messages should be re-rendered to show it."""
        await self.store.ensure_polls(p.id for p in self.config.settings.polls)
        await self.store.secret(PSEUDONYM_SECRET)
        await self.load_rounds()
        return await self.apply_close_times()

    def configured_close(self, record: PollRecord) -> datetime | None:
        """When an open poll closes by the config as it is now (what sync_config
        applies): from its closes: or duration:. Run-off rounds keep the time they got."""
        poll = self.config.poll(record.poll_id)
        if poll is None or record.opened_at is None:
            return record.closes_at
        return self.closes_at(poll, record.opened_at)

    def as_configured(self, record: PollRecord) -> PollRecord:
        """record with the closing time the config gives it now, if it is open."""
        if record.state is not PollState.OPEN:
            return record
        return replace(record, closes_at=self.configured_close(record))

    async def apply_close_times(self) -> list[str]:
        """An open poll's close time is fixed when it opens; a merchant who edits
        closes: or duration: afterwards means the new time. A new time already past
        closes the poll now (not at that past instant: votes were taken since)."""
        changed: list[str] = []
        now = self.clock.now()
        for record in await self.store.list_polls():
            if record.state is not PollState.OPEN:
                continue
            wanted = self.configured_close(record)
            if wanted == record.closes_at:
                continue
            if wanted is not None and wanted <= now:
                if record.closes_at is not None and record.closes_at <= now:
                    continue  # due already: it closes at the time it had
                wanted = now
            if await self.store.set_closes_at(record.poll_id, wanted):
                changed.append(record.poll_id)
                log.warning("poll %s %s", record.poll_id, self._close_change(wanted, now))
        return changed

    def _close_change(self, closes_at: datetime | None, now: datetime) -> str:
        if closes_at is None:
            return "now has no closing time (staff close it)"
        if closes_at <= now:
            return "closes now: its new closing time has passed"
        with i18n.use(i18n.DEFAULT_LOCALE):  # the log is the operator's, in English
            return f"now closes on {human(closes_at, self.config.zone)}"

    # -- schedule -----------------------------------------------------------------------

    def opens_at(self, poll: PollConfig) -> datetime | None:
        return local_to_utc(poll.opens, self.config.zone) if poll.opens else None

    def closes_at(self, poll: PollConfig, opened_at: datetime) -> datetime | None:
        if poll.closes is not None:
            return local_to_utc(poll.closes, self.config.zone)
        if poll.duration is not None:
            return opened_at + poll.duration
        return None

    def next_due(self, records: dict[str, PollRecord]) -> datetime | None:
        """The earliest future instant at which some poll opens or closes."""
        moments: list[datetime] = []
        for poll in self.polls:
            record = records.get(poll.id)
            state = record.state if record else PollState.SCHEDULED
            if state is PollState.SCHEDULED:
                opens = self.opens_at(poll)
                if opens is not None:
                    moments.append(opens)
            elif state is PollState.OPEN and record and record.closes_at:
                moments.append(record.closes_at)
        return min(moments, default=None)

    async def apply_due(self) -> list[Transition]:
        """Open and close polls whose time has come, including any missed while down."""
        await self.load_rounds()
        now = self.clock.now()
        records = {r.poll_id: r for r in await self.store.list_polls()}
        done: list[Transition] = []
        for poll in self.polls:
            record = records.get(poll.id)
            if record is None or record.state is PollState.CLOSED:
                continue
            if record.state is PollState.SCHEDULED:
                opens = self.opens_at(poll)
                if opens is not None and opens > now:
                    continue
                closes = self.closes_at(poll, opens or now)
                if closes is not None and closes <= now:
                    # The whole voting window passed while the bot was down: nobody saw
                    # the poll, so close it quietly rather than post an empty result.
                    if await self.store.close_poll(poll.id, now, "schedule (missed)"):
                        await self.store.mark_announced(poll.id, now)
                        log.warning("poll %s was never open: its window passed while down", poll.id)
                    continue
                if await self.store.open_poll(poll.id, now, self.closes_at(poll, now), "schedule"):
                    self._log_opened(poll, now, "schedule")
                    done.append(Transition(poll.id, PollState.OPEN))
                    record = await self.record(poll.id)
            due = record.closes_at
            # Voting ended at closes_at (later clicks were refused), even if the bot only
            # notices now, after downtime.
            is_due = record.state is PollState.OPEN and due is not None and due <= now
            if is_due and due and await self.store.close_poll(poll.id, due, "schedule"):
                log.info("poll %s closed (schedule)", poll.id, extra={"poll": poll.id})
                done.append(Transition(poll.id, PollState.CLOSED))
        return done

    # -- staff operations ---------------------------------------------------------------

    async def open(self, poll_id: str, by: str) -> bool:
        """Open now. False if already open; PollStateError if closed (closing is final)."""
        poll = self.poll(poll_id)
        record = await self.record(poll_id)
        if record.state is PollState.CLOSED:
            raise PollStateError(messages.POLL_CANNOT_REOPEN.format(poll_id=poll_id))
        if record.state is PollState.OPEN:
            return False
        now = self.clock.now()
        await self.store.ensure_polls([poll_id])
        opened = await self.store.open_poll(poll_id, now, self.closes_at(poll, now), by)
        if opened:
            self._log_opened(poll, now, by)
        return opened

    def _log_opened(self, poll: PollConfig, now: datetime, by: str) -> None:
        closes = self.closes_at(poll, now)
        until = f", closes {human(closes, self.config.zone)}" if closes else ""
        log.info("poll %s opened (%s)%s", poll.id, by, until, extra={"poll": poll.id})

    async def close(self, poll_id: str, by: str) -> CloseOutcome:
        """Close now; closing happens once. A poll that never opened is cancelled: no
        customer saw it, so no results are posted."""
        self.poll(poll_id)
        await self.store.ensure_polls([poll_id])
        before = await self.record(poll_id)
        now = self.clock.now()
        if not await self.store.close_poll(poll_id, now, by):
            return CloseOutcome.ALREADY_CLOSED
        if before.state is PollState.SCHEDULED:
            await self.store.mark_announced(poll_id, now)
            log.info("poll %s cancelled before opening (%s)", poll_id, by, extra={"poll": poll_id})
            return CloseOutcome.CANCELLED
        log.info("poll %s closed (%s)", poll_id, by, extra={"poll": poll_id})
        return CloseOutcome.CLOSED

    # -- reading ------------------------------------------------------------------------

    async def removed_polls(self) -> list[str]:
        """Polls with history in the database that are no longer in the config."""
        return [r.poll_id for r in await self.store.list_polls() if not self.known(r.poll_id)]

    async def _stand_in(self, poll_id: str) -> PollConfig | None:
        """A poll removed from the config keeps its history: a stand-in definition (ids
        for labels) keeps its results readable. None if the database never saw it."""
        if await self.store.get_poll(poll_id) is None:
            return None
        counts = (await self.store.tally(poll_id)).counts
        options = [OptionConfig.model_construct(id=i, label=i) for i in sorted(counts)]
        question = messages.REMOVED_POLL.format(poll_id=poll_id)
        return PollConfig.model_construct(
            id=poll_id, question=question, options=options, channels=[]
        )

    async def definition(self, poll_id: str) -> PollConfig:
        """The poll as configured, a run-off round, or a stand-in for a poll removed from
        the config; UnknownPoll (listing the known ones) if there is no such poll."""
        poll = await self.find(poll_id) or await self._stand_in(poll_id)
        if poll is None:
            raise self._unknown(poll_id)
        return poll

    async def results(self, poll_id: str) -> PollResults:
        poll = await self.definition(poll_id)
        record = await self._stored_record(poll_id)
        tally = await self.store.tally(poll_id)
        return build_results(
            poll,
            record,
            tally,
            pair=None if poll.is_single_choice else await self._pair(poll, tally),
            runoff_of=self.rounds.runoff_of(poll_id),
            runoff=self.rounds.runoff(poll_id),
        )

    async def _pair(self, poll: PollConfig, tally: Tally) -> tuple[int, int] | None:
        """Multiple choice: ballots choosing the leader but not the runner-up, and the
        other way round (only those say which of the two a customer prefers)."""
        ranked = sorted(poll.options, key=lambda option: -tally.counts.get(option.id, 0))
        if tally.total_votes == 0:
            return None
        first, second = ranked[0].id, ranked[1].id
        only_first = only_second = 0
        for ballot in await self.store.ballots(poll.id):
            has_first, has_second = first in ballot.options, second in ballot.options
            only_first += has_first and not has_second
            only_second += has_second and not has_first
        return only_first, only_second

    # -- at close -----------------------------------------------------------------------

    async def settle(self, poll_id: str) -> str | None:
        """After close: open the run-off if the poll asks for one and was too close to
        call. Returns the run-off's id (also when it existed already), else None.
        Safe to call any number of times from any number of processes."""
        poll = self.poll(poll_id)
        existing = self.rounds.runoff(poll_id)
        if existing is not None or not poll.runoff or self.rounds.get(poll_id) is not None:
            return existing
        record = await self.record(poll_id)
        results = await self.results(poll_id)
        too_close = results.decision.verdict is Verdict.TOO_CLOSE
        if record.state is not PollState.CLOSED or not too_close:
            return None
        taken = [p.id for p in self.config.settings.polls]
        taken += [r.poll_id for r in await self.store.list_polls()]
        definition = runoff.definition(poll, results, runoff.round_id(poll_id, taken))
        now = self.clock.now()
        lasts = runoff.duration(poll, record)
        stored = PollRound(definition.id, poll_id, runoff.TOO_CLOSE, runoff.dump(definition), now)
        if await self.store.create_round(stored, now, now + lasts if lasts else None):
            log.info("poll %s was too close to call: run-off %s is open", poll_id, definition.id)
        await self.load_rounds()
        return self.rounds.runoff(poll_id)

    async def content(self, poll_id: str) -> PollMessage:
        poll = self.poll(poll_id)
        record = await self.record(poll_id)
        return render_poll(self.config, poll, record, await self.store.tally(poll_id))

    # -- voting -------------------------------------------------------------------------

    async def vote(self, event: ActionInvoked) -> VoteReply:
        try:
            action = decode(event.action_id)
        except MalformedAction:
            return VoteReply(messages.UNKNOWN_POLL.format())
        poll = await self.find(action.poll_id)
        if poll is None:
            return VoteReply(messages.UNKNOWN_POLL.format())
        chosen = event.selection or (action.option_id,)
        known = {option.id for option in poll.options}
        if any(choice not in known for choice in chosen):
            return VoteReply(self._unknown_option(poll), poll.id)
        record = await self.record(poll.id)
        refusal = self._closed_reply(poll, record, event.occurred_at)
        if refusal is not None:
            return VoteReply(refusal, poll.id)

        def decide(current: Ballot | None) -> tuple[str, ...] | Rejection:
            if event.selection is not None:
                return voting.decide_selection(poll, event.selection, current)
            return voting.decide_click(poll, action.option_id, current)

        result = await self.store.cast(
            BallotRequest(poll.id, event.user, event.delivery_id, event.occurred_at, decide)
        )
        return self._reply(poll, record, result)

    def _closed_reply(self, poll: PollConfig, record: PollRecord, at: datetime) -> str | None:
        if record.state is PollState.SCHEDULED:
            opens = self.opens_at(poll)
            if opens is None:
                return messages.POLL_OPENS_SOON.format(question=poll.question)
            when = human(opens, self.config.zone)
            return messages.POLL_NOT_YET_OPEN.format(question=poll.question, opens=when)
        if record.state is PollState.CLOSED or (record.closes_at and at >= record.closes_at):
            return messages.POLL_CLOSED.format(question=poll.question)
        return None

    def _unknown_option(self, poll: PollConfig) -> str:
        labels = ", ".join(option.label for option in poll.options)
        return messages.UNKNOWN_OPTION.format(question=poll.question, options=labels)

    def _labels(self, poll: PollConfig, chosen: tuple[str, ...] | None) -> str:
        by_id = {option.id: option.label for option in poll.options}
        return " + ".join(by_id.get(choice, choice) for choice in chosen or ())

    def _reply(self, poll: PollConfig, record: PollRecord, result: CastResult) -> VoteReply:
        question = poll.question
        status = result.status
        if status is CastStatus.NOT_OPEN:
            closed = PollRecord(poll.id, PollState.CLOSED)
            return VoteReply(self._closed_reply(poll, closed, self.clock.now()) or "", poll.id)
        if status is CastStatus.DUPLICATE:
            return self._repeat_reply(poll, record, result)
        if status is CastStatus.STALE:
            return VoteReply(messages.STALE_CLICK.format(), poll.id, outcome="stale")
        if status is CastStatus.REJECTED:
            return VoteReply(self._rejection_text(poll, result), poll.id)
        if status is CastStatus.WITHDRAWN:
            text = messages.VOTE_WITHDRAWN.format(question=question)
            return VoteReply(text, poll.id, True, outcome="changed")
        choice = self._labels(poll, result.ballot.options if result.ballot else ())
        if status is CastStatus.UNCHANGED:
            text = messages.VOTE_UNCHANGED.format(choice=choice, question=question)
            return VoteReply(text, poll.id, outcome="unchanged")
        text = self._confirmation(poll, record, result.ballot, result.previous)
        outcome = "changed" if result.previous else "counted"
        return VoteReply(text, poll.id, True, outcome=outcome)

    def _repeat_reply(self, poll: PollConfig, record: PollRecord, result: CastResult) -> VoteReply:
        """A delivery handled before: Slack re-sends one whose ack it missed, maybe to
        another process. Whoever handled the first told the voter their vote counts; the
        repeat tells the same (the vote as stored), never a different story."""
        if result.ballot is None:  # e.g. the first was a withdrawal
            return VoteReply(messages.DUPLICATE_DELIVERY.format(), poll.id, outcome="duplicate")
        text = self._confirmation(poll, record, result.ballot, None)
        return VoteReply(text, poll.id, outcome="duplicate")

    def _confirmation(
        self,
        poll: PollConfig,
        record: PollRecord,
        ballot: Ballot | None,
        previous: tuple[str, ...] | None,
    ) -> str:
        """'✅ Your vote for X is counted…' (or changed, from previous) and what follows."""
        question = poll.question
        choice = self._labels(poll, ballot.options if ballot else ())
        if previous:
            text = messages.VOTE_CHANGED.format(
                question=question, previous=self._labels(poll, previous), choice=choice
            )
        else:
            text = messages.VOTE_COUNTED.format(choice=choice, question=question)
        extras = [text]
        if not poll.is_single_choice and ballot:
            extras.append(
                messages.CHOICES_SO_FAR.format(
                    count=i18n.number(len(ballot.options)),
                    max_choices=i18n.number(poll.max_choices),
                )
            )
        if not poll.allow_change:
            extras.append(messages.CHANGE_FORBIDDEN.format())
        elif record.closes_at:
            extras.append(
                messages.CHANGE_UNTIL.format(closes=human(record.closes_at, self.config.zone))
            )
        else:
            extras.append(messages.CHANGE_ANYTIME.format())
        if poll.results == "on_close":
            extras.append(messages.RESULTS_AT_CLOSE.format())
        return " ".join(extras)

    def _rejection_text(self, poll: PollConfig, result: CastResult) -> str:
        code = result.rejection.code if result.rejection else ""
        if code == voting.CHANGE_NOT_ALLOWED:
            current = self._labels(poll, result.previous)
            return messages.CHANGE_NOT_ALLOWED.format(current=current, question=poll.question)
        if code == voting.TOO_MANY:
            return messages.TOO_MANY_CHOICES.format(
                choices=messages.options(poll.max_choices), question=poll.question
            )
        if code == voting.UNKNOWN_OPTION:
            return self._unknown_option(poll)
        if code == voting.DUPLICATE_CHOICE:
            return messages.DUPLICATE_CHOICE.format()
        return messages.EMPTY_SELECTION.format()

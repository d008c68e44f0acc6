"""The rest of the Store protocol on both backends: daily prompts, the prompt side of the
post ledger, run-off rounds, secrets, report reads, and several processes on one database."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import date

from conftest import AnyStore, MakeStore
from storage_helpers import POLL, T0, at, user, vote

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import CastStatus, PollRound, PollState, PostKind, prompt_subject

DAY = date(2025, 11, 20)
CHANNEL = ChannelRef("slack", "C1")


async def test_prompt_days_posts_and_replies_count_once(store: AnyStore) -> None:
    assert await store.last_prompt_seq("daily") is None
    assert await store.claim_prompt_day("daily", DAY) == 0
    assert await store.claim_prompt_day("daily", date(2025, 11, 21)) == 1
    assert await store.claim_prompt_day("daily", DAY) == 0  # the same day, the same number
    assert await store.last_prompt_seq("daily") == 1

    assert await store.claim_prompt_post("daily", DAY, CHANNEL, 2, at(0), at(1)) is True
    assert await store.claim_prompt_post("daily", DAY, CHANNEL, 3, at(0), at(2)) is False
    claim = await store.take_post(
        PostKind.PROMPT, prompt_subject("daily", DAY), CHANNEL, at(1), at(91)
    )
    assert claim is not None
    await store.confirm_post(claim, MessageRef(CHANNEL, "1700.01"), at(3))

    post = await store.find_prompt_post(MessageRef(CHANNEL, "1700.01"))
    assert post is not None and post.question_index == 2 and post.posted_at == at(3)
    assert await store.record_prompt_reply(post, "r1", user(1, "slack"), at(10)) is True
    assert await store.record_prompt_reply(post, "r1", user(1, "slack"), at(11)) is False
    assert await store.record_prompt_reply(post, "r2", user(2, "slack"), at(12)) is True
    posts = await store.prompt_posts("daily")
    assert [(p.local_date, p.replies, p.message_id) for p in posts] == [(DAY, 2, "1700.01")]
    assert await store.prompt_posts("daily", since=at(1)) == []
    replies = await store.prompt_replies(since=at(11))
    assert [(r.voter_key, r.replied_at) for r in replies] == [("slack:2", at(12))]


async def test_a_runoff_is_created_once_and_opens_its_poll(store: AnyStore) -> None:
    await store.ensure_polls([POLL])
    definition = json.dumps({"id": "helmets-runoff", "options": ["aero", "urban"]})
    round_ = PollRound("helmets-runoff", POLL, "too_close", definition, T0)
    assert await store.create_round(round_, at(10), at(3610)) is True
    other = PollRound("helmets-runoff-2", POLL, "too_close", definition, T0)
    assert await store.create_round(other, at(11), None) is False
    rounds = await store.poll_rounds()
    assert [(r.poll_id, r.runoff_of, json.loads(r.definition)) for r in rounds] == [
        ("helmets-runoff", POLL, json.loads(definition))
    ]
    record = await store.get_poll("helmets-runoff")
    assert record is not None and record.state is PollState.OPEN
    assert (record.opened_at, record.closes_at, record.opened_by) == (at(10), at(3610), "runoff")


async def test_lifecycle_details_and_report_reads(voting_store: AnyStore) -> None:
    store = voting_store
    assert await store.set_closes_at(POLL, at(7200)) is True
    assert (await store.get_poll(POLL)).closes_at == at(7200)  # type: ignore[union-attr]
    await vote(store, user(1), "aero", when=at(5))
    await vote(store, user(2), "urban", when=at(1))
    assert [b.voter.id for b in await store.ballots_since()] == ["2", "1"]
    assert [b.voter.id for b in await store.ballots_since(at(2))] == ["1"]
    assert await store.close_poll(POLL, at(60), "merchant") is True
    assert await store.set_closes_at(POLL, at(9000)) is False  # closing is final
    assert await store.mark_announced(POLL, at(61)) is True
    assert await store.mark_announced(POLL, at(62)) is False
    key = await store.secret("pseudonyms")
    assert len(key) == 32 and await store.secret("pseudonyms") == key
    assert await store.secret("other") != key


async def test_two_processes_on_one_database_count_exactly(make_store: MakeStore) -> None:
    """Two stores on one database (as two bot processes would be), voting at once: every
    acknowledged vote counts once, revotes keep the newest click, totals stay exact."""
    first, second = make_store(), make_store()
    await first.open()
    await second.open()
    try:
        await first.ensure_polls([POLL])
        await second.ensure_polls([POLL])
        assert [await s.open_poll(POLL, T0, None, "schedule") for s in (first, second)] == [
            True,
            False,
        ]
        rng = random.Random(3)
        clicks = [
            (n, k, rng.choice(("aero", "urban", "trail"))) for n in range(150) for k in range(3)
        ]
        rng.shuffle(clicks)

        async def one(n: int, k: int, option: str) -> CastStatus:
            store = first if rng.random() < 0.5 else second
            await asyncio.sleep(rng.random() * 0.02)
            done = await vote(store, user(n), option, when=at(k), delivery=f"d:{n}:{k}")
            # The same delivery reaching the other process is a replay there.
            other = second if store is first else first
            replay = await vote(other, user(n), option, when=at(k), delivery=f"d:{n}:{k}")
            assert replay.status is CastStatus.DUPLICATE
            return done.status

        await asyncio.gather(*(one(*click) for click in clicks))
        newest = {n: option for n, k, option in clicks if k == 2}
        tally = await first.tally(POLL)
        assert tally == await second.tally(POLL) == await first.recount(POLL)  # type: ignore[union-attr]
        assert tally.voters == 150
        chosen = list(newest.values())
        assert tally.counts == {o: chosen.count(o) for o in set(chosen)}
        ballots = {b.voter.id: b.options for b in await second.ballots(POLL)}
        assert ballots == {str(n): (o,) for n, o in newest.items()}
    finally:
        await first.close()
        await second.close()


async def test_two_processes_number_prompt_days_without_gaps(make_store: MakeStore) -> None:
    first, second = make_store(), make_store()
    await first.open()
    await second.open()
    try:
        days = [date(2025, 12, d) for d in range(1, 21)]
        seqs = await asyncio.gather(
            *(s.claim_prompt_day("daily", d) for d in days for s in (first, second))
        )
        by_day = dict(zip([d for d in days for _ in (0, 1)], seqs, strict=True))
        assert sorted(by_day.values()) == list(range(20))  # one number per day, no gaps
        for i, day in enumerate(days):
            assert seqs[2 * i] == seqs[2 * i + 1] == by_day[day]
    finally:
        await first.close()
        await second.close()

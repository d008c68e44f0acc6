"""Polls on Discord end to end: the real App and discord.py against FakeDiscord."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from bot.adapters.discord.render import MAX_COMPONENTS
from bot.polls.service import CloseOutcome
from bot.storage.base import PollState
from tests.adapters.discord.discord_harness import (
    AERO,
    TRAIL,
    URBAN,
    buttons,
    poll_message,
    running_app,
    shown_after_edits,
    texts,
    write_config,
)
from tests.adapters.discord.discord_payloads import EPHEMERAL, IS_COMPONENTS_V2, walk
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.conftest import REPO


async def test_poll_is_posted_as_product_cards_with_photos(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config):
        post = fake.posts()[0]
        body = post.body
        assert body["flags"] & IS_COMPONENTS_V2 and not body.get("content")
        # The local photo is uploaded once, named after its option; the URL is used as is.
        photo = (REPO / "config" / "images" / "aerolite.png").read_bytes()
        assert post.files == {"aero.png": photo}
        assert body["attachments"] == [{"id": 0, "filename": "aero.png"}]
        [container] = body["components"]
        assert container["type"] == 17
        kinds = [c["type"] for c in container["components"]]
        # header, then per card a section (text + vote button) and its photo, then footer
        assert kinds == [10, 9, 12, 14, 9, 12, 14, 9, 10]
        galleries = [c for c in container["components"] if c["type"] == 12]
        assert [g["items"][0]["media"]["url"] for g in galleries] == [
            "attachment://aero.png",
            "https://example.com/urban.jpg",
        ]
        shown = texts(body["components"])
        assert "## Which helmet should we stock?" in shown
        assert "**1. AeroLite MIPS** · €89.00" in shown
        assert "[Product page](https://example.com/aerolite)" in shown
        assert "**0** votes · 0%" in shown
        assert [b["custom_id"] for b in buttons(body["components"])] == [AERO, URBAN, TRAIL]
        assert all(b["style"] == 1 and not b.get("disabled") for b in buttons(body["components"]))
        assert len(walk(body["components"])) <= MAX_COMPONENTS
        # Only the minimum intents, and the /poll commands synced to the configured guild.
        assert fake.identifies == 1
        [group] = fake.commands[fake.guild.id]
        assert group["name"] == "poll"
        assert [o["name"] for o in group["options"]] == ["list", "results", "open", "close"]


async def test_click_is_confirmed_privately_after_the_vote_is_stored(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        click = await fake.click(message_id, AERO, fake.customer(1))
        await click.answered()
        assert click.responses[0]["type"] == 4  # answered directly, no defer needed
        assert click.responses[0]["data"]["flags"] & EPHEMERAL
        assert click.reply.startswith("✅ Your vote for AeroLite MIPS is counted")
        assert "You can change it until" in click.reply
        tally = await app.store.tally("helmets")
        assert tally.counts == {"aero": 1}
        [ballot] = await app.store.ballots("helmets")
        assert ballot.voter.key == f"discord:{fake.customer(1).id}"
        assert ballot.voter.name == "Customer1"  # the member's display name
        await fake.wait_until(lambda: len(fake.edits(message_id)) >= 1)
        edited = fake.edits(message_id)[-1].body
        assert "**1** vote · 100%" in texts(edited["components"])
        # The uploaded photo is kept by id (not re-sent) and the layout refers to it.
        aero = fake.attachments[message_id]["aero.png"]
        assert edited["attachments"] == [{"id": aero["id"], "filename": "aero.png"}]
        assert "attachment://aero.png" in json.dumps(edited["components"])
        assert fake.edits(message_id)[-1].files == {}
        # What Discord returned for the post: the photo referenced from the layout.
        shown = json.dumps(fake.messages[message_id]["components"])
        assert f'"attachment_id": "{aero["id"]}"' in shown


async def test_closing_disables_buttons_then_posts_results(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        for n, action in enumerate([AERO, AERO, URBAN], start=1):
            click = await fake.click(message_id, action, fake.customer(n))
            await click.answered()
        assert await app.polls.close("helmets", by="test") is CloseOutcome.CLOSED
        await app.reconcile()
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.CLOSED
        final = fake.edits(message_id)[-1].body
        assert all(b["disabled"] and b["style"] == 2 for b in buttons(final["components"]))
        assert "Voting closed" in texts(final["components"])
        assert "**2** votes · 67%" in texts(final["components"])
        results = fake.posts()[-1]
        assert fake.calls.index(results) > fake.calls.index(fake.edits(message_id)[-1])
        shown = texts(results.body["components"])
        assert "AeroLite MIPS leads with 67% of the votes." in shown
        assert list(results.files) == ["chart.png"]  # the bar chart, uploaded
        assert results.files["chart.png"].startswith(b"\x89PNG")
        assert "attachment://chart.png" in json.dumps(results.body["components"])
        # 3 customers, fewer than min_votes: it leads but is no winner, so no trophy.
        assert "**AeroLite MIPS**" in shown and "🏆" not in shown

        late = await fake.click(message_id, URBAN, fake.customer(9))  # a stale click
        await late.answered()
        assert late.reply.startswith("Sorry, voting on “Which helmet should we stock?” has closed")
        assert (await app.store.tally("helmets")).total_votes == 3


async def test_burst_of_500_voters_gives_exact_tally_and_few_edits(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        actions = [AERO, URBAN, TRAIL]
        started = time.monotonic()
        clicks = []
        for n in range(500):  # 500 different customers within about a second
            clicks.append(await fake.click(message_id, actions[n % 3], fake.customer(n)))
            if n % 50 == 49:
                await asyncio.sleep(0.1)
        await asyncio.wait_for(asyncio.gather(*(c.answered(30) for c in clicks)), 60)
        answered = time.monotonic() - started
        assert all(c.ephemeral and c.reply.startswith("✅") for c in clicks)
        assert all(c.responses[0]["type"] in (4, 5) for c in clicks)
        tally = await app.store.tally("helmets")
        assert tally.counts == {"aero": 167, "urban": 167, "trail": 166}
        assert tally.voters == 500
        await app.live.flush()
        await fake.wait_until(lambda: "**167** votes" in shown_after_edits(fake, message_id))
        edits = len(fake.edits(message_id))
        deferred = sum(c.deferred for c in clicks)
        waits = sorted((c.acked or 0) - c.created for c in clicks)
        print(
            f"\n500 clicks answered in {answered:.2f}s; acknowledged after p50 "
            f"{waits[250] * 1000:.0f} ms, p99 {waits[494] * 1000:.0f} ms, max "
            f"{waits[-1] * 1000:.0f} ms; {edits} message edits; {deferred} deferred"
        )
        assert 1 <= edits <= 8


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config):
        message_id = poll_message(fake)
        first = await fake.click(message_id, AERO, fake.customer(1))
        await first.answered()

    # A new process: new client, new gateway session, same database. Nothing is
    # re-posted, and a click on the message from the first process still counts.
    async with running_app(config) as (app, _):
        assert fake.identifies == 2
        assert len(fake.posts()) == 1
        second = await fake.click(message_id, URBAN, fake.customer(2))
        await second.answered()
        assert second.reply.startswith("✅ Your vote for Urban Shell is counted")
        assert (await app.store.tally("helmets")).counts == {"aero": 1, "urban": 1}
        await fake.wait_until(lambda: "**1** vote · 50%" in shown_after_edits(fake, message_id))
        # The new process read the message back once to learn which file to keep.
        reads = [c for c in fake.calls if c.method == "GET" and "/messages/" in c.path]
        assert len(reads) == 1 and reads[0].status == 200
        aero = fake.attachments[message_id]["aero.png"]
        assert fake.edits(message_id)[-1].body["attachments"] == [
            {"id": aero["id"], "filename": "aero.png"}
        ]


async def test_stale_and_unknown_buttons_get_a_polite_private_reply(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake, allow_change="false")
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        odd_ids = [
            "v1:vote:nope:aero",  # a poll that is no longer configured
            "v1:vote:helmets:zzz",  # an option that was removed
            "v1:vote:helmets:" + "x" * 80,  # not an id this bot makes
            "v1:something-else",
        ]
        section = [
            {
                "type": 9,
                "components": [{"type": 10, "content": f"old card {n}"}],
                "accessory": {"type": 2, "style": 1, "label": "Vote", "custom_id": custom_id},
            }
            for n, custom_id in enumerate(odd_ids)
        ]
        old = fake.seed_message(fake.channel_id, [{"type": 17, "components": section}])
        replies = []
        for custom_id in odd_ids:
            click = await fake.click(old, custom_id, fake.customer(7))
            await click.answered()
            assert click.ephemeral
            replies.append(click.reply)
        assert replies[0].startswith("Sorry, this button doesn't belong to a poll I know")
        assert replies[1].startswith("Sorry, that option isn't part of “Which helmet")
        assert replies[2].startswith("Sorry, this button doesn't belong to a poll I know")
        assert replies[3].startswith("Sorry, this button doesn't belong to a poll I know")

        # A vote once cast is final in this poll: a change is refused, nothing moves.
        vote = await fake.click(message_id, AERO, fake.customer(7))
        await vote.answered()
        change = await fake.click(message_id, URBAN, fake.customer(7))
        await change.answered()
        assert "is final in this poll" in change.reply
        assert (await app.store.tally("helmets")).counts == {"aero": 1}
        assert fake.edits(old) == []
